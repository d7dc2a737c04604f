// PNDM scheduler (see pndm_scheduler.h).
#include "core/diffusion/schedulers/pndm_scheduler.h"

#include "core/diffusion/schedulers/ddim_scheduler.h"
#include "core/diffusion/schedulers/schedule_math.h"

#include <algorithm>

namespace inpaint::diffusion {

namespace {
constexpr int64_t kPndmOrder = 4;
}

PndmScheduler::PndmScheduler(SchedulerConfig config) : Scheduler(std::move(config))
{
    m_finalAlphaCumprod = m_config.setAlphaToOne ? torch::tensor(1.0f) : m_alphasCumprod[0];
}

void PndmScheduler::doSetTimesteps(int64_t n)
{
    const int64_t T = m_config.numTrainTimesteps;
    // The PRK warm-up spans the last pndm_order timesteps; diffusers fails on fewer (numpy broadcast error).
    if (!m_config.skipPrkSteps && n < kPndmOrder)
        throw SchedulerError("PNDMScheduler with skip_prk_steps=false needs at least " + std::to_string(kPndmOrder) +
                             " inference steps, got " + std::to_string(n));
    std::vector<int64_t> base;  // ascending, like diffusers' self._timesteps
    if (m_config.timestepSpacing == "linspace") {
        for (double v : detail::npLinspace(0.0, static_cast<double>(T - 1), n))
            base.push_back(static_cast<int64_t>(detail::npRound(v)));
    } else if (m_config.timestepSpacing == "leading") {
        const int64_t ratio = T / n;
        for (int64_t i = 0; i < n; ++i) base.push_back(i * ratio + m_config.stepsOffset);
    } else {  // trailing
        const auto ar = detail::npArange(static_cast<double>(T), 0.0, -static_cast<double>(T) / static_cast<double>(n));
        for (auto it = ar.rbegin(); it != ar.rend(); ++it) base.push_back(static_cast<int64_t>(detail::npRound(*it)) - 1);
    }

    std::vector<int64_t> plms;
    m_prkTimesteps.clear();
    if (m_config.skipPrkSteps) {
        // [t_0 ... t_{n-2}, t_{n-2}, t_{n-1}] reversed: the second-to-last is repeated so the
        // first PLMS step (which needs two model outputs at the same level) has a list entry.
        std::vector<int64_t> cat(base.begin(), base.end() - 1);
        if (base.size() >= 2) cat.push_back(base[base.size() - 2]);
        cat.push_back(base.back());
        plms.assign(cat.rbegin(), cat.rend());
    } else {
        // PRK warm-up over the last pndm_order timesteps, each split at half a step.
        const int64_t half = T / n / 2;
        std::vector<int64_t> tail(base.end() - std::min<int64_t>(kPndmOrder, static_cast<int64_t>(base.size())),
                                  base.end());
        std::vector<int64_t> prk;  // repeat(2) + tile([0, half])
        for (int64_t v : tail) {
            prk.push_back(v);
            prk.push_back(v + half);
        }
        // prk[:-1].repeat(2)[1:-1], then reversed.
        std::vector<int64_t> rep;
        for (size_t i = 0; i + 1 < prk.size(); ++i) {
            rep.push_back(prk[i]);
            rep.push_back(prk[i]);
        }
        std::vector<int64_t> mid(rep.size() > 2 ? rep.begin() + 1 : rep.end(), rep.size() > 2 ? rep.end() - 1 : rep.end());
        m_prkTimesteps.assign(mid.rbegin(), mid.rend());
        // self._timesteps[:-3][::-1]
        if (base.size() > 3) plms.assign(base.rbegin() + 3, base.rend());
    }

    std::vector<int64_t> all = m_prkTimesteps;
    all.insert(all.end(), plms.begin(), plms.end());
    m_timesteps = detail::int64Tensor(all);

    m_ets.clear();
    m_counter = 0;
    m_curModelOutput = torch::Tensor();
    m_curSample = torch::Tensor();
}

StepResult PndmScheduler::step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                               const StepOptions& /*options*/)
{
    requireTimesteps("PNDMScheduler.step");
    const int64_t t = timestepIndex(timestep);
    if (m_counter < static_cast<int64_t>(m_prkTimesteps.size()) && !m_config.skipPrkSteps)
        return stepPrk(modelOutput, t, sample);
    return stepPlms(modelOutput, t, sample);
}

StepResult PndmScheduler::stepPrk(const torch::Tensor& modelOutputIn, int64_t timestep, const torch::Tensor& sample)
{
    const int64_t T = m_config.numTrainTimesteps;
    const int64_t diffToPrev = (m_counter % 2) ? 0 : T / m_numInferenceSteps / 2;
    const int64_t prevTimestep = timestep - diffToPrev;
    const int64_t x0Timestep = timestep;
    timestep = m_prkTimesteps[static_cast<size_t>(m_counter / 4 * 4)];

    torch::Tensor modelOutput = modelOutputIn;
    auto accumulate = [this](const torch::Tensor& term) {
        m_curModelOutput = m_curModelOutput.defined() ? m_curModelOutput + term : term;
    };
    if (m_counter % 4 == 0) {
        accumulate(modelOutputIn * (1.0 / 6.0));
        m_ets.push_back(modelOutputIn);
        m_curSample = sample;
    } else if ((m_counter - 1) % 4 == 0) {
        accumulate(modelOutputIn * (1.0 / 3.0));
    } else if ((m_counter - 2) % 4 == 0) {
        accumulate(modelOutputIn * (1.0 / 3.0));
    } else if ((m_counter - 3) % 4 == 0) {
        const auto last = modelOutputIn * (1.0 / 6.0);
        modelOutput = m_curModelOutput.defined() ? m_curModelOutput + last : last;
        m_curModelOutput = torch::Tensor();
    }
    const auto& curSample = m_curSample.defined() ? m_curSample : sample;
    auto prev = prevSample(curSample, timestep, prevTimestep, modelOutput);
    ++m_counter;
    return {prev, predictX0(sample, x0Timestep, modelOutputIn)};
}

StepResult PndmScheduler::stepPlms(const torch::Tensor& modelOutputIn, int64_t timestep, const torch::Tensor& sampleIn)
{
    if (!m_config.skipPrkSteps && m_ets.size() < 3)
        throw SchedulerError("PNDMScheduler: PLMS steps need the PRK warm-up first (12 PRK steps); run the full "
                             "timestep list from the start");
    const int64_t T = m_config.numTrainTimesteps;
    const int64_t x0Timestep = timestep;
    int64_t prevTimestep = timestep - T / m_numInferenceSteps;
    if (m_counter != 1) {
        if (m_ets.size() > 3) m_ets.erase(m_ets.begin(), m_ets.end() - 3);
        m_ets.push_back(modelOutputIn);
    } else {
        prevTimestep = timestep;
        timestep = timestep + T / m_numInferenceSteps;
    }

    torch::Tensor modelOutput = modelOutputIn;
    torch::Tensor sample = sampleIn;
    const size_t k = m_ets.size();
    if (k == 1 && m_counter == 0) {
        m_curSample = sampleIn;
    } else if (k == 1 && m_counter == 1) {
        modelOutput = (modelOutputIn + m_ets.back()) / 2;
        sample = m_curSample;
        m_curSample = torch::Tensor();
    } else if (k == 2) {
        modelOutput = (3 * m_ets[k - 1] - m_ets[k - 2]) / 2;
    } else if (k == 3) {
        modelOutput = (23 * m_ets[k - 1] - 16 * m_ets[k - 2] + 5 * m_ets[k - 3]) / 12;
    } else {
        modelOutput = (55 * m_ets[k - 1] - 59 * m_ets[k - 2] + 37 * m_ets[k - 3] - 9 * m_ets[k - 4]) * (1.0 / 24.0);
    }
    if (!sample.defined())
        throw SchedulerError("PNDMScheduler: second PLMS step without a first one (cur_sample is None)");

    auto prev = prevSample(sample, timestep, prevTimestep, modelOutput);
    ++m_counter;
    return {prev, predictX0(sampleIn, x0Timestep, modelOutputIn)};
}

torch::Tensor PndmScheduler::alphaAt(int64_t t) const
{
    if (t < 0) return m_finalAlphaCumprod;
    if (t >= m_config.numTrainTimesteps)
        throw SchedulerError("PNDMScheduler: timestep " + std::to_string(t) + " is outside the training schedule");
    return m_alphasCumprod[t];
}

torch::Tensor PndmScheduler::prevSample(const torch::Tensor& sample, int64_t timestep, int64_t prevTimestep,
                                        torch::Tensor modelOutput) const
{
    // Equation (9) of the PNDM paper, as _get_prev_sample.
    const auto alphaProdT = alphaAt(timestep);
    const auto alphaProdTPrev = alphaAt(prevTimestep);
    const auto betaProdT = 1 - alphaProdT;
    const auto betaProdTPrev = 1 - alphaProdTPrev;
    if (m_config.predictionType == "v_prediction")
        modelOutput = alphaProdT.pow(0.5) * modelOutput + betaProdT.pow(0.5) * sample;
    const auto sampleCoeff = (alphaProdTPrev / alphaProdT).pow(0.5);
    const auto denom = alphaProdT * betaProdTPrev.pow(0.5) + (alphaProdT * betaProdT * alphaProdTPrev).pow(0.5);
    return sampleCoeff * sample - (alphaProdTPrev - alphaProdT) * modelOutput / denom;
}

torch::Tensor PndmScheduler::predictX0(const torch::Tensor& sample, int64_t timestep,
                                       const torch::Tensor& modelOutput) const
{
    // diffusers' PNDM returns no x0; this is the estimate at the timestep the caller passed, for previews.
    const auto a = alphaAt(std::clamp<int64_t>(timestep, 0, m_config.numTrainTimesteps - 1));
    const auto b = 1 - a;
    if (m_config.predictionType == "v_prediction") return a.pow(0.5) * sample - b.pow(0.5) * modelOutput;
    return (sample - b.pow(0.5) * modelOutput) / a.pow(0.5);
}

torch::Tensor PndmScheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                      const torch::Tensor& timesteps) const
{
    return addNoiseByAlphas(m_alphasCumprod, original, noise, timesteps);
}

}  // namespace inpaint::diffusion
