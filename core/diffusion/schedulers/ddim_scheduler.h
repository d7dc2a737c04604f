// DDIM (Song et al. 2020, arXiv 2010.02502) with eta, clip_sample, dynamic thresholding and
// zero-terminal-SNR betas. Mirrors diffusers 0.25.1 schedulers/scheduling_ddim.py (DDIMScheduler).
#pragma once

#include "core/diffusion/schedulers/scheduler.h"

namespace inpaint::diffusion {

class DdimScheduler final : public Scheduler {
public:
    explicit DdimScheduler(SchedulerConfig config);

    bool stepDrawsNoise(const StepOptions& options) const override { return options.eta > 0.0; }
    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const override;
    using Scheduler::addNoise;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;

private:
    torch::Tensor m_finalAlphaCumprod;  // 0-d float32
};

// Shared by DDIM and PNDM: sqrt(a_t) * x0 + sqrt(1 - a_t) * noise, in the sample's dtype.
torch::Tensor addNoiseByAlphas(const torch::Tensor& alphasCumprod, const torch::Tensor& original,
                               const torch::Tensor& noise, const torch::Tensor& timesteps);
// diffusers' _threshold_sample (Imagen dynamic thresholding), shared by DDIM and DPM-Solver.
torch::Tensor thresholdSample(const torch::Tensor& sample, double ratio, double maxValue);

}  // namespace inpaint::diffusion
