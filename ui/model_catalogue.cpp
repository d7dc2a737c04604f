// ModelCatalogue (see model_catalogue.h).
#include "ui/model_catalogue.h"

#include <QFutureWatcher>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

namespace inpaint::ui {

namespace {
constexpr auto kModelFoldersKey = "models/folders";

QStringList storedFolders() {
    QSettings s;
    return s.contains(kModelFoldersKey) ? s.value(kModelFoldersKey).toStringList()
                                        : QStringList{jobs::defaultModelsFolder()};
}
}  // namespace

ModelCatalogue::ModelCatalogue(QObject* parent) : QObject(parent) {}

QStringList ModelCatalogue::folders() const {
    QStringList folders = storedFolders();
    for (const QString& extra : qEnvironmentVariable("INPAINT_MODELS_PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts))
        if (!folders.contains(extra)) folders << extra;
    return folders;
}

void ModelCatalogue::setFolders(const QStringList& folders) {
    QSettings().setValue(kModelFoldersKey, folders);
    rescan();
}

void ModelCatalogue::addFolder(const QString& dir) {
    QStringList folders = storedFolders();
    if (!folders.contains(dir)) folders << dir;
    setFolders(folders);
}

void ModelCatalogue::rescan() {
    if (m_scan && m_scan->isRunning()) {  // one scan at a time; the newest folders win
        m_rescanQueued = true;
        return;
    }
    if (!m_scan) {
        m_scan = new QFutureWatcher<Scan>(this);
        connect(m_scan, &QFutureWatcherBase::finished, this, [this] {
            const Scan scan = m_scan->result();
            m_models = scan.models;
            m_addOns = scan.addOns;
            emit scanned();
            if (m_rescanQueued) {
                m_rescanQueued = false;
                rescan();
            }
        });
    }
    m_scan->setFuture(QtConcurrent::run([folders = folders()] {
        return Scan{jobs::scanModelFolders(folders), jobs::scanAddOnFiles(folders)};
    }));
}

QList<ModelEntry> ModelCatalogue::entries() const {
    QList<ModelEntry> entries;
    for (const jobs::ModelInfo& m : m_models)
        entries.append({m.name, m.path, m.summary(), m.error, m.inpainting(), m.latentShape, m.family(), m.nativeSize});
    return entries;
}

int ModelCatalogue::brokenCount() const {
    return int(std::count_if(m_models.cbegin(), m_models.cend(), [](const jobs::ModelInfo& m) { return !m.ok(); }));
}

QString ModelCatalogue::nameOf(const QString& path) const {
    QString name;
    for (const jobs::ModelInfo& m : m_models)
        if (m.path == path) name = m.name;  // the last match, as the list was always read
    return name;
}

QString ModelCatalogue::pathOf(const QString& name) const {
    QString path;
    for (const jobs::ModelInfo& m : m_models)
        if (m.ok() && m.name == name) path = m.path;
    return path;
}

}  // namespace inpaint::ui
