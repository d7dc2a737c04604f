// DDIM scheduler (see ddim_scheduler.h). Every coefficient is a 0-d float32 tensor combined with
// the sample by the same torch ops, in the same order, as scheduling_ddim.py, so CPU results match
// diffusers to the last bit where LibTorch's kernels are PyTorch's.
#include "core/diffusion/schedulers/ddim_scheduler.h"

#include "core/diffusion/schedulers/schedule_math.h"

namespace inpaint::diffusion {

DdimScheduler::DdimScheduler(SchedulerConfig config) : Scheduler(std::move(config))
{
    m_finalAlphaCumprod = m_config.setAlphaToOne ? torch::tensor(1.0f) : m_alphasCumprod[0];
}

void DdimScheduler::doSetTimesteps(int64_t n)
{
    const int64_t T = m_config.numTrainTimesteps;
    std::vector<int64_t> ts;
    if (m_config.timestepSpacing == "linspace") {
        const auto lin = detail::npLinspace(0.0, static_cast<double>(T - 1), n);
        for (auto it = lin.rbegin(); it != lin.rend(); ++it) ts.push_back(static_cast<int64_t>(detail::npRound(*it)));
    } else if (m_config.timestepSpacing == "leading") {
        const int64_t ratio = T / n;
        for (int64_t i = n - 1; i >= 0; --i) ts.push_back(i * ratio + m_config.stepsOffset);
    } else {  // trailing
        const auto ar = detail::npArange(static_cast<double>(T), 0.0, -static_cast<double>(T) / static_cast<double>(n));
        for (double v : ar) ts.push_back(static_cast<int64_t>(detail::npRound(v)) - 1);
    }
    m_timesteps = detail::int64Tensor(ts);
}

StepResult DdimScheduler::step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                               const StepOptions& options)
{
    requireTimesteps("DDIMScheduler.step");
    const int64_t t = timestepIndex(timestep);
    const int64_t prevT = t - m_config.numTrainTimesteps / m_numInferenceSteps;

    const auto alphaProdT = m_alphasCumprod[t];
    const auto alphaProdTPrev = prevT >= 0 ? m_alphasCumprod[prevT] : m_finalAlphaCumprod;
    const auto betaProdT = 1 - alphaProdT;

    torch::Tensor predOriginal;
    torch::Tensor predEpsilon;
    const auto& pt = m_config.predictionType;
    if (pt == "epsilon") {
        predOriginal = (sample - betaProdT.pow(0.5) * modelOutput) / alphaProdT.pow(0.5);
        predEpsilon = modelOutput;
    } else if (pt == "sample") {
        predOriginal = modelOutput;
        predEpsilon = (sample - alphaProdT.pow(0.5) * predOriginal) / betaProdT.pow(0.5);
    } else {  // v_prediction
        predOriginal = alphaProdT.pow(0.5) * sample - betaProdT.pow(0.5) * modelOutput;
        predEpsilon = alphaProdT.pow(0.5) * modelOutput + betaProdT.pow(0.5) * sample;
    }

    if (m_config.thresholding) {
        predOriginal = thresholdSample(predOriginal, m_config.dynamicThresholdingRatio, m_config.sampleMaxValue);
    } else if (m_config.clipSample) {
        predOriginal = predOriginal.clamp(-m_config.clipSampleRange, m_config.clipSampleRange);
    }

    // _get_variance(timestep, prev_timestep)
    const auto betaProdTPrev = 1 - alphaProdTPrev;
    const auto variance = (betaProdTPrev / betaProdT) * (1 - alphaProdT / alphaProdTPrev);
    const auto stdDevT = variance.pow(0.5) * options.eta;

    if (options.useClippedModelOutput)
        predEpsilon = (sample - alphaProdT.pow(0.5) * predOriginal) / betaProdT.pow(0.5);

    const auto direction = (1 - alphaProdTPrev - stdDevT.pow(2)).pow(0.5) * predEpsilon;
    auto prevSample = alphaProdTPrev.pow(0.5) * predOriginal + direction;

    if (options.eta > 0) {
        const auto varianceNoise = drawNoise(modelOutput, options);
        prevSample = prevSample + stdDevT * varianceNoise;
    }
    return {prevSample, predOriginal};
}

torch::Tensor DdimScheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                      const torch::Tensor& timesteps) const
{
    return addNoiseByAlphas(m_alphasCumprod, original, noise, timesteps);
}

torch::Tensor addNoiseByAlphas(const torch::Tensor& alphasCumprod, const torch::Tensor& original,
                               const torch::Tensor& noise, const torch::Tensor& timesteps)
{
    auto ac = alphasCumprod.to(original.device(), original.scalar_type());
    auto idx = timesteps.reshape({-1}).to(torch::kCPU);
    if (idx.is_floating_point()) {
        auto rounded = idx.round();
        if (!torch::equal(rounded, idx))
            throw SchedulerError("add_noise: timesteps must be integers for this scheduler");
        idx = rounded;
    }
    idx = idx.to(torch::kInt64);
    const int64_t T = alphasCumprod.size(0);
    if (idx.numel() == 0 || idx.min().item<int64_t>() < 0 || idx.max().item<int64_t>() >= T)
        throw SchedulerError("add_noise: timesteps must be in [0, " + std::to_string(T) + ")");
    idx = idx.to(original.device());
    auto picked = ac.index_select(0, idx);
    auto sqrtAlphaProd = picked.pow(0.5).flatten();
    auto sqrtOneMinus = (1 - picked).pow(0.5).flatten();
    while (sqrtAlphaProd.dim() < original.dim()) sqrtAlphaProd = sqrtAlphaProd.unsqueeze(-1);
    while (sqrtOneMinus.dim() < original.dim()) sqrtOneMinus = sqrtOneMinus.unsqueeze(-1);
    return sqrtAlphaProd * original + sqrtOneMinus * noise;
}

torch::Tensor thresholdSample(const torch::Tensor& sampleIn, double ratio, double maxValue)
{
    const auto dtype = sampleIn.scalar_type();
    auto sample = sampleIn;
    if (dtype != torch::kFloat32 && dtype != torch::kFloat64) sample = sample.to(torch::kFloat32);
    const auto sizes = sample.sizes().vec();
    const int64_t batch = sizes[0];
    sample = sample.reshape({batch, -1});
    auto s = torch::quantile(sample.abs(), ratio, /*dim=*/1);
    s = torch::clamp(s, 1.0, maxValue).unsqueeze(1);
    sample = torch::max(torch::min(sample, s), -s) / s;
    return sample.reshape(sizes).to(dtype);
}

}  // namespace inpaint::diffusion
