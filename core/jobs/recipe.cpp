// A1111-style `parameters` text (see recipe.h).
#include "core/jobs/recipe.h"

#include "core/jobs/model_library.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QMutex>
#include <QRegularExpression>
#include <QStringList>

namespace inpaint::jobs {

namespace {

struct SamplerName {
    const char* scheduler;
    const char* a1111;
};
constexpr SamplerName kSamplers[] = {
    {"ddim", "DDIM"},           {"pndm", "PLMS"},         {"euler", "Euler"},
    {"euler-a", "Euler a"},     {"dpmpp-2m", "DPM++ 2M"}, {"dpmpp-2m-karras", "DPM++ 2M Karras"},
    {"lms", "LMS"},             {"lcm", "LCM"},
};

QString quoteIfNeeded(const QString& v)
{
    if (!v.contains(QLatin1Char(',')) && !v.contains(QLatin1Char(':')) && !v.contains(QLatin1Char('"'))) return v;
    QString e = v;
    e.replace(QLatin1Char('\\'), QStringLiteral("\\\\")).replace(QLatin1Char('"'), QStringLiteral("\\\""));
    return QLatin1Char('"') + e + QLatin1Char('"');
}

QString number(double v) { return QString::number(v, 'g', 6); }

// "Key: value, Key: "quoted, value", ..." -> map (keys as written).
QMap<QString, QString> parseSettingsLine(const QString& line)
{
    QMap<QString, QString> out;
    int i = 0;
    const int n = int(line.size());
    while (i < n) {
        while (i < n && (line[i] == QLatin1Char(' ') || line[i] == QLatin1Char(','))) ++i;
        const int colon = int(line.indexOf(QLatin1Char(':'), i));
        if (colon < 0) break;
        const QString key = line.mid(i, colon - i).trimmed();
        i = colon + 1;
        while (i < n && line[i] == QLatin1Char(' ')) ++i;
        QString value;
        if (i < n && line[i] == QLatin1Char('"')) {
            ++i;
            while (i < n && line[i] != QLatin1Char('"')) {
                if (line[i] == QLatin1Char('\\') && i + 1 < n) ++i;
                value += line[i++];
            }
            ++i;  // closing quote
        } else {
            const int comma = int(line.indexOf(QLatin1Char(','), i));
            const int end = comma < 0 ? n : comma;
            value = line.mid(i, end - i).trimmed();
            i = end;
        }
        if (!key.isEmpty()) out.insert(key, value);
    }
    return out;
}

bool looksLikeSettings(const QString& line)
{
    static const QRegularExpression re(QStringLiteral("^\\s*Steps: \\d+"));
    return re.match(line).hasMatch();
}

}  // namespace

QString fileSha256(const QString& path)
{
    const QFileInfo info(path);
    if (!info.isFile()) return {};
    // A multi-GB checkpoint takes seconds to hash: remember it while size and time are the same.
    static QMutex mutex;
    static QMap<QString, QPair<QString, QString>> cache;  // path -> (size|mtime, hash)
    const QString stamp = QStringLiteral("%1|%2").arg(info.size()).arg(info.lastModified().toMSecsSinceEpoch());
    {
        QMutexLocker lock(&mutex);
        const auto it = cache.constFind(info.absoluteFilePath());
        if (it != cache.constEnd() && it->first == stamp) return it->second;
    }
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    if (!h.addData(&f)) return {};
    const QString hex = QString::fromLatin1(h.result().toHex());
    QMutexLocker lock(&mutex);
    cache.insert(info.absoluteFilePath(), {stamp, hex});
    return hex;
}

QString samplerLabel(const QString& scheduler)
{
    for (const auto& s : kSamplers)
        if (scheduler == QLatin1String(s.scheduler)) return QString::fromLatin1(s.a1111);
    return {};
}

QString formatParameters(const InpaintRequest& r, QSize size, const QString& modelName,
                         const QList<QPair<QString, QString>>& extra)
{
    QStringList lines;
    lines << r.prompt;
    if (!r.negativePrompt.isEmpty()) lines << QStringLiteral("Negative prompt: ") + r.negativePrompt;
    QStringList kv;
    auto add = [&](const QString& k, const QString& v) { kv << k + QStringLiteral(": ") + quoteIfNeeded(v); };
    if (isClassical(r.pipeline)) {
        add(QStringLiteral("Pipeline"), pipelineName(r.pipeline));
        add(QStringLiteral("Radius"), QString::number(r.classicalRadius));
        add(QStringLiteral("Size"), QStringLiteral("%1x%2").arg(size.width()).arg(size.height()));
        for (const auto& [k, v] : extra) add(k, v);
        // A1111 readers need "Steps:" to recognise the line; classical runs have none.
        return QStringLiteral("%1\nSteps: 0, %2").arg(r.prompt, kv.join(QStringLiteral(", ")));
    }
    add(QStringLiteral("Steps"), QString::number(r.steps));
    const QString sampler = samplerLabel(r.scheduler);
    if (!sampler.isEmpty()) add(QStringLiteral("Sampler"), sampler);
    add(QStringLiteral("CFG scale"), number(r.guidance));
    add(QStringLiteral("Seed"), QString::number(r.seed));
    add(QStringLiteral("Size"), QStringLiteral("%1x%2").arg(size.width()).arg(size.height()));
    if (!modelName.isEmpty()) add(QStringLiteral("Model"), modelName);
    if (const QString family = modelFamily(r.modelPath); !family.isEmpty()) add(QStringLiteral("Model family"), family);
    // A1111's short hashes: the first 10 hex digits of a single file's sha256 ("Model hash"),
    // 12 for LoRAs ("Lora hashes"). A diffusers folder has no such hash.
    if (QFileInfo(r.modelPath).isFile())
        if (const QString h = fileSha256(r.modelPath); !h.isEmpty()) add(QStringLiteral("Model hash"), h.left(10));
    if (!r.vaePath.isEmpty()) {
        add(QStringLiteral("VAE"), QFileInfo(r.vaePath).fileName());
        if (const QString h = fileSha256(r.vaePath); !h.isEmpty()) add(QStringLiteral("VAE hash"), h.left(10));
    }
    if (r.tinyDecoder) add(QStringLiteral("VAE Decoder"), QStringLiteral("TAESD"));  // A1111's key and value
    if (r.clipSkip != 1) add(QStringLiteral("Clip skip"), QString::number(r.clipSkip));
    if (!r.loras.isEmpty()) {
        QStringList names, hashes;
        for (const LoraUse& l : r.loras) {
            const QString stem = QFileInfo(l.file).completeBaseName();
            names << QStringLiteral("%1:%2").arg(stem, number(l.weight));
            if (const QString h = fileSha256(l.file); !h.isEmpty()) hashes << stem + QStringLiteral(": ") + h.left(12);
        }
        add(QStringLiteral("Lora"), names.join(QStringLiteral(", ")));
        if (!hashes.isEmpty()) add(QStringLiteral("Lora hashes"), hashes.join(QStringLiteral(", ")));
    }
    add(QStringLiteral("Denoising strength"), number(r.strength));
    add(QStringLiteral("Mask blur"), number(r.maskBlur));
    if (r.maskGrow != 0) add(QStringLiteral("Mask grow"), QString::number(r.maskGrow));
    add(QStringLiteral("Inpaint area"), r.region == RegionMode::Masked ? QStringLiteral("Only masked")
                                                                        : QStringLiteral("Whole picture"));
    if (r.region == RegionMode::Masked)
        add(QStringLiteral("Masked area padding"), QString::number(r.regionPadding));
    add(QStringLiteral("Masked content"), r.maskedContent == MaskedContent::LatentNoise ? QStringLiteral("latent noise")
                                                                                         : name(r.maskedContent));
    add(QStringLiteral("Pipeline"), pipelineName(r.pipeline));
    if (r.pipeline == PipelineKind::Blend) add(QStringLiteral("Blend timing"), name(r.blendTiming));
    if (r.scheduler == QLatin1String("ddim") && r.eta > 0) add(QStringLiteral("Eta"), number(r.eta));
    if (!r.pasteBack) add(QStringLiteral("Paste back"), QStringLiteral("off"));
    if (r.softInpaint && r.neural()) add(QStringLiteral("Soft inpainting"), QStringLiteral("differential diffusion"));
    // SDXL micro-conditioning the person set, in diffusers' order (height or top first).
    if (r.originalSize) add(QStringLiteral("Original size"), QStringLiteral("%1,%2").arg(r.originalSize->height()).arg(r.originalSize->width()));
    if (r.cropsTopLeft) add(QStringLiteral("Crops coords top left"), QStringLiteral("%1,%2").arg(r.cropsTopLeft->y()).arg(r.cropsTopLeft->x()));
    if (r.targetSize) add(QStringLiteral("Target size"), QStringLiteral("%1,%2").arg(r.targetSize->height()).arg(r.targetSize->width()));
    for (const auto& [k, v] : extra) add(k, v);
    lines << kv.join(QStringLiteral(", "));
    return lines.join(QLatin1Char('\n'));
}

bool parseParameters(const QString& text, InpaintRequest* out, QString* modelName, QString* modelHash)
{
    const QStringList lines = text.split(QLatin1Char('\n'));
    int settingsLine = -1;
    for (int i = int(lines.size()) - 1; i >= 0; --i)
        if (looksLikeSettings(lines[i])) {
            settingsLine = i;
            break;
        }
    if (settingsLine < 0) return false;
    QStringList prompt, negative;
    bool inNegative = false;
    for (int i = 0; i < settingsLine; ++i) {
        QString l = lines[i];
        if (l.startsWith(QStringLiteral("Negative prompt:"))) {
            inNegative = true;
            l = l.mid(16).trimmed();
        }
        (inNegative ? negative : prompt) << l;
    }
    const QMap<QString, QString> kv = parseSettingsLine(lines[settingsLine]);
    InpaintRequest r = *out;
    r.prompt = prompt.join(QLatin1Char('\n'));
    r.negativePrompt = negative.join(QLatin1Char('\n'));
    bool ok = false;
    if (const QString p = kv.value(QStringLiteral("Pipeline")); !p.isEmpty()) {
        PipelineKind k;
        if (parsePipelineName(p, &k)) r.pipeline = k;
    } else {
        r.pipeline = PipelineKind::Auto;  // an A1111 image: let the model decide
    }
    if (const int v = kv.value(QStringLiteral("Steps")).toInt(&ok); ok && v > 0) r.steps = v;
    if (const QString s = kv.value(QStringLiteral("Sampler")); !s.isEmpty()) {
        r.scheduler = QStringLiteral("default");
        for (const auto& n : kSamplers)
            if (s == QLatin1String(n.a1111)) r.scheduler = QString::fromLatin1(n.scheduler);
    }
    if (const double v = kv.value(QStringLiteral("CFG scale")).toDouble(&ok); ok) r.guidance = v;
    if (const quint64 v = kv.value(QStringLiteral("Seed")).toULongLong(&ok); ok) {
        r.seed = v;
        r.randomSeed = false;  // a recipe replays its own seed
    }
    if (const double v = kv.value(QStringLiteral("Denoising strength")).toDouble(&ok); ok) r.strength = v;
    if (const double v = kv.value(QStringLiteral("Mask blur")).toDouble(&ok); ok) r.maskBlur = v;
    if (const int v = kv.value(QStringLiteral("Mask grow")).toInt(&ok); ok) r.maskGrow = v;
    if (const int v = kv.value(QStringLiteral("Radius")).toInt(&ok); ok) r.classicalRadius = v;
    if (const QString a = kv.value(QStringLiteral("Inpaint area")); !a.isEmpty())
        r.region = a == QLatin1String("Only masked") ? RegionMode::Masked : RegionMode::Whole;
    if (const int v = kv.value(QStringLiteral("Masked area padding")).toInt(&ok); ok) r.regionPadding = v;
    if (const QString c = kv.value(QStringLiteral("Masked content")); !c.isEmpty()) {
        if (c == QLatin1String("latent noise")) r.maskedContent = MaskedContent::LatentNoise;
        else if (const auto m = parse<MaskedContent>(c)) r.maskedContent = *m;
    }
    if (const auto t = parse<BlendTiming>(kv.value(QStringLiteral("Blend timing")))) r.blendTiming = *t;
    if (const double v = kv.value(QStringLiteral("Eta")).toDouble(&ok); ok) r.eta = v;
    r.pasteBack = kv.value(QStringLiteral("Paste back")) != QLatin1String("off");
    // Ours, or A1111's soft-inpainting extension ("Soft inpainting enabled: True"): both ask for a
    // soft mask; the extension's own blending parameters are not replayed.
    r.softInpaint = kv.contains(QStringLiteral("Soft inpainting")) ||
                    kv.value(QStringLiteral("Soft inpainting enabled")) == QLatin1String("True");
    if (const int v = kv.value(QStringLiteral("Clip skip")).toInt(&ok); ok) r.clipSkip = v;
    auto pair = [&](const char* key) -> std::optional<std::pair<int, int>> {
        const QStringList p = kv.value(QString::fromLatin1(key)).split(QLatin1Char(','));
        bool okA = false, okB = false;
        if (p.size() != 2) return std::nullopt;
        const int a = p[0].trimmed().toInt(&okA), b = p[1].trimmed().toInt(&okB);
        if (!okA || !okB) return std::nullopt;
        return std::pair{a, b};
    };
    r.originalSize.reset();
    r.cropsTopLeft.reset();
    r.targetSize.reset();
    if (const auto v = pair("Original size")) r.originalSize = QSize(v->second, v->first);
    if (const auto v = pair("Crops coords top left")) r.cropsTopLeft = QPoint(v->second, v->first);
    if (const auto v = pair("Target size")) r.targetSize = QSize(v->second, v->first);
    // Files by name: resolveNamedFiles() (model_files.h) finds them in the LoRA and VAE folders.
    r.loras.clear();
    for (const QString& item : kv.value(QStringLiteral("Lora")).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        LoraUse use;
        const QString t = item.trimmed();
        const qsizetype colon = t.lastIndexOf(QLatin1Char(':'));
        use.file = colon > 0 ? t.left(colon).trimmed() : t;
        if (colon > 0)
            if (const double w = t.mid(colon + 1).toDouble(&ok); ok) use.weight = w;
        if (!use.file.isEmpty()) r.loras.append(use);
    }
    r.vaePath = kv.value(QStringLiteral("VAE"));
    r.tinyDecoder = kv.value(QStringLiteral("VAE Decoder")) == QLatin1String("TAESD");
    if (modelName) *modelName = kv.value(QStringLiteral("Model"));
    if (modelHash) *modelHash = kv.value(QStringLiteral("Model hash"));
    *out = r;
    return true;
}

}  // namespace inpaint::jobs
