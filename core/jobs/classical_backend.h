// ClassicalBackend: OpenCV Telea / Navier-Stokes inpainting as a job backend. Needs no
// weights; it is what runs when no model is installed.
#pragma once

#include "core/jobs/backend.h"

namespace inpaint::jobs {

// Checks a request's image and mask before any backend runs: returns an empty string when
// they are usable, else one sentence saying what is wrong (null image, mask size, ...).
QString validateImageAndMask(const InpaintRequest& request);

class ClassicalBackend final : public Backend {
public:
    InpaintResult run(const InpaintRequest& request, const StepSink& onStep,
                      const std::atomic<bool>& cancel) override;
};

}  // namespace inpaint::jobs
