// Euler discrete scheduler (see euler_discrete_scheduler.h).
#include "core/diffusion/schedulers/euler_discrete_scheduler.h"

#include "core/diffusion/schedulers/schedule_math.h"

#include <cmath>

namespace inpaint::diffusion {

EulerDiscreteScheduler::EulerDiscreteScheduler(SchedulerConfig config) : SigmaScheduler(std::move(config)) {}

void EulerDiscreteScheduler::doSetTimesteps(int64_t n)
{
    std::vector<double> timesteps = spacedTimesteps(n);
    const auto full = trainingSigmaValues();
    std::vector<double> sigmas;
    if (m_config.interpolationType == "linear") {
        sigmas = detail::npInterp(timesteps, full);
    } else {  // log_linear: torch.linspace(log(sigma_max), log(sigma_min), n + 1).exp() in float32
        const float logMax = std::log(static_cast<float>(full.back()));
        const float logMin = std::log(static_cast<float>(full.front()));
        sigmas = detail::toDoubleVector(torch::linspace(logMax, logMin, n + 1, torch::kFloat32).exp());
    }
    if (m_config.useKarrasSigmas) {
        const double sMin = m_config.sigmaMin.value_or(sigmas.back());
        const double sMax = m_config.sigmaMax.value_or(sigmas.front());
        sigmas = detail::karrasSigmas(sMin, sMax, n);
        const auto logSigmas = trainingLogSigmas();
        timesteps.clear();
        for (double s : sigmas) timesteps.push_back(detail::sigmaToT(s, logSigmas));
    }
    auto sigmaTensor = detail::float32Tensor(sigmas);
    if (m_config.timestepType == "continuous" && m_config.predictionType == "v_prediction")
        m_timesteps = sigmaTensor.log() * 0.25;
    else
        m_timesteps = detail::float32Tensor(timesteps);
    m_sigmas = torch::cat({sigmaTensor, torch::zeros({1}, torch::kFloat32)});
    m_stepIndex.reset();
}

StepResult EulerDiscreteScheduler::step(const torch::Tensor& modelOutput, double timestep,
                                        const torch::Tensor& sampleIn, const StepOptions& options)
{
    requireTimesteps("EulerDiscreteScheduler.step");
    if (!m_stepIndex) initStepIndex(timestep);
    requireStepInRange("EulerDiscreteScheduler.step");

    auto sample = sampleIn.to(torch::kFloat32);
    const auto sigma = sigmaAt();
    const float sigmaF = sigma.item<float>();
    double gamma = 0.0;
    if (static_cast<float>(options.sTmin) <= sigmaF && sigmaF <= static_cast<float>(options.sTmax))
        gamma = std::min(options.sChurn / static_cast<double>(m_sigmas.size(0) - 1), std::sqrt(2.0) - 1);

    const auto noise = drawNoise(modelOutput, options);  // drawn even when gamma == 0, as diffusers does
    const auto eps = noise * options.sNoise;
    const auto sigmaHat = sigma * (gamma + 1);
    if (gamma > 0) sample = sample + eps * (sigmaHat.pow(2) - sigma.pow(2)).pow(0.5);

    torch::Tensor predOriginal;
    const auto& pt = m_config.predictionType;
    if (pt == "original_sample" || pt == "sample") {
        predOriginal = modelOutput;
    } else if (pt == "epsilon") {
        predOriginal = sample - sigmaHat * modelOutput;
    } else {  // v_prediction: c_out = -sigma / sqrt(sigma^2 + 1), c_skip = 1 / (sigma^2 + 1)
        predOriginal = modelOutput * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + (sample / (sigma.pow(2) + 1));
    }

    const auto derivative = (sample - predOriginal) / sigmaHat;
    const auto dt = sigmaAt(1) - sigmaHat;
    auto prevSample = (sample + derivative * dt).to(modelOutput.scalar_type());
    ++*m_stepIndex;
    return {prevSample, predOriginal};
}

}  // namespace inpaint::diffusion
