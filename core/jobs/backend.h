// Backend: the engine-specific half of one job, on the worker thread. runJob() (run_job.h) does
// everything that is the same for every engine — validation, mask growth and feather, the work
// region, paste-back, previews, error mapping — and asks a backend only to prepare (load a
// model) and to turn the work image and mask into the work-size output.
// Implementations: classical (OpenCV), diffusion (torch), fakes in the tests.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <atomic>
#include <functional>
#include <memory>

namespace inpaint::jobs {

struct StepReport {
    int step = 0;        // 1-based
    int total = 0;
    QImage preview;      // full-size and composed like the result; may be null
    QString status;      // when set (step 0), a stage before the steps: "Loading model ..."
};

using StepSink = std::function<void(const StepReport&)>;
using StatusSink = std::function<void(const QString& stage)>;
// A step's preview at work size (RGB888, or the document's format for keepFormat backends);
// null when the backend has nothing to show for that step.
using WorkPreviewSink = std::function<void(int step, int total, const QImage& workPreview)>;

// What a backend needs of the work region, known once its model is loaded.
struct WorkNeeds {
    bool keepFormat = false;  // the document's own pixels and format, the whole image, unscaled (classical)
    int multiple = 8;         // the work size is a multiple of this (VAE scale factor)
    int nativeSize = 512;     // long side of an only-masked region
    QString engine;           // device and precision that run, and why: "cpu bf16 (auto: ...)"; empty: none
    QString family;           // the model's family ("SD 1.x", "SDXL"); empty: no model
};

class Backend {
public:
    virtual ~Backend() = default;
    // Loads what the request needs (a model), reporting stages through onStatus. Throws on
    // failure (a sentence naming the problem) and models::Cancelled once `cancel` is set.
    virtual WorkNeeds prepare(const InpaintRequest& request, const StatusSink& onStatus,
                              const std::atomic<bool>& cancel) = 0;
    // The work-size output for the work image and mask (WorkRegion). Reports every step; the
    // preview of the last step may be left null, because runJob shows the final image there.
    // Throws on failure and models::Cancelled when `cancel` is set (checked between steps and,
    // for the diffusion backend, between the UNet's blocks).
    virtual QImage run(const InpaintRequest& request, const QImage& workImage, const QImage& workMask,
                       const WorkPreviewSink& onStep, const std::atomic<bool>& cancel) = 0;
};

// Picks the backend for a request's pipeline; returns nullptr with *error set when the pipeline
// is not available (e.g. a neural pipeline without a model).
using BackendFactory = std::function<std::unique_ptr<Backend>(const InpaintRequest&, QString* error)>;
BackendFactory defaultBackendFactory();

}  // namespace inpaint::jobs
