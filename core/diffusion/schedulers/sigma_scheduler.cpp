// k-diffusion style scheduler base (see sigma_scheduler.h).
#include "core/diffusion/schedulers/sigma_scheduler.h"

#include "core/diffusion/schedulers/schedule_math.h"

#include <cmath>
#include <sstream>

namespace inpaint::diffusion {

namespace {

// Indices i with timesteps[i] == t, compared the way torch compares a float32 (or int64) schedule
// with a Python number: in the schedule's dtype for float32, exactly for integers.
std::vector<int64_t> matchingIndices(const torch::Tensor& timesteps, double t)
{
    std::vector<int64_t> out;
    auto ts = timesteps.contiguous();
    const int64_t n = ts.numel();
    if (ts.scalar_type() == torch::kFloat32) {
        const auto tf = static_cast<float>(t);
        const float* p = ts.data_ptr<float>();
        for (int64_t i = 0; i < n; ++i)
            if (p[i] == tf) out.push_back(i);
    } else {
        auto d = ts.to(torch::kFloat64);
        const double* p = d.data_ptr<double>();
        for (int64_t i = 0; i < n; ++i)
            if (p[i] == t) out.push_back(i);
    }
    return out;
}

}  // namespace

SigmaScheduler::SigmaScheduler(SchedulerConfig config) : Scheduler(std::move(config))
{
    // Zero-terminal-SNR makes the last alpha_cumprod 0 (sigma = inf); diffusers pins it to 2^-24.
    if (m_config.rescaleBetasZeroSnr) m_alphasCumprod[-1] = std::ldexp(1.0, -24);
}

double SigmaScheduler::initNoiseSigma() const
{
    requireTimesteps("init_noise_sigma");
    const auto maxSigma = m_sigmas.max();
    if (m_config.timestepSpacing == "linspace" || m_config.timestepSpacing == "trailing")
        return maxSigma.item<double>();
    return (maxSigma.pow(2) + 1).pow(0.5).item<double>();
}

std::vector<double> SigmaScheduler::spacedTimesteps(int64_t n) const
{
    const int64_t T = m_config.numTrainTimesteps;
    std::vector<double> ts;
    if (m_config.timestepSpacing == "linspace") {
        // np.linspace(..., dtype=np.float32): computed in float64, rounded to float32.
        const auto lin = detail::npLinspace(0.0, static_cast<double>(T - 1), n);
        for (auto it = lin.rbegin(); it != lin.rend(); ++it) ts.push_back(static_cast<float>(*it));
    } else if (m_config.timestepSpacing == "leading") {
        const int64_t ratio = T / n;
        for (int64_t i = n - 1; i >= 0; --i)
            ts.push_back(static_cast<float>(static_cast<float>(i * ratio) + static_cast<float>(m_config.stepsOffset)));
    } else {  // trailing
        const auto ar = detail::npArange(static_cast<double>(T), 0.0, -static_cast<double>(T) / static_cast<double>(n));
        for (double v : ar) ts.push_back(static_cast<float>(static_cast<float>(detail::npRound(v)) - 1.0f));
    }
    return ts;
}

std::vector<double> SigmaScheduler::trainingSigmaValues() const
{
    return detail::toDoubleVector(detail::trainingSigmas(m_alphasCumprod));
}

std::vector<float> SigmaScheduler::trainingLogSigmas() const
{
    // np.log on a float32 array: float32 results.
    auto sig = detail::toFloatVector(detail::trainingSigmas(m_alphasCumprod));
    std::vector<float> out(sig.size());
    for (size_t i = 0; i < sig.size(); ++i) out[i] = std::log(sig[i]);
    return out;
}

void SigmaScheduler::initStepIndex(double timestep)
{
    const auto idx = matchingIndices(m_timesteps, timestep);
    if (idx.empty()) {
        std::ostringstream os;
        os << className() << ": timestep " << timestep << " is not in the schedule set by setTimesteps("
           << m_numInferenceSteps << ")";
        throw SchedulerError(os.str());
    }
    m_stepIndex = idx.size() > 1 ? idx[1] : idx[0];
}

torch::Tensor SigmaScheduler::sigmaAt(int64_t offset) const
{
    return m_sigmas[*m_stepIndex + offset];
}

void SigmaScheduler::requireStepInRange(const char* what) const
{
    if (*m_stepIndex + 1 >= m_sigmas.size(0))
        throw SchedulerError(std::string(what) + ": every step of the schedule has been taken; call setTimesteps() "
                                                 "before a new run");
}

torch::Tensor SigmaScheduler::scaleModelInput(const torch::Tensor& sample, double timestep)
{
    requireTimesteps("scale_model_input");
    if (!m_stepIndex) initStepIndex(timestep);
    if (*m_stepIndex >= m_sigmas.size(0)) throw SchedulerError("scale_model_input: step index past the schedule");
    const auto sigma = sigmaAt();
    return sample / (sigma.pow(2) + 1).pow(0.5);
}

torch::Tensor SigmaScheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                       const torch::Tensor& timesteps) const
{
    requireTimesteps("add_noise");
    auto sigmas = m_sigmas.to(original.device(), original.scalar_type());
    auto values = detail::toDoubleVector(timesteps.reshape({-1}));
    std::vector<int64_t> indices;
    for (double t : values) {
        const auto idx = matchingIndices(m_timesteps, t);
        if (idx.size() != 1) {
            std::ostringstream os;
            os << className() << ".add_noise: timestep " << t << (idx.empty() ? " is not" : " occurs twice")
               << " in the schedule";
            throw SchedulerError(os.str());
        }
        indices.push_back(idx[0]);
    }
    auto sigma = sigmas.index_select(0, detail::int64Tensor(indices).to(original.device())).flatten();
    while (sigma.dim() < original.dim()) sigma = sigma.unsqueeze(-1);
    return original + noise * sigma;
}

}  // namespace inpaint::diffusion
