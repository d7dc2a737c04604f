// Common base of the k-diffusion style schedulers (Euler, Euler a, LMS): a descending sigma list
// with a trailing 0, model input scaled by 1 / sqrt(sigma^2 + 1), step index found by looking the
// first timestep up in the schedule (so img2img slices work), add_noise = x0 + sigma * noise.
// Mirrors the parts that scheduling_euler_discrete.py, scheduling_euler_ancestral_discrete.py and
// scheduling_lms_discrete.py of diffusers 0.25.1 share.
#pragma once

#include "core/diffusion/schedulers/scheduler.h"

#include <optional>
#include <vector>

namespace inpaint::diffusion {

class SigmaScheduler : public Scheduler {
public:
    explicit SigmaScheduler(SchedulerConfig config);

    // max sigma for linspace/trailing spacing, sqrt(max^2 + 1) for leading (float32 math).
    double initNoiseSigma() const override;
    torch::Tensor scaleModelInput(const torch::Tensor& sample, double timestep) override;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const override;
    using Scheduler::addNoise;
    std::optional<int64_t> stepIndex() const { return m_stepIndex; }

protected:
    // The spaced timesteps of Euler / Euler a / LMS (float32 values, descending) per timestep_spacing.
    std::vector<double> spacedTimesteps(int64_t n) const;
    // The training sigmas as float32 values (ascending in t) and their float32 logs.
    std::vector<double> trainingSigmaValues() const;
    std::vector<float> trainingLogSigmas() const;
    // diffusers' _init_step_index: first match, or the second when the value occurs twice.
    void initStepIndex(double timestep);
    // sigmas[step_index + offset] as a 0-d float32 tensor.
    torch::Tensor sigmaAt(int64_t offset = 0) const;
    void requireStepInRange(const char* what) const;

    std::optional<int64_t> m_stepIndex;
};

}  // namespace inpaint::diffusion
