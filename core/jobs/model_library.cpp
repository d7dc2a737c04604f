// Model library: scanning and describing diffusers folders and single-file checkpoints (headers
// and pickles only, no weights read).
#include "core/jobs/model_library.h"

#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"
#include "models/io/single_file.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QDateTime>
#include <QFileInfo>
#include <QHash>
#include <QMutex>
#include <QLocale>
#include <QStandardPaths>

#include <algorithm>
#include <optional>
#include <map>

namespace inpaint::jobs {

namespace {

QString dtypeLabel(const std::string& safetensorsDtype)
{
    if (safetensorsDtype == "F32") return QStringLiteral("fp32");
    if (safetensorsDtype == "F16") return QStringLiteral("fp16");
    if (safetensorsDtype == "BF16") return QStringLiteral("bf16");
    return QString::fromStdString(safetensorsDtype).toLower();
}

QString kindLabel(const QString& kind)
{
    if (kind == QLatin1String("sd1")) return QStringLiteral("SD 1.x");
    if (kind == QLatin1String("sd2")) return QStringLiteral("SD 2.x");
    if (kind == QLatin1String("sd1-inpaint")) return QStringLiteral("SD 1.x inpainting");
    if (kind == QLatin1String("sd2-inpaint")) return QStringLiteral("SD 2.x inpainting");
    if (kind == QLatin1String("sdxl")) return QStringLiteral("SDXL");
    if (kind == QLatin1String("sdxl-inpaint")) return QStringLiteral("SDXL inpainting");
    return QStringLiteral("unknown kind");
}

int nativeSizeOf(const nlohmann::json& unet, int vaeBlocks)
{
    const auto it = unet.find("sample_size");
    if (it == unet.end() || !it->is_number_integer()) return 0;
    return it->get<int>() * (1 << std::max(0, vaeBlocks - 1));
}

QString familyOf(const QString& kind)
{
    if (kind.startsWith(QLatin1String("sdxl"))) return QStringLiteral("SDXL");
    if (kind.startsWith(QLatin1String("sd1"))) return QStringLiteral("SD 1.x");
    if (kind.startsWith(QLatin1String("sd2"))) return QStringLiteral("SD 2.x");
    return {};
}

// The _class_name in <dir>/config.json; a null string when there is no readable config, "" when
// it names no class.
QString configClass(const QString& dir)
{
    QFile f(QDir(dir).filePath(QStringLiteral("config.json")));
    if (f.size() > (1 << 20) || !f.open(QIODevice::ReadOnly)) return {};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll());
    if (!doc.isObject()) return {};
    return doc.object().value(QStringLiteral("_class_name")).toString(QStringLiteral(""));
}

// Folders beside the checkpoints that hold other kinds of files.
bool isAuxiliaryFolder(const QString& name)
{
    static const QStringList kNames{QStringLiteral("loras"),      QStringLiteral("lora"),   QStringLiteral("lycoris"),
                                    QStringLiteral("embeddings"), QStringLiteral("vae"),    QStringLiteral("vae-approx"),
                                    QStringLiteral("textual_inversion")};
    return kNames.contains(name.toLower());
}

const QStringList& singleFileNameFilters()
{
    static const QStringList kFilters{QStringLiteral("*.safetensors"), QStringLiteral("*.ckpt")};
    return kFilters;
}

}  // namespace

QString ModelInfo::summary() const
{
    if (!ok()) return error;
    QString s = QStringLiteral("%1 · %2 · %3").arg(kindLabel(kind), dtype, QLocale::c().formattedDataSize(bytes));
    if (singleFile) s += QStringLiteral(" · single file, %1 channels").arg(unetInChannels);
    return s;
}

QString ModelInfo::family() const { return familyOf(kind); }

QString modelFamily(const QString& path)
{
    const QFileInfo fi(path);
    if (path.isEmpty() || !fi.exists()) return {};
    const QString key = fi.absoluteFilePath() + QLatin1Char('|') + QString::number(fi.lastModified().toMSecsSinceEpoch());
    static QMutex mutex;
    static QHash<QString, QString> known;
    {
        const QMutexLocker lock(&mutex);
        if (const auto it = known.constFind(key); it != known.cend()) return *it;
    }
    QString family;
    try {
        if (fi.isDir()) {
            family = familyOf(QString::fromStdString(
                models::toString(models::DiffusersFolder::open(fi.absoluteFilePath().toStdString()).detectKind())));
        } else if (const auto probed = models::SingleFileCheckpoint::probe(fi.absoluteFilePath().toStdString())) {
            family = familyOf(QString::fromStdString(models::toString(probed->kind)));
        }
    } catch (const std::exception&) {
        // unreadable: no family
    }
    const QMutexLocker lock(&mutex);
    known.insert(key, family);
    return family;
}

ModelInfo describeModel(const QString& folder)
{
    ModelInfo info;
    info.path = QDir(folder).absolutePath();
    info.name = QFileInfo(info.path).fileName();
    try {
        const auto f = models::DiffusersFolder::open(info.path.toStdString());
        for (const char* c : {"unet", "vae", "text_encoder", "tokenizer", "scheduler"})
            if (!f.hasComponent(c))
                throw models::ConfigError("model_index.json names no '" + std::string(c) + "' component");
        info.kind = QString::fromStdString(models::toString(f.detectKind()));
        info.unetInChannels = f.componentConfig("unet").value("in_channels", 4);
        info.defaultScheduler = QString::fromStdString(f.defaultScheduler());
        const auto vae = f.componentConfig("vae");
        const int blocks = vae.contains("block_out_channels") && vae["block_out_channels"].is_array()
                               ? int(vae["block_out_channels"].size())
                               : 1;
        info.latentShape = QStringLiteral("%1ch/%2x").arg(vae.value("latent_channels", 4)).arg(1 << std::max(0, blocks - 1));
        info.nativeSize = nativeSizeOf(f.componentConfig("unet"), blocks);
        info.predictionType = QString::fromStdString(f.predictionType());
        std::map<std::string, int64_t> unetDtypes;
        for (const char* c : {"unet", "vae", "text_encoder", "text_encoder_2"}) {
            if (!f.hasComponent(c)) continue;  // only SDXL has a second text encoder
            for (const auto& file : f.openWeights(c)) {
                for (const auto& n : file->names()) {
                    const auto& t = file->info(n);
                    info.bytes += static_cast<qint64>(t.end - t.begin);
                    if (std::string(c) == "unet") unetDtypes[t.dtype] += static_cast<int64_t>(t.end - t.begin);
                }
            }
        }
        if (unetDtypes.size() == 1) info.dtype = dtypeLabel(unetDtypes.begin()->first);
        else if (!unetDtypes.empty()) {
            const auto most = std::max_element(unetDtypes.begin(), unetDtypes.end(),
                                               [](const auto& a, const auto& b) { return a.second < b.second; });
            info.dtype = dtypeLabel(most->first) + QStringLiteral(" (mixed)");
        }
        if (info.unetInChannels != 4 && info.unetInChannels != 9)
            info.error = QStringLiteral("%1: the UNet takes %2 input channels; Inpaint Studio runs 4 (ordinary) and 9 "
                                        "(inpainting) channel models")
                             .arg(info.name)
                             .arg(info.unetInChannels);
    } catch (const std::exception& e) {
        info.error = QStringLiteral("%1: %2").arg(info.name, QString::fromStdString(e.what()));
    }
    return info;
}

std::optional<ModelInfo> describeSingleFile(const QString& file)
{
    ModelInfo info;
    const QFileInfo fi(file);
    info.path = fi.absoluteFilePath();
    info.name = fi.fileName();
    info.singleFile = true;
    info.bytes = fi.size();
    auto takeKeys = [&](const models::SingleFileInfo& k) {
        info.kind = QString::fromStdString(models::toString(k.kind));
        info.unetInChannels = int(k.inChannels);
        info.dtype = dtypeLabel(k.dtype);
    };
    try {
        // Maps the file once, resolves the configs (a <stem>.yaml beside it, else the shipped ones)
        // and checks every key maps somewhere, as a job would, still without reading weights.
        const auto c = models::SingleFileCheckpoint::open(info.path.toStdString());
        takeKeys(c.info());
        info.predictionType = QString::fromStdString(c.predictionType());
        info.defaultScheduler = QString::fromStdString(c.schedulerConfig().value("_class_name", "PNDMScheduler"));
        const auto vae = c.vae().config;
        const int blocks = vae.contains("block_out_channels") && vae["block_out_channels"].is_array()
                               ? int(vae["block_out_channels"].size())
                               : 1;
        info.latentShape = QStringLiteral("%1ch/%2x").arg(vae.value("latent_channels", 4)).arg(1 << std::max(0, blocks - 1));
        info.nativeSize = nativeSizeOf(c.unet().config, blocks);
    } catch (const std::exception& e) {
        info.error = QStringLiteral("%1: %2").arg(info.name, QString::fromStdString(e.what()));
        // Only a file that failed is read again: to tell a VAE, LoRA or embedding file (not a
        // model) from a broken checkpoint, and to show the family the keys give.
        try {
            const auto probed = models::SingleFileCheckpoint::probe(info.path.toStdString());
            if (!probed) return std::nullopt;
            takeKeys(*probed);
        } catch (const std::exception&) {
            // unreadable keys: the first message says why
        }
    }
    return info;
}

QList<ModelInfo> scanModelFolders(const QStringList& folders)
{
    QList<ModelInfo> out;
    QStringList seen;
    auto add = [&](const QString& dir) {
        const QString abs = QDir(dir).canonicalPath();
        if (abs.isEmpty() || seen.contains(abs)) return;
        seen << abs;
        out << describeModel(abs);
    };
    auto addFiles = [&](const QDir& dir) {
        for (const QFileInfo& f : dir.entryInfoList(singleFileNameFilters(), QDir::Files | QDir::Readable, QDir::Name)) {
            const QString abs = f.canonicalFilePath();
            if (abs.isEmpty() || seen.contains(abs)) continue;
            seen << abs;
            if (auto info = describeSingleFile(abs)) out << *info;
        }
    };
    for (const QString& folder : folders) {
        const QDir d(folder);
        if (folder.isEmpty() || !d.exists()) continue;
        if (d.exists(QStringLiteral("model_index.json"))) {
            add(folder);
            continue;
        }
        for (const QFileInfo& sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
            if (QDir(sub.filePath()).exists(QStringLiteral("model_index.json"))) add(sub.filePath());
            else if (!isAuxiliaryFolder(sub.fileName()))
                addFiles(QDir(sub.filePath()));  // A1111 keeps checkpoints in subfolders too
        }
        addFiles(d);
    }
    std::stable_sort(out.begin(), out.end(), [](const ModelInfo& a, const ModelInfo& b) {
        return a.name.compare(b.name, Qt::CaseInsensitive) < 0;
    });
    return out;
}

AddOnFiles scanAddOnFiles(const QStringList& folders)
{
    AddOnFiles out;
    const QStringList weights{QStringLiteral("*.safetensors"), QStringLiteral("*.pt"), QStringLiteral("*.ckpt"),
                              QStringLiteral("*.bin")};
    auto byName = [](QStringList& l) {
        std::stable_sort(l.begin(), l.end(), [](const QString& a, const QString& b) {
            return QFileInfo(a).fileName().compare(QFileInfo(b).fileName(), Qt::CaseInsensitive) < 0;
        });
        l.removeDuplicates();
    };
    for (const QString& folder : folders) {
        const QDir d(folder);
        if (folder.isEmpty() || !d.exists()) continue;
        for (const QFileInfo& sub : d.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
            const QString name = sub.fileName().toLower();
            if (name == QLatin1String("loras") || name == QLatin1String("lora") || name == QLatin1String("lycoris")) {
                out.loraFolders << sub.absoluteFilePath();
                QDirIterator it(sub.absoluteFilePath(), weights, QDir::Files | QDir::Readable,
                                QDirIterator::Subdirectories | QDirIterator::FollowSymlinks);
                while (it.hasNext()) out.loras << it.next();
            } else if (name == QLatin1String("embeddings") || name == QLatin1String("textual_inversion")) {
                out.embeddingFolders << sub.absoluteFilePath();
            } else if (name == QLatin1String("vae")) {
                const QDir vae(sub.absoluteFilePath());
                for (const QFileInfo& f : vae.entryInfoList(weights, QDir::Files | QDir::Readable, QDir::Name))
                    out.vaes << f.absoluteFilePath();
                for (const QFileInfo& f : vae.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name)) {
                    const QString cls = configClass(f.absoluteFilePath());
                    if (cls == QLatin1String("AutoencoderTiny")) out.tinyVaes << f.absoluteFilePath();
                    else if (!cls.isNull()) out.vaes << f.absoluteFilePath();
                }
            } else if (configClass(sub.absoluteFilePath()) == QLatin1String("AutoencoderTiny")) {
                out.tinyVaes << sub.absoluteFilePath();  // e.g. madebyollin/taesd dropped in as taesd/
            }
        }
    }
    byName(out.loras);
    byName(out.vaes);
    byName(out.tinyVaes);
    return out;
}

QString defaultModelsFolder()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/inpaint-studio/models");
}

}  // namespace inpaint::jobs
