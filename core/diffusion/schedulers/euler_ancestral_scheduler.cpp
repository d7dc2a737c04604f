// Euler ancestral scheduler (see euler_ancestral_scheduler.h).
#include "core/diffusion/schedulers/euler_ancestral_scheduler.h"

#include "core/diffusion/schedulers/schedule_math.h"

namespace inpaint::diffusion {

EulerAncestralScheduler::EulerAncestralScheduler(SchedulerConfig config) : SigmaScheduler(std::move(config)) {}

void EulerAncestralScheduler::doSetTimesteps(int64_t n)
{
    const auto timesteps = spacedTimesteps(n);
    auto sigmas = detail::npInterp(timesteps, trainingSigmaValues());
    sigmas.push_back(0.0);
    m_sigmas = detail::float32Tensor(sigmas);
    m_timesteps = detail::float32Tensor(timesteps);
    m_stepIndex.reset();
}

StepResult EulerAncestralScheduler::step(const torch::Tensor& modelOutput, double timestep,
                                         const torch::Tensor& sampleIn, const StepOptions& options)
{
    requireTimesteps("EulerAncestralDiscreteScheduler.step");
    if (!m_stepIndex) initStepIndex(timestep);
    requireStepInRange("EulerAncestralDiscreteScheduler.step");

    const auto sigma = sigmaAt();
    const auto sample = sampleIn.to(torch::kFloat32);
    torch::Tensor predOriginal;
    if (m_config.predictionType == "epsilon")
        predOriginal = sample - sigma * modelOutput;
    else  // v_prediction
        predOriginal = modelOutput * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + (sample / (sigma.pow(2) + 1));

    const auto sigmaFrom = sigmaAt();
    const auto sigmaTo = sigmaAt(1);
    const auto sigmaUp = (sigmaTo.pow(2) * (sigmaFrom.pow(2) - sigmaTo.pow(2)) / sigmaFrom.pow(2)).pow(0.5);
    const auto sigmaDown = (sigmaTo.pow(2) - sigmaUp.pow(2)).pow(0.5);

    const auto derivative = (sample - predOriginal) / sigma;
    const auto dt = sigmaDown - sigma;
    auto prevSample = sample + derivative * dt;
    const auto noise = drawNoise(modelOutput, options);
    prevSample = (prevSample + noise * sigmaUp).to(modelOutput.scalar_type());
    ++*m_stepIndex;
    return {prevSample, predOriginal};
}

}  // namespace inpaint::diffusion
