// Euler sampler of Karras et al. (2022, arXiv 2206.00364, Algorithm 2) with optional churn, Karras
// sigmas, log-linear sigma interpolation and continuous timesteps. Mirrors diffusers 0.25.1
// schedulers/scheduling_euler_discrete.py (EulerDiscreteScheduler), which draws one noise tensor in
// every step() even when s_churn = 0 leaves it unused: this port draws it too, so the pipeline's
// generator advances exactly as diffusers' does.
#pragma once

#include "core/diffusion/schedulers/sigma_scheduler.h"

namespace inpaint::diffusion {

class EulerDiscreteScheduler final : public SigmaScheduler {
public:
    explicit EulerDiscreteScheduler(SchedulerConfig config);

    bool stepDrawsNoise(const StepOptions&) const override { return true; }
    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;
};

}  // namespace inpaint::diffusion
