// InpaintRequest / InpaintResult: the immutable values that cross from the UI to the
// worker thread and back. Plain data, cheap to copy (QImage is implicitly shared).
//
// Every choice is an enum with one spelling table (names are what the CLI, the settings and the
// recipes write), and every limit lives in `limits` below: InpaintRequest::validate() is the one
// check that the prompt panel, `inpaint-cli run`, `inpaint-cli compare` and the recipe loader use.
#pragma once

#include <QImage>
#include <QList>
#include <QMetaType>
#include <QPoint>
#include <QRect>
#include <QString>
#include <QStringList>
#include <cstdint>
#include <optional>

namespace inpaint::jobs {

enum class PipelineKind {
    ClassicalTelea,  // OpenCV INPAINT_TELEA
    ClassicalNS,     // OpenCV INPAINT_NS (Navier-Stokes)
    Blend,           // ordinary SD checkpoint, latents outside the mask replaced each step
    InpaintUnet,     // 9-channel inpainting checkpoint
    Auto,            // inpaint-unet for a 9-channel UNet, blend otherwise, classical without a model
    Img2Img,         // the whole work image re-noised and denoised (diffusers' img2img); the mask only says
                     // where the result is pasted back (the CLI gives a white mask when there is none)
};
// Blend: the known area is re-noised to the next timestep (diffusers) or the current one.
enum class BlendTiming { Next, Current };
// Blend: what the masked area starts from.
enum class MaskedContent { Original, Fill, LatentNoise };
// Whole image, or only a crop around the mask at the model's native size.
enum class RegionMode { Whole, Masked };
// Step previews: auto = full on CUDA, approximate on CPU.
// Tiny: the tiny VAE (TAESD, tinyVaePath). Auto: on CUDA the tiny VAE when one is given, else Full;
// on the CPU Approximate (a TAESD decode costs about a quarter of a CPU step at 512²).
enum class PreviewMode { Auto, Approximate, Full, None, Tiny, TinyHalf };  // TinyHalf: from latents pooled 2x2
// VAE encode/decode in tiles (diffusers' enable_tiling): Auto tiles images over 1024x1024 px.
enum class VaeTiling { Auto, On, Off };
enum class Device { Auto, Cpu, Cuda };
// auto = fp16 on CUDA, fp32 on CPU.
enum class Precision { Auto, Fp32, Fp16, Bf16 };

// Spellings: name(x) gives the CLI / settings / recipe name, parse() reads one back, names()
// lists them in declaration order (for help texts and menus).
QString name(PipelineKind v);
QString name(BlendTiming v);
QString name(MaskedContent v);
QString name(RegionMode v);
QString name(PreviewMode v);
QString name(VaeTiling v);
QString name(Device v);
QString name(Precision v);
template <class E> std::optional<E> parse(const QString& s);
template <class E> QStringList names();

// Older spellings kept for callers that predate the template.
inline QString pipelineName(PipelineKind k) { return name(k); }
bool parsePipelineName(const QString& s, PipelineKind* out);
bool isClassical(PipelineKind k);

// The ranges every front end shows and enforces (README, CLI section).
namespace limits {
constexpr int kStepsMin = 1, kStepsMax = 1000;           // diffusers' schedulers train on 1000 timesteps
constexpr double kGuidanceMin = 0.0, kGuidanceMax = 30.0;  // <= 1: no unconditional pass; A1111's slider ends at 30
constexpr double kStrengthMax = 1.0;                       // strength is in (0, 1]
constexpr double kEtaMin = 0.0, kEtaMax = 1.0;
constexpr double kMaskBlurMin = 0.0, kMaskBlurMax = 256.0;
constexpr int kMaskGrowMin = -256, kMaskGrowMax = 256;
constexpr int kRegionPaddingMin = 0, kRegionPaddingMax = 1024;
constexpr int kRadiusMin = 1, kRadiusMax = 100;
constexpr int kPromptMaxChars = 20000;
constexpr int kClipSkipMin = 1, kClipSkipMax = 12;         // A1111's slider
constexpr double kLoraWeightMin = -10.0, kLoraWeightMax = 10.0;
constexpr int kMicroSizeMax = 16384;                      // SDXL micro-conditioning sizes and offsets, pixels
}  // namespace limits

// One broken rule of a request. `key` is the setting's CLI name without dashes ("steps",
// "mask-blur", "image"); `message` says what is wrong with the value and the allowed range and
// reads after the setting's name ("must be 1 to 1000 (got 0)").
struct Violation {
    QString key;
    QString message;
    QString text() const { return key + QLatin1Char(' ') + message; }  // "steps must be 1 to 1000 (got 0)"
};

// A LoRA file chosen in the panel or with --lora, at one weight for text encoder and UNet.
struct LoraUse {
    QString file;
    double weight = 1.0;
    bool operator==(const LoraUse&) const = default;
};

struct InpaintRequest {
    quint64 id = 0;           // filled by JobQueue::submit
    QImage image;             // the document's pixels in their own format (8/16-bit, grey/RGB/RGBA)
    QImage mask;              // Format_Grayscale8, same size as image; > 0 means repaint
    PipelineKind pipeline = PipelineKind::ClassicalTelea;
    int classicalRadius = 5;  // pixels, for the classical pipelines

    // Diffusion settings.
    QString modelPath;         // a diffusers folder or a single-file checkpoint
    // Single-file checkpoints (see models/io/single_file.h): an LDM .yaml overriding the one
    // beside the file, a diffusers folder to take configs from, the prediction type ("" = the
    // config's), the EMA weights. vaePath replaces the model's VAE (a file or a vae/ folder).
    QString originalConfig;
    QString configDir;
    QString predictionType;
    bool ema = false;
    QString vaePath;
    // Prompt extras (AUTOMATIC1111's): the LoRAs of the panel / --lora, merged with those the
    // prompt's <lora:NAME:WEIGHT> tags name (found as NAME.safetensors/.pt/.ckpt in loraDirs and
    // in the loras/ folder beside the model); textual-inversion embeddings from embeddingDirs and
    // the embeddings/ folder beside the model; CLIP skip (1 = the last layer).
    QList<LoraUse> loras;
    QStringList loraDirs;
    QStringList embeddingDirs;
    int clipSkip = 1;
    QString prompt;
    QString negativePrompt;
    QString scheduler = QStringLiteral("default");
    int steps = 30;
    double guidance = 7.5;
    double strength = 1.0;
    double eta = 0.0;          // DDIM only
    quint64 seed = 0;          // any 64-bit value (torch.Generator.manual_seed's range)
    bool randomSeed = false;   // draw `seed` when the job is submitted (JobQueue::submit); then false
    BlendTiming blendTiming = BlendTiming::Next;
    MaskedContent maskedContent = MaskedContent::Original;
    RegionMode region = RegionMode::Whole;
    int regionPadding = 32;    // pixels around the mask's box in Masked region mode
    double maskBlur = 4.0;     // feather of the paste-back edge, pixels
    int maskGrow = 0;          // grow (> 0) or shrink (< 0) the mask by this many pixels first
    bool pasteBack = true;     // off: pixels outside the mask may change (the model's own output)
    // Soft inpainting (diffusion pipelines): the mask, blurred by maskBlur, is kept grey and says
    // how much each pixel may change, step by step (diffusion::PipelineParams::softInpaint); the
    // paste-back uses it as the alpha. The classical engines have no steps and ignore it.
    bool softInpaint = false;
    Device device = Device::Auto;
    Precision dtype = Precision::Auto;
    PreviewMode previewMode = PreviewMode::Auto;
    VaeTiling vaeTiling = VaeTiling::Auto;
    bool tinyDecoder = false;  // the final decode by the tiny VAE (tinyVaePath) instead of the model's
    QString tinyVaePath;       // a diffusers AutoencoderTiny (TAESD) folder for step previews; empty: none
    QString latentsOut;        // when set, the final latents are written there (safetensors)
    // The starting noise is the seed's first draw whatever the pipeline (compare mode: every slot
    // with the same latent size starts from identical noise). Off: diffusers' draw order.
    bool sharedNoise = false;
    // SDXL micro-conditioning (add_time_ids), diffusers' original_size, crops_coords_top_left and
    // target_size; unset: set from the work region (WorkRegion::microConditioning), which for the
    // whole image is diffusers' default (the work size, (0, 0), the work size). Other families
    // ignore them. QSize is (width, height) and QPoint (left, top); the CLI reads H,W and TOP,LEFT.
    std::optional<QSize> originalSize;
    std::optional<QPoint> cropsTopLeft;
    std::optional<QSize> targetSize;

    bool neural() const { return !isClassical(pipeline); }
    // Draws the seed when randomSeed is set (then clears it); a no-op otherwise. JobQueue::submit,
    // runJob and compare (once for every slot) call it.
    void resolveSeed();
    // Every rule this request breaks, in a fixed order; empty when it can run. Pixels are checked
    // only when `checkPixels` (the UI validates settings before it has snapshot the document).
    QList<Violation> validate(bool checkPixels = true) const;
};

// A new random seed. Drawn in [0, 2^32) so it can be retyped, as A1111 draws them; every 64-bit
// seed is accepted everywhere.
quint64 drawSeed();

enum class JobStatus { Ok, Canceled, Failed };

struct InpaintResult {
    quint64 jobId = 0;
    JobStatus status = JobStatus::Failed;
    QImage image;             // same size and format as the request's image; unmasked pixels identical
    QRect changed;            // what the result may differ in from the image (mask box + grow + feather)
    QString error;            // one clear sentence when status == Failed
    quint64 seed = 0;         // the seed the job ran with (drawn when the request asked for a random one)
    double seconds = 0.0;     // wall time inside the worker
    QString engine;           // device and precision the job ran on, and why (WorkNeeds::engine)
    QString family;           // the model's family ("SD 1.x", "SD 2.x", "SDXL"); empty for classical jobs
    bool ok() const { return status == JobStatus::Ok; }
};

}  // namespace inpaint::jobs

Q_DECLARE_METATYPE(inpaint::jobs::InpaintRequest)
Q_DECLARE_METATYPE(inpaint::jobs::InpaintResult)
Q_DECLARE_METATYPE(inpaint::jobs::Device)
Q_DECLARE_METATYPE(inpaint::jobs::Precision)
