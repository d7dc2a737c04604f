// Latent Consistency Model sampling (Luo et al. 2023, arXiv 2310.04378): a few steps (1-8), each
// predicting the clean latent with the consistency boundary scalings and re-noising it to the next
// timestep. Mirrors diffusers 0.25.1 schedulers/scheduling_lcm.py (LCMScheduler), for LCM
// checkpoints and ordinary ones with an LCM-LoRA.
//
// Schedule: k = num_train_timesteps / original_inference_steps; the distillation timesteps are
// k-1, 2k-1, ..., int(original * strength) * k - 1; N of them, evenly spaced in index from the
// largest, are used. Each step: x0 from the model output (epsilon / sample / v), denoised =
// c_out x0 + c_skip x with c_skip = 0.25 / ((s t)^2 + 0.25), c_out = s t / sqrt((s t)^2 + 0.25)
// (s = timestep_scaling); then, except on the last step of the schedule (index N - 1), one randn
// draw z and x_prev = sqrt(a_prev) denoised + sqrt(1 - a_prev) z.
#pragma once

#include "core/diffusion/schedulers/scheduler.h"

#include <optional>
#include <vector>

namespace inpaint::diffusion {

class LcmScheduler final : public Scheduler {
public:
    explicit LcmScheduler(SchedulerConfig config);

    // Draws in every step but the schedule's last (index numInferenceSteps() - 1).
    bool stepDrawsNoise(const StepOptions&) const override { return true; }
    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const override;
    using Scheduler::addNoise;

    // set_timesteps(num_inference_steps, original_inference_steps=..., strength=...).
    void setLcmTimesteps(int64_t numInferenceSteps, std::optional<int64_t> originalInferenceSteps, double strength);
    // set_timesteps(timesteps=[...], strength=...): descending, below num_train_timesteps. As in
    // 0.25.1, numInferenceSteps() stays the full list's length when strength slices it.
    void setCustomTimesteps(const std::vector<int64_t>& timesteps, double strength = 1.0);

    int64_t stepIndex() const { return m_stepIndex; }  // -1 before the first step
    // The boundary scalings for a timestep, as float32 values (what diffusers computes).
    std::pair<float, float> boundaryScalings(int64_t timestep) const;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;

private:
    std::pair<torch::Tensor, torch::Tensor> scalings(int64_t timestep) const;  // c_skip, c_out (0-d float32)

    torch::Tensor m_finalAlphaCumprod;  // 0-d float32
    int64_t m_stepIndex = -1;
};

}  // namespace inpaint::diffusion
