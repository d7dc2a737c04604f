// Linear multistep sampler (k-diffusion's sample_lms, order 4): the next sample is the current one
// plus a weighted sum of the last derivatives, the weights being integrals of Lagrange basis
// polynomials over [sigma_i, sigma_{i+1}]. Mirrors diffusers 0.25.1
// schedulers/scheduling_lms_discrete.py (LMSDiscreteScheduler), including its quirks: the
// integrand is evaluated in float32 (diffusers multiplies 0-d float32 tensors), and the order is
// min(step_index + 1, 4) even when fewer derivatives exist (an img2img slice), in which case only
// the first coefficients are used.
#pragma once

#include "core/diffusion/schedulers/sigma_scheduler.h"

#include <deque>
#include <vector>

namespace inpaint::diffusion {

class LmsDiscreteScheduler final : public SigmaScheduler {
public:
    explicit LmsDiscreteScheduler(SchedulerConfig config);

    StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                    const StepOptions& options = {}) override;
    // The integrated Lagrange coefficient (diffusers get_lms_coefficient) for the current schedule.
    double lmsCoefficient(int64_t order, int64_t t, int64_t currentOrder) const;

protected:
    void doSetTimesteps(int64_t numInferenceSteps) override;

private:
    std::deque<torch::Tensor> m_derivatives;
    std::vector<float> m_sigmaValues;  // m_sigmas as floats (the integrand's nodes)
};

}  // namespace inpaint::diffusion
