// runJob: the one way a job runs, for the editor's worker, compare mode and inpaint-cli alike.
// In order: validate the request, draw a random seed if asked, pick the backend, skip the work
// for an empty mask, prepare the backend (load the model), plan the work region once, run the
// backend on the region, compose every step's preview and the result through the region, and map
// every failure to one clear sentence. A cancel — while queued, during the model load, between
// steps or inside a UNet call — gives JobStatus::Canceled and no image.
#pragma once

#include "core/jobs/backend.h"

namespace inpaint::jobs {

// `onStep` gets stage reports (status, step 0) and one report per step; the last step's preview
// is the result image itself. The result's `seed` is the seed used.
InpaintResult runJob(InpaintRequest request, const BackendFactory& factory, const StepSink& onStep,
                     const std::atomic<bool>& cancel);

// One sentence for the person from a list of violations ("steps must be 1 to 1000 (got 0).").
QString describeViolations(const QList<Violation>& violations);

}  // namespace inpaint::jobs
