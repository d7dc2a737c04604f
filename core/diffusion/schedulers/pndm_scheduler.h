// PNDM (Liu et al. 2022, arXiv 2202.09778): Runge-Kutta warm-up (PRK) then linear multistep (PLMS),
// or PLMS alone with skip_prk_steps as Stable Diffusion uses it. Mirrors diffusers 0.25.1
// schedulers/scheduling_pndm.py (PNDMScheduler), including its counter-driven warm-up: the
// multistep history follows the scheduler's own step counter, not the timestep list, which is why
// an img2img slice of the N + 1 PLMS timesteps behaves as diffusers' does (see INDEX.md).
#pragma once

#include "core/diffusion/schedulers/scheduler.h"

#include <vector>

namespace inpaint::diffusion {

class PndmScheduler final : public Scheduler {
public:
    explicit PndmScheduler(SchedulerConfig config);

    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                           const torch::Tensor& timesteps) const override;
    using Scheduler::addNoise;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;

private:
    StepResult stepPrk(const torch::Tensor& modelOutput, int64_t timestep, const torch::Tensor& sample);
    StepResult stepPlms(const torch::Tensor& modelOutput, int64_t timestep, const torch::Tensor& sample);
    torch::Tensor prevSample(const torch::Tensor& sample, int64_t timestep, int64_t prevTimestep,
                             torch::Tensor modelOutput) const;
    torch::Tensor predictX0(const torch::Tensor& sample, int64_t timestep, const torch::Tensor& modelOutput) const;
    torch::Tensor alphaAt(int64_t t) const;

    torch::Tensor m_finalAlphaCumprod;
    std::vector<int64_t> m_prkTimesteps;
    int64_t m_counter = 0;
    torch::Tensor m_curModelOutput;  // undefined = diffusers' integer 0
    torch::Tensor m_curSample;       // undefined = None
    std::vector<torch::Tensor> m_ets;
};

}  // namespace inpaint::diffusion
