// The spellings of the request's choices and the one validation of a request.
#include "core/jobs/inpaint_request.h"

#include "core/imaging/image_io.h"
#include "core/jobs/diffusion_backend.h"

#include <QRandomGenerator>

#include <cmath>
#include <iterator>

namespace inpaint::jobs {

namespace {

template <class E> struct Spelling {
    E value;
    const char* name;
};

constexpr Spelling<PipelineKind> kPipelines[] = {
    {PipelineKind::ClassicalTelea, "classical-telea"}, {PipelineKind::ClassicalNS, "classical-ns"},
    {PipelineKind::Blend, "blend"}, {PipelineKind::InpaintUnet, "inpaint-unet"}, {PipelineKind::Auto, "auto"},
    {PipelineKind::Img2Img, "img2img"},
};
constexpr Spelling<BlendTiming> kTimings[] = {{BlendTiming::Next, "next"}, {BlendTiming::Current, "current"}};
constexpr Spelling<MaskedContent> kContents[] = {
    {MaskedContent::Original, "original"}, {MaskedContent::Fill, "fill"}, {MaskedContent::LatentNoise, "latent-noise"}};
constexpr Spelling<RegionMode> kRegions[] = {{RegionMode::Whole, "whole"}, {RegionMode::Masked, "masked"}};
constexpr Spelling<PreviewMode> kPreviews[] = {{PreviewMode::Auto, "auto"}, {PreviewMode::Approximate, "approximate"},
                                               {PreviewMode::Full, "full"}, {PreviewMode::None, "none"},
                                               {PreviewMode::Tiny, "tiny"}, {PreviewMode::TinyHalf, "tiny-half"}};
constexpr Spelling<VaeTiling> kTilings[] = {{VaeTiling::Auto, "auto"}, {VaeTiling::On, "on"}, {VaeTiling::Off, "off"}};
constexpr Spelling<Device> kDevices[] = {{Device::Auto, "auto"}, {Device::Cpu, "cpu"}, {Device::Cuda, "cuda"}};
constexpr Spelling<Precision> kPrecisions[] = {
    {Precision::Auto, "auto"}, {Precision::Fp32, "fp32"}, {Precision::Fp16, "fp16"}, {Precision::Bf16, "bf16"}};

template <class E> constexpr auto& table();
template <> constexpr auto& table<PipelineKind>() { return kPipelines; }
template <> constexpr auto& table<BlendTiming>() { return kTimings; }
template <> constexpr auto& table<MaskedContent>() { return kContents; }
template <> constexpr auto& table<RegionMode>() { return kRegions; }
template <> constexpr auto& table<PreviewMode>() { return kPreviews; }
template <> constexpr auto& table<VaeTiling>() { return kTilings; }
template <> constexpr auto& table<Device>() { return kDevices; }
template <> constexpr auto& table<Precision>() { return kPrecisions; }

template <class E> QString nameOf(E v)
{
    for (const auto& s : table<E>())
        if (s.value == v) return QString::fromLatin1(s.name);
    return QStringLiteral("unknown");
}

QString num(double v) { return QString::number(v, 'g', 10); }

}  // namespace

QString name(PipelineKind v) { return nameOf(v); }
QString name(BlendTiming v) { return nameOf(v); }
QString name(MaskedContent v) { return nameOf(v); }
QString name(RegionMode v) { return nameOf(v); }
QString name(PreviewMode v) { return nameOf(v); }
QString name(VaeTiling v) { return nameOf(v); }
QString name(Device v) { return nameOf(v); }
QString name(Precision v) { return nameOf(v); }

template <class E> std::optional<E> parse(const QString& s)
{
    for (const auto& t : table<E>())
        if (s == QLatin1String(t.name)) return t.value;
    return std::nullopt;
}

template <class E> QStringList names()
{
    QStringList out;
    for (const auto& t : table<E>()) out << QString::fromLatin1(t.name);
    return out;
}

#define INPAINT_ENUM_SPELLING(E)                             \
    template std::optional<E> parse<E>(const QString& s); \
    template QStringList names<E>();
INPAINT_ENUM_SPELLING(PipelineKind)
INPAINT_ENUM_SPELLING(BlendTiming)
INPAINT_ENUM_SPELLING(MaskedContent)
INPAINT_ENUM_SPELLING(RegionMode)
INPAINT_ENUM_SPELLING(PreviewMode)
INPAINT_ENUM_SPELLING(VaeTiling)
INPAINT_ENUM_SPELLING(Device)
INPAINT_ENUM_SPELLING(Precision)
#undef INPAINT_ENUM_SPELLING

bool parsePipelineName(const QString& s, PipelineKind* out)
{
    const auto k = parse<PipelineKind>(s);
    if (k && out) *out = *k;
    return k.has_value();
}

bool isClassical(PipelineKind k)
{
    return k == PipelineKind::ClassicalTelea || k == PipelineKind::ClassicalNS;
}

quint64 drawSeed()
{
    return QRandomGenerator::system()->generate();
}

void InpaintRequest::resolveSeed()
{
    if (!randomSeed) return;
    seed = drawSeed();
    randomSeed = false;
}

QList<Violation> InpaintRequest::validate(bool checkPixels) const
{
    using namespace limits;
    QList<Violation> out;
    auto range = [&](const char* key, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi))  // also catches NaN
            out.append({QString::fromLatin1(key), QStringLiteral("must be %1 to %2 (got %3)").arg(num(lo), num(hi), num(v))});
    };

    if (checkPixels) {
        if (image.isNull() || image.width() <= 0 || image.height() <= 0) {
            out.append({QStringLiteral("image"), QStringLiteral("is empty: there is nothing to inpaint")});
        } else if (qint64(image.width()) * image.height() > imaging::kMaxImagePixels) {
            out.append({QStringLiteral("image"), QStringLiteral("is %1x%2, more than the %3 megapixels this editor handles")
                                                     .arg(image.width()).arg(image.height())
                                                     .arg(imaging::kMaxImagePixels / 1000000)});
        }
        if (mask.isNull()) {
            out.append({QStringLiteral("mask"), QStringLiteral("is missing: paint the area to repaint first")});
        } else {
            if (!image.isNull() && mask.size() != image.size())
                out.append({QStringLiteral("mask"), QStringLiteral("is %1x%2 but the image is %3x%4; they must be the same size")
                                                        .arg(mask.width()).arg(mask.height())
                                                        .arg(image.width()).arg(image.height())});
            if (mask.format() != QImage::Format_Grayscale8)
                out.append({QStringLiteral("mask"), QStringLiteral("must be an 8-bit greyscale image")});
        }
    }

    if (pipeline == PipelineKind::Auto || isClassical(pipeline))
        range("radius", classicalRadius, kRadiusMin, kRadiusMax);
    range("mask-grow", maskGrow, kMaskGrowMin, kMaskGrowMax);
    if (isClassical(pipeline)) return out;

    if (pipeline != PipelineKind::Auto && modelPath.isEmpty())
        out.append({QStringLiteral("model"), QStringLiteral("is missing: the %1 pipeline needs a Stable Diffusion model "
                                                            "(or use classical-telea or classical-ns)")
                                                 .arg(name(pipeline))});
    if (prompt.size() > kPromptMaxChars)
        out.append({QStringLiteral("prompt"), QStringLiteral("is %1 characters long; at most %2 are allowed")
                                                  .arg(prompt.size()).arg(kPromptMaxChars)});
    if (clipSkip < kClipSkipMin || clipSkip > kClipSkipMax)
        out.append({QStringLiteral("clip-skip"), QStringLiteral("must be %1 to %2 (got %3)").arg(kClipSkipMin).arg(kClipSkipMax).arg(clipSkip)});
    for (const LoraUse& l : loras)
        if (!(l.weight >= kLoraWeightMin && l.weight <= kLoraWeightMax))
            out.append({QStringLiteral("lora"), QStringLiteral("weight of '%1' must be %2 to %3 (got %4)")
                                                    .arg(l.file).arg(kLoraWeightMin).arg(kLoraWeightMax).arg(l.weight)});
    if (negativePrompt.size() > kPromptMaxChars)
        out.append({QStringLiteral("negative-prompt"), QStringLiteral("is %1 characters long; at most %2 are allowed")
                                                           .arg(negativePrompt.size()).arg(kPromptMaxChars)});
    if (const QStringList known = schedulerNames(); !known.contains(scheduler))
        out.append({QStringLiteral("scheduler"), QStringLiteral("must be one of %1 (got '%2')")
                                                     .arg(known.join(QStringLiteral(", ")), scheduler)});
    range("steps", steps, kStepsMin, kStepsMax);
    range("guidance", guidance, kGuidanceMin, kGuidanceMax);
    if (!(strength > 0.0 && strength <= kStrengthMax))
        out.append({QStringLiteral("strength"), QStringLiteral("must be greater than 0 and at most 1 (got %1)").arg(num(strength))});
    else if (steps >= kStepsMin && int(steps * strength) < 1)
        out.append({QStringLiteral("strength"),
                    QStringLiteral("must be large enough that steps x strength leaves at least one step (got %1 x %2)")
                        .arg(steps).arg(num(strength))});
    range("eta", eta, kEtaMin, kEtaMax);
    range("mask-blur", maskBlur, kMaskBlurMin, kMaskBlurMax);
    range("region-padding", regionPadding, kRegionPaddingMin, kRegionPaddingMax);
    auto sizeRule = [&](const char* key, const std::optional<QSize>& s) {
        if (s && (s->width() < 1 || s->height() < 1 || s->width() > kMicroSizeMax || s->height() > kMicroSizeMax))
            out.append({QString::fromLatin1(key), QStringLiteral("must be two sizes of 1 to %1 pixels, height first (got %2,%3)")
                                                      .arg(kMicroSizeMax).arg(s->height()).arg(s->width())});
    };
    sizeRule("original-size", originalSize);
    sizeRule("target-size", targetSize);
    if (cropsTopLeft && (cropsTopLeft->x() < 0 || cropsTopLeft->y() < 0 || cropsTopLeft->x() > kMicroSizeMax ||
                         cropsTopLeft->y() > kMicroSizeMax))
        out.append({QStringLiteral("crops-coords-top-left"), QStringLiteral("must be two offsets of 0 to %1 pixels, top first (got %2,%3)")
                                                                 .arg(kMicroSizeMax).arg(cropsTopLeft->y()).arg(cropsTopLeft->x())});
    return out;
}

}  // namespace inpaint::jobs
