// InpaintRequest / InpaintResult: the immutable values that cross from the UI to the
// worker thread and back. Plain data, cheap to copy (QImage is implicitly shared).
#pragma once

#include <QImage>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <cstdint>

namespace inpaint::jobs {

enum class PipelineKind {
    ClassicalTelea,  // OpenCV INPAINT_TELEA
    ClassicalNS,     // OpenCV INPAINT_NS (Navier-Stokes)
    Blend,           // ordinary SD checkpoint, latents outside the mask replaced each step
    InpaintUnet,     // 9-channel inpainting checkpoint
    Auto,            // inpaint-unet for a 9-channel UNet, blend otherwise, classical without a model
};

QString pipelineName(PipelineKind k);                    // "classical-telea", "blend", ...
bool parsePipelineName(const QString& s, PipelineKind* out);
bool isClassical(PipelineKind k);

struct InpaintRequest {
    quint64 id = 0;           // filled by JobQueue::submit
    QImage image;             // the document's pixels in their own format (8/16-bit, grey/RGB/RGBA)
    QImage mask;              // Format_Grayscale8, same size as image; > 0 means repaint
    PipelineKind pipeline = PipelineKind::ClassicalTelea;
    int classicalRadius = 5;  // pixels, for the classical pipelines

    // Diffusion settings (used once a model is loaded; carried through today).
    QString modelPath;
    QString prompt;
    QString negativePrompt;
    QString scheduler = QStringLiteral("default");
    int steps = 30;
    double guidance = 7.5;
    double strength = 1.0;
    double eta = 0.0;          // DDIM only
    quint64 seed = 0;
    QString blendTiming = QStringLiteral("next");        // next | current
    QString maskedContent = QStringLiteral("original");  // original | fill | latent-noise (blend)
    QString region = QStringLiteral("whole");            // whole | masked
    int regionPadding = 32;    // pixels around the mask's box in "masked" region mode
    double maskBlur = 4.0;     // feather of the paste-back edge, pixels
    int maskGrow = 0;          // grow (> 0) or shrink (< 0) the mask by this many pixels first
    bool pasteBack = true;     // off: pixels outside the mask may change (the model's own output)
    QString device = QStringLiteral("auto");             // auto | cpu | cuda
    QString dtype = QStringLiteral("auto");              // auto | fp32 | fp16 | bf16
    QString previewMode = QStringLiteral("auto");        // auto | approximate | full | none
    QString latentsOut;        // when set, the final latents are written there (safetensors)
    // The starting noise is the seed's first draw whatever the pipeline (compare mode: every slot
    // with the same latent size starts from identical noise). Off: diffusers' draw order.
    bool sharedNoise = false;
};

enum class JobStatus { Ok, Canceled, Failed };

struct InpaintResult {
    quint64 jobId = 0;
    JobStatus status = JobStatus::Failed;
    QImage image;             // same size and format as the request's image; unmasked pixels identical
    QString error;            // one clear sentence when status == Failed
    double seconds = 0.0;     // wall time inside the worker
    bool ok() const { return status == JobStatus::Ok; }
};

}  // namespace inpaint::jobs

Q_DECLARE_METATYPE(inpaint::jobs::InpaintRequest)
Q_DECLARE_METATYPE(inpaint::jobs::InpaintResult)
