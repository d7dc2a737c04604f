// DPM-Solver / DPM-Solver++ multistep (Lu et al. 2022, arXiv 2206.00927 and 2211.01095), orders 1-3,
// midpoint or Heun second-order updates, SDE variants, Karras or Lu lambda schedules, lower-order
// final steps. Mirrors diffusers 0.25.1 schedulers/scheduling_dpmsolver_multistep.py
// (DPMSolverMultistepScheduler). In 0.25.1 the sigma after the last step is sigma(t = 0), not 0
// (no final_sigmas_type yet), and with Karras sigmas the last sigma is repeated.
#pragma once

#include "core/diffusion/schedulers/scheduler.h"

#include <optional>
#include <vector>

namespace inpaint::diffusion {

class DpmSolverMultistepScheduler final : public Scheduler {
public:
    explicit DpmSolverMultistepScheduler(SchedulerConfig config);

    bool stepDrawsNoise(const StepOptions&) const override;
    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const override;
    using Scheduler::addNoise;
    std::optional<int64_t> stepIndex() const { return m_stepIndex; }

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;

private:
    int64_t lookUpIndex(double timestep) const;
    torch::Tensor convertModelOutput(const torch::Tensor& modelOutput, const torch::Tensor& sample) const;
    torch::Tensor firstOrderUpdate(const torch::Tensor& modelOutput, const torch::Tensor& sample,
                                   const torch::Tensor& noise) const;
    torch::Tensor secondOrderUpdate(const torch::Tensor& sample, const torch::Tensor& noise) const;
    torch::Tensor thirdOrderUpdate(const torch::Tensor& sample) const;

    std::vector<torch::Tensor> m_modelOutputs;  // solver_order slots, newest last (undefined = None)
    int64_t m_lowerOrderNums = 0;
    std::optional<int64_t> m_stepIndex;
    torch::Tensor m_lambdaT;  // float32 [num_train_timesteps]
};

}  // namespace inpaint::diffusion
