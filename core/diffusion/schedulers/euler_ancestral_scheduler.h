// Ancestral Euler sampler ("Euler a", k-diffusion's sample_euler_ancestral with eta 1): an Euler
// step down to sigma_down, then fresh noise of size sigma_up. Mirrors diffusers 0.25.1
// schedulers/scheduling_euler_ancestral_discrete.py (EulerAncestralDiscreteScheduler).
#pragma once

#include "core/diffusion/schedulers/sigma_scheduler.h"

namespace inpaint::diffusion {

class EulerAncestralScheduler final : public SigmaScheduler {
public:
    explicit EulerAncestralScheduler(SchedulerConfig config);

    bool stepDrawsNoise(const StepOptions&) const override { return true; }
    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;
};

}  // namespace inpaint::diffusion
