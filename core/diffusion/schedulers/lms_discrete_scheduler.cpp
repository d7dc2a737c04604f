// LMS discrete scheduler (see lms_discrete_scheduler.h).
#include "core/diffusion/schedulers/lms_discrete_scheduler.h"

#include "core/diffusion/schedulers/quadrature.h"
#include "core/diffusion/schedulers/schedule_math.h"

namespace inpaint::diffusion {

namespace {
constexpr int64_t kLmsOrder = 4;  // diffusers' step(order=4) default
}

LmsDiscreteScheduler::LmsDiscreteScheduler(SchedulerConfig config) : SigmaScheduler(std::move(config)) {}

void LmsDiscreteScheduler::doSetTimesteps(int64_t n)
{
    std::vector<double> timesteps = spacedTimesteps(n);
    auto sigmas = detail::npInterp(timesteps, trainingSigmaValues());
    if (m_config.useKarrasSigmas) {
        sigmas = detail::karrasSigmas(sigmas.back(), sigmas.front(), n);
        const auto logSigmas = trainingLogSigmas();
        timesteps.clear();
        // diffusers keeps these as float64; they are stored as float32 here, which is what the UNet
        // sees either way (its timestep embedding casts to float32).
        for (double s : sigmas) timesteps.push_back(detail::sigmaToT(s, logSigmas));
    }
    sigmas.push_back(0.0);
    m_sigmas = detail::float32Tensor(sigmas);
    m_sigmaValues = detail::toFloatVector(m_sigmas);
    m_timesteps = detail::float32Tensor(timesteps);
    m_stepIndex.reset();
    m_derivatives.clear();
}

double LmsDiscreteScheduler::lmsCoefficient(int64_t order, int64_t t, int64_t currentOrder) const
{
    const auto& s = m_sigmaValues;
    // prod over k != currentOrder of (tau - s[t-k]) / (s[t-currentOrder] - s[t-k]), each factor and
    // the running product rounded to float32 exactly as torch computes it on 0-d float32 tensors.
    auto basis = [&](double tau) {
        bool first = true;
        float prod = 1.0f;
        for (int64_t k = 0; k < order; ++k) {
            if (k == currentOrder) continue;
            const float num = static_cast<float>(tau) - s[static_cast<size_t>(t - k)];
            const float den = s[static_cast<size_t>(t - currentOrder)] - s[static_cast<size_t>(t - k)];
            const float factor = num / den;
            prod = first ? factor : prod * factor;
            first = false;
        }
        return static_cast<double>(prod);
    };
    return detail::integrate(basis, static_cast<double>(s[static_cast<size_t>(t)]),
                             static_cast<double>(s[static_cast<size_t>(t + 1)]), 1.49e-8, 1e-4)
        .value;
}

StepResult LmsDiscreteScheduler::step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                                      const StepOptions& /*options*/)
{
    requireTimesteps("LMSDiscreteScheduler.step");
    if (!m_stepIndex) initStepIndex(timestep);
    requireStepInRange("LMSDiscreteScheduler.step");
    const int64_t stepIndex = *m_stepIndex;

    const auto sigma = sigmaAt();
    torch::Tensor predOriginal;
    const auto& pt = m_config.predictionType;
    if (pt == "epsilon")
        predOriginal = sample - sigma * modelOutput;
    else if (pt == "v_prediction")
        predOriginal = modelOutput * (-sigma / (sigma.pow(2) + 1).pow(0.5)) + (sample / (sigma.pow(2) + 1));
    else  // sample
        predOriginal = modelOutput;

    m_derivatives.push_back((sample - predOriginal) / sigma);
    if (static_cast<int64_t>(m_derivatives.size()) > kLmsOrder) m_derivatives.pop_front();

    const int64_t order = std::min(stepIndex + 1, kLmsOrder);
    // zip(coefficients, reversed(derivatives)): the newest derivative gets coefficient 0; with fewer
    // derivatives than the order only the first coefficients are used (diffusers' img2img quirk).
    const auto used = std::min<int64_t>(order, static_cast<int64_t>(m_derivatives.size()));
    torch::Tensor sum;
    for (int64_t cur = 0; cur < used; ++cur) {
        const double coeff = lmsCoefficient(order, stepIndex, cur);
        const auto& d = m_derivatives[m_derivatives.size() - 1 - static_cast<size_t>(cur)];
        const auto term = d * coeff;
        sum = sum.defined() ? sum + term : term;
    }
    // diffusers still integrates the unused coefficients; they have no effect on the result.
    auto prevSample = sample + sum;
    ++*m_stepIndex;
    return {prevSample, predOriginal};
}

}  // namespace inpaint::diffusion
