// Backend: what the worker thread runs for one request. Implementations: classical
// (OpenCV), fake (tests), torch (diffusion; later). Runs on the worker thread only.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <atomic>
#include <functional>
#include <memory>

namespace inpaint::jobs {

struct StepReport {
    int step = 0;        // 1-based
    int total = 0;
    QImage preview;      // may be null when the backend has nothing to show
    QString status;      // when set (step 0), a stage before the steps: "Loading model ..."
};

using StepSink = std::function<void(const StepReport&)>;

class Backend {
public:
    virtual ~Backend() = default;
    // Must check `cancel` between steps and return JobStatus::Canceled promptly.
    virtual InpaintResult run(const InpaintRequest& request, const StepSink& onStep,
                              const std::atomic<bool>& cancel) = 0;
};

// Picks the backend for a request's pipeline; returns nullptr with *error set when
// the pipeline is not available (e.g. a neural pipeline without a model).
using BackendFactory = std::function<std::unique_ptr<Backend>(const InpaintRequest&, QString* error)>;
BackendFactory defaultBackendFactory();

}  // namespace inpaint::jobs
