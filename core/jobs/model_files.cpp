// File lookups for jobs (see model_files.h).
#include "core/jobs/model_files.h"

#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

namespace inpaint::jobs {

namespace {
const QStringList kWeightSuffixes{QStringLiteral("safetensors"), QStringLiteral("pt"), QStringLiteral("ckpt"),
                                  QStringLiteral("bin")};
}

QStringList searchFolders(const QStringList& dirs, const QString& modelPath, const QString& sub)
{
    QStringList out = dirs;
    if (!modelPath.isEmpty()) {
        const QString beside = QFileInfo(modelPath).absoluteDir().filePath(sub);
        if (QFileInfo(beside).isDir() && !out.contains(beside)) out << beside;
    }
    return out;
}

QString findLora(const QString& name, const QStringList& folders, const QString& what, QString* error)
{
    for (const QString& dir : folders) {
        QDirIterator it(dir, QDir::Files | QDir::Readable, QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
        while (it.hasNext()) {
            const QFileInfo f(it.next());
            if (f.completeBaseName() == name && kWeightSuffixes.contains(f.suffix().toLower())) return f.filePath();
        }
    }
    if (error)
        *error = QStringLiteral("%1, but no %2.safetensors (or .pt/.ckpt) was found in %3.")
                     .arg(what, name,
                          folders.isEmpty() ? QStringLiteral("any LoRA folder (add one, or a loras/ folder beside the model)")
                                            : folders.join(QStringLiteral(", ")));
    return {};
}

bool isBareName(const QString& s)
{
    return !s.isEmpty() && !s.contains(QLatin1Char('/')) && !QFileInfo::exists(s);
}

bool resolveNamedFiles(InpaintRequest* r, QString* error)
{
    QStringList loraFolders;
    for (LoraUse& l : r->loras) {
        if (!isBareName(l.file)) continue;
        if (loraFolders.isEmpty()) loraFolders = searchFolders(r->loraDirs, r->modelPath, QStringLiteral("loras"));
        const QString name = QFileInfo(l.file).completeBaseName() == l.file ? l.file : QFileInfo(l.file).completeBaseName();
        const QString found = findLora(name, loraFolders, QStringLiteral("The recipe names the LoRA '%1'").arg(name), error);
        if (found.isEmpty()) return false;
        l.file = found;
    }
    if (isBareName(r->vaePath)) {
        QStringList folders = searchFolders({}, r->modelPath, QStringLiteral("vae"));
        if (!r->modelPath.isEmpty()) folders << QFileInfo(r->modelPath).absolutePath();
        for (const QString& dir : folders) {
            const QString candidate = QDir(dir).filePath(r->vaePath);
            if (QFileInfo(candidate).isFile() || QFileInfo(candidate).isDir()) {
                r->vaePath = candidate;
                return true;
            }
        }
        if (error)
            *error = QStringLiteral("The recipe names the VAE '%1', which is not in %2; pass --vae FILE.")
                         .arg(r->vaePath, folders.isEmpty() ? QStringLiteral("any folder (no model given)")
                                                            : folders.join(QStringLiteral(", ")));
        return false;
    }
    return true;
}

}  // namespace inpaint::jobs
