// LCM scheduler (see lcm_scheduler.h). Coefficients are 0-d float32 tensors combined with the
// sample in scheduling_lcm.py's order.
#include "core/diffusion/schedulers/lcm_scheduler.h"

#include "core/diffusion/schedulers/ddim_scheduler.h"
#include "core/diffusion/schedulers/schedule_math.h"

#include <cmath>
#include <sstream>

namespace inpaint::diffusion {

LcmScheduler::LcmScheduler(SchedulerConfig config) : Scheduler(std::move(config))
{
    m_finalAlphaCumprod = m_config.setAlphaToOne ? torch::tensor(1.0f) : m_alphasCumprod[0];
}

void LcmScheduler::doSetTimesteps(int64_t n) { setLcmTimesteps(n, std::nullopt, 1.0); }

namespace {
// lcm_origin_timesteps: [1 .. int(original * strength)] * k - 1, ascending.
std::vector<int64_t> originTimesteps(int64_t trainSteps, int64_t original, double strength)
{
    const int64_t k = trainSteps / original;
    const auto count = static_cast<int64_t>(static_cast<double>(original) * strength);
    std::vector<int64_t> out;
    for (int64_t i = 1; i <= count; ++i) out.push_back(i * k - 1);
    return out;
}
}  // namespace

void LcmScheduler::setLcmTimesteps(int64_t n, std::optional<int64_t> originalInferenceSteps, double strength)
{
    const int64_t T = m_config.numTrainTimesteps;
    const int64_t original = originalInferenceSteps.value_or(m_config.originalInferenceSteps);
    if (original < 1 || original > T)
        throw SchedulerError("LCMScheduler: original_inference_steps " + std::to_string(original) +
                             " must be in [1, num_train_timesteps = " + std::to_string(T) + "]");
    if (!(strength > 0.0 && strength <= 1.0)) {
        std::ostringstream os;
        os << "LCMScheduler: strength must be in (0, 1], got " << strength;
        throw SchedulerError(os.str());
    }
    if (n < 1 || n > T)
        throw SchedulerError("LCMScheduler: number of inference steps must be between 1 and " + std::to_string(T) +
                             ", got " + std::to_string(n));
    const std::vector<int64_t> origin = originTimesteps(T, original, strength);
    if (static_cast<int64_t>(origin.size()) / n < 1) {
        std::ostringstream os;
        os << "LCMScheduler: " << n << " steps need at least as many distillation timesteps, but original_inference_steps "
           << original << " x strength " << strength << " gives " << origin.size()
           << "; use fewer steps or a higher strength";
        throw SchedulerError(os.str());
    }
    if (n > original)
        throw SchedulerError("LCMScheduler: " + std::to_string(n) + " steps exceed original_inference_steps " +
                             std::to_string(original) + " (the schedule is a subset of that one)");
    // Reversed origin, indices floor(linspace(0, len, n, endpoint=False)).
    const auto len = static_cast<int64_t>(origin.size());
    std::vector<int64_t> ts;
    for (int64_t i = 0; i < n; ++i) {
        const double at = static_cast<double>(i) * static_cast<double>(len) / static_cast<double>(n);
        const auto idx = static_cast<int64_t>(std::floor(at));
        ts.push_back(origin[static_cast<size_t>(len - 1 - idx)]);
    }
    m_timesteps = detail::int64Tensor(ts);
    m_numInferenceSteps = n;
    m_stepIndex = -1;
}

void LcmScheduler::setCustomTimesteps(const std::vector<int64_t>& timesteps, double strength)
{
    const int64_t T = m_config.numTrainTimesteps;
    if (timesteps.empty()) throw SchedulerError("LCMScheduler: the custom timestep list is empty");
    for (size_t i = 1; i < timesteps.size(); ++i)
        if (timesteps[i] >= timesteps[i - 1])
            throw SchedulerError("LCMScheduler: custom timesteps must be in descending order");
    if (timesteps.front() >= T || timesteps.back() < 0)
        throw SchedulerError("LCMScheduler: custom timesteps must lie in [0, num_train_timesteps = " +
                             std::to_string(T) + ")");
    if (!(strength > 0.0 && strength <= 1.0)) throw SchedulerError("LCMScheduler: strength must be in (0, 1]");
    const auto n = static_cast<int64_t>(timesteps.size());
    const int64_t init = std::min(static_cast<int64_t>(static_cast<double>(n) * strength), n);
    const int64_t tStart = std::max<int64_t>(n - init, 0);
    if (tStart >= n) throw SchedulerError("LCMScheduler: strength leaves no custom timestep");
    m_timesteps = detail::int64Tensor(std::vector<int64_t>(timesteps.begin() + tStart, timesteps.end()));
    m_numInferenceSteps = n;  // diffusers 0.25.1 keeps the full length here
    m_stepIndex = -1;
}

std::pair<torch::Tensor, torch::Tensor> LcmScheduler::scalings(int64_t timestep) const
{
    // timestep (int64 tensor) * timestep_scaling (a Python float) is float32 in torch; then
    // float32 arithmetic with sigma_data = 0.5.
    const auto scaled = torch::tensor(timestep, torch::kInt64) * m_config.timestepScaling;
    const auto denom = scaled.pow(2) + 0.25;
    return {0.25 / denom, scaled / denom.pow(0.5)};
}

std::pair<float, float> LcmScheduler::boundaryScalings(int64_t timestep) const
{
    const auto [cSkip, cOut] = scalings(timestep);
    return {cSkip.item<float>(), cOut.item<float>()};
}

StepResult LcmScheduler::step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                              const StepOptions& options)
{
    requireTimesteps("LCMScheduler.step");
    const int64_t t = timestepIndex(timestep);
    if (m_stepIndex < 0) {  // _init_step_index: the first entry equal to t (img2img slices start later)
        const auto* ts = m_timesteps.data_ptr<int64_t>();
        int64_t found = -1;
        for (int64_t i = 0; i < m_timesteps.size(0) && found < 0; ++i)
            if (ts[i] == t) found = i;
        if (found < 0) throw SchedulerError("LCMScheduler: timestep " + std::to_string(t) + " is not in the schedule");
        m_stepIndex = found;
    }
    const int64_t prevIndex = m_stepIndex + 1;
    const int64_t prevT = prevIndex < m_timesteps.size(0) ? m_timesteps[prevIndex].item<int64_t>() : t;

    const auto alphaProdT = m_alphasCumprod[t];
    const auto alphaProdTPrev = prevT >= 0 ? m_alphasCumprod[prevT] : m_finalAlphaCumprod;
    const auto betaProdT = 1 - alphaProdT;
    const auto betaProdTPrev = 1 - alphaProdTPrev;

    const auto [cSkip, cOut] = scalings(t);

    torch::Tensor predOriginal;
    const auto& pt = m_config.predictionType;
    if (pt == "epsilon") predOriginal = (sample - betaProdT.sqrt() * modelOutput) / alphaProdT.sqrt();
    else if (pt == "sample") predOriginal = modelOutput;
    else predOriginal = alphaProdT.sqrt() * sample - betaProdT.sqrt() * modelOutput;  // v_prediction

    if (m_config.thresholding)
        predOriginal = thresholdSample(predOriginal, m_config.dynamicThresholdingRatio, m_config.sampleMaxValue);
    else if (m_config.clipSample)
        predOriginal = predOriginal.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);

    const auto denoised = cOut * predOriginal + cSkip * sample;
    torch::Tensor prev;
    if (m_stepIndex != m_numInferenceSteps - 1) {
        const auto noise = drawNoise(denoised, options);
        prev = alphaProdTPrev.sqrt() * denoised + betaProdTPrev.sqrt() * noise;
    } else {
        prev = denoised;
    }
    ++m_stepIndex;
    // The denoised latent is what the next step starts from in expectation: the preview's x0.
    return {prev, denoised};
}

torch::Tensor LcmScheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                     const torch::Tensor& timesteps) const
{
    return addNoiseByAlphas(m_alphasCumprod, original, noise, timesteps);
}

}  // namespace inpaint::diffusion
