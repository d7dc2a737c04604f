// DPM-Solver multistep scheduler (see dpm_solver_multistep_scheduler.h).
#include "core/diffusion/schedulers/dpm_solver_multistep_scheduler.h"

#include "core/diffusion/schedulers/ddim_scheduler.h"
#include "core/diffusion/schedulers/schedule_math.h"

#include <cmath>
#include <sstream>

namespace inpaint::diffusion {

namespace {

// _sigma_to_alpha_sigma_t: alpha = 1 / sqrt(sigma^2 + 1) (torch's 1 / x is reciprocal(x)), sigma_t = sigma * alpha.
std::pair<torch::Tensor, torch::Tensor> alphaSigma(const torch::Tensor& sigma)
{
    auto alpha = (sigma.pow(2) + 1).pow(0.5).reciprocal();
    return {alpha, sigma * alpha};
}

bool isSde(const std::string& algorithm)
{
    return algorithm == "sde-dpmsolver" || algorithm == "sde-dpmsolver++";
}

}  // namespace

DpmSolverMultistepScheduler::DpmSolverMultistepScheduler(SchedulerConfig config) : Scheduler(std::move(config))
{
    const auto alphaT = torch::sqrt(m_alphasCumprod);
    const auto sigmaT = torch::sqrt(1 - m_alphasCumprod);
    m_lambdaT = torch::log(alphaT) - torch::log(sigmaT);
    m_modelOutputs.assign(static_cast<size_t>(m_config.solverOrder), torch::Tensor());
}

bool DpmSolverMultistepScheduler::stepDrawsNoise(const StepOptions&) const
{
    return isSde(m_config.algorithmType);
}

void DpmSolverMultistepScheduler::doSetTimesteps(int64_t n)
{
    const int64_t T = m_config.numTrainTimesteps;
    // Clip the high-noise end where lambda(t) < lambda_min_clipped (searchsorted on the flipped,
    // ascending lambda_t, side 'left').
    int64_t clippedIdx = 0;
    {
        const auto lambdas = detail::toDoubleVector(torch::flip(m_lambdaT, {0}));
        const double v = static_cast<double>(static_cast<float>(m_config.lambdaMinClipped));
        while (clippedIdx < static_cast<int64_t>(lambdas.size()) && lambdas[static_cast<size_t>(clippedIdx)] < v)
            ++clippedIdx;
    }
    const int64_t lastTimestep = T - clippedIdx;
    if (lastTimestep < 1) throw SchedulerError("DPMSolverMultistepScheduler: lambda_min_clipped clips every timestep");

    std::vector<double> timesteps;  // integral values
    if (m_config.timestepSpacing == "linspace") {
        const auto lin = detail::npLinspace(0.0, static_cast<double>(lastTimestep - 1), n + 1);
        for (int64_t i = n; i >= 1; --i) timesteps.push_back(detail::npRound(lin[static_cast<size_t>(i)]));
    } else if (m_config.timestepSpacing == "leading") {
        const int64_t ratio = lastTimestep / (n + 1);
        for (int64_t i = n; i >= 1; --i) timesteps.push_back(static_cast<double>(i * ratio + m_config.stepsOffset));
    } else {  // trailing
        const double ratio = static_cast<double>(T) / static_cast<double>(n);
        for (double v : detail::npArange(static_cast<double>(lastTimestep), 0.0, -ratio))
            timesteps.push_back(static_cast<double>(static_cast<int64_t>(detail::npRound(v)) - 1));
    }

    const auto full = detail::toDoubleVector(detail::trainingSigmas(m_alphasCumprod));
    std::vector<double> sigmas;
    if (m_config.useKarrasSigmas || m_config.useLuLambdas) {
        std::vector<float> logSigmas;
        for (double s : full) logSigmas.push_back(std::log(static_cast<float>(s)));
        if (m_config.useKarrasSigmas) {
            // in_sigmas = flip(sigmas): [-1] is the smallest, [0] the largest.
            sigmas = detail::karrasSigmas(full.front(), full.back(), n);
        } else {
            // _convert_to_lu on flip(log_sigmas), rho = 1, then exp.
            const double lambdaMin = logSigmas.front();
            const double lambdaMax = logSigmas.back();
            for (double r : detail::npLinspace(0.0, 1.0, n)) sigmas.push_back(std::exp(lambdaMax + r * (lambdaMin - lambdaMax)));
        }
        timesteps.clear();
        for (double s : sigmas) timesteps.push_back(detail::npRound(detail::sigmaToT(s, logSigmas)));
        sigmas.push_back(sigmas.back());
    } else {
        sigmas = detail::npInterp(timesteps, full);
        const auto a0 = m_alphasCumprod[0];
        sigmas.push_back(((1 - a0) / a0).pow(0.5).item<double>());
    }
    m_sigmas = detail::float32Tensor(sigmas);
    std::vector<int64_t> ts;
    for (double v : timesteps) ts.push_back(static_cast<int64_t>(v));
    m_timesteps = detail::int64Tensor(ts);

    m_modelOutputs.assign(static_cast<size_t>(m_config.solverOrder), torch::Tensor());
    m_lowerOrderNums = 0;
    m_stepIndex.reset();
}

int64_t DpmSolverMultistepScheduler::lookUpIndex(double timestep) const
{
    // _init_step_index: no match -> last index; two or more -> the second.
    std::vector<int64_t> idx;
    const auto* p = m_timesteps.data_ptr<int64_t>();
    for (int64_t i = 0; i < m_timesteps.numel(); ++i)
        if (static_cast<double>(p[i]) == timestep) idx.push_back(i);
    if (idx.empty()) return m_timesteps.numel() - 1;
    return idx.size() > 1 ? idx[1] : idx[0];
}

torch::Tensor DpmSolverMultistepScheduler::convertModelOutput(const torch::Tensor& modelOutput,
                                                              const torch::Tensor& sample) const
{
    const auto& pt = m_config.predictionType;
    const auto sigma = m_sigmas[*m_stepIndex];
    const auto [alphaT, sigmaT] = alphaSigma(sigma);
    if (m_config.algorithmType == "dpmsolver++" || m_config.algorithmType == "sde-dpmsolver++") {
        torch::Tensor x0;
        if (pt == "epsilon") x0 = (sample - sigmaT * modelOutput) / alphaT;
        else if (pt == "sample") x0 = modelOutput;
        else x0 = alphaT * sample - sigmaT * modelOutput;  // v_prediction
        if (m_config.thresholding)
            x0 = thresholdSample(x0, m_config.dynamicThresholdingRatio, m_config.sampleMaxValue);
        return x0;
    }
    // dpmsolver / sde-dpmsolver work on the noise prediction.
    torch::Tensor epsilon;
    if (pt == "epsilon") epsilon = modelOutput;
    else if (pt == "sample") epsilon = (sample - alphaT * modelOutput) / sigmaT;
    else epsilon = alphaT * modelOutput + sigmaT * sample;
    if (m_config.thresholding) {
        auto x0 = (sample - sigmaT * epsilon) / alphaT;
        x0 = thresholdSample(x0, m_config.dynamicThresholdingRatio, m_config.sampleMaxValue);
        epsilon = (sample - alphaT * x0) / sigmaT;
    }
    return epsilon;
}

torch::Tensor DpmSolverMultistepScheduler::firstOrderUpdate(const torch::Tensor& m, const torch::Tensor& sample,
                                                            const torch::Tensor& noise) const
{
    const int64_t i = *m_stepIndex;
    const auto [alphaT, sigmaT] = alphaSigma(m_sigmas[i + 1]);
    const auto [alphaS, sigmaS] = alphaSigma(m_sigmas[i]);
    const auto lambdaT = torch::log(alphaT) - torch::log(sigmaT);
    const auto lambdaS = torch::log(alphaS) - torch::log(sigmaS);
    const auto h = lambdaT - lambdaS;
    const auto& alg = m_config.algorithmType;
    if (alg == "dpmsolver++") return (sigmaT / sigmaS) * sample - (alphaT * (torch::exp(-h) - 1.0)) * m;
    if (alg == "dpmsolver") return (alphaT / alphaS) * sample - (sigmaT * (torch::exp(h) - 1.0)) * m;
    if (alg == "sde-dpmsolver++") {
        return (sigmaT / sigmaS * torch::exp(-h)) * sample + (alphaT * (1 - torch::exp(-2.0 * h))) * m +
               sigmaT * torch::sqrt(1.0 - torch::exp(-2 * h)) * noise;
    }
    // sde-dpmsolver
    return (alphaT / alphaS) * sample - 2.0 * (sigmaT * (torch::exp(h) - 1.0)) * m +
           sigmaT * torch::sqrt(torch::exp(2 * h) - 1.0) * noise;
}

torch::Tensor DpmSolverMultistepScheduler::secondOrderUpdate(const torch::Tensor& sample,
                                                             const torch::Tensor& noise) const
{
    const int64_t i = *m_stepIndex;
    const auto [alphaT, sigmaT] = alphaSigma(m_sigmas[i + 1]);
    const auto [alphaS0, sigmaS0] = alphaSigma(m_sigmas[i]);
    const auto [alphaS1, sigmaS1] = alphaSigma(m_sigmas[i - 1]);
    const auto lambdaT = torch::log(alphaT) - torch::log(sigmaT);
    const auto lambdaS0 = torch::log(alphaS0) - torch::log(sigmaS0);
    const auto lambdaS1 = torch::log(alphaS1) - torch::log(sigmaS1);
    const auto& m0 = m_modelOutputs[m_modelOutputs.size() - 1];
    const auto& m1 = m_modelOutputs[m_modelOutputs.size() - 2];
    const auto h = lambdaT - lambdaS0;
    const auto h0 = lambdaS0 - lambdaS1;
    const auto r0 = h0 / h;
    const auto& d0 = m0;
    const auto d1 = r0.reciprocal() * (m0 - m1);  // (1.0 / r0) * (m0 - m1)
    const auto& alg = m_config.algorithmType;
    const bool midpoint = m_config.solverType == "midpoint";
    if (alg == "dpmsolver++") {
        if (midpoint)
            return (sigmaT / sigmaS0) * sample - (alphaT * (torch::exp(-h) - 1.0)) * d0 -
                   0.5 * (alphaT * (torch::exp(-h) - 1.0)) * d1;
        return (sigmaT / sigmaS0) * sample - (alphaT * (torch::exp(-h) - 1.0)) * d0 +
               (alphaT * ((torch::exp(-h) - 1.0) / h + 1.0)) * d1;
    }
    if (alg == "dpmsolver") {
        if (midpoint)
            return (alphaT / alphaS0) * sample - (sigmaT * (torch::exp(h) - 1.0)) * d0 -
                   0.5 * (sigmaT * (torch::exp(h) - 1.0)) * d1;
        return (alphaT / alphaS0) * sample - (sigmaT * (torch::exp(h) - 1.0)) * d0 -
               (sigmaT * ((torch::exp(h) - 1.0) / h - 1.0)) * d1;
    }
    if (alg == "sde-dpmsolver++") {
        if (midpoint)
            return (sigmaT / sigmaS0 * torch::exp(-h)) * sample + (alphaT * (1 - torch::exp(-2.0 * h))) * d0 +
                   0.5 * (alphaT * (1 - torch::exp(-2.0 * h))) * d1 +
                   sigmaT * torch::sqrt(1.0 - torch::exp(-2 * h)) * noise;
        return (sigmaT / sigmaS0 * torch::exp(-h)) * sample + (alphaT * (1 - torch::exp(-2.0 * h))) * d0 +
               (alphaT * ((1.0 - torch::exp(-2.0 * h)) / (-2.0 * h) + 1.0)) * d1 +
               sigmaT * torch::sqrt(1.0 - torch::exp(-2 * h)) * noise;
    }
    // sde-dpmsolver
    if (midpoint)
        return (alphaT / alphaS0) * sample - 2.0 * (sigmaT * (torch::exp(h) - 1.0)) * d0 -
               (sigmaT * (torch::exp(h) - 1.0)) * d1 + sigmaT * torch::sqrt(torch::exp(2 * h) - 1.0) * noise;
    return (alphaT / alphaS0) * sample - 2.0 * (sigmaT * (torch::exp(h) - 1.0)) * d0 -
           2.0 * (sigmaT * ((torch::exp(h) - 1.0) / h - 1.0)) * d1 +
           sigmaT * torch::sqrt(torch::exp(2 * h) - 1.0) * noise;
}

torch::Tensor DpmSolverMultistepScheduler::thirdOrderUpdate(const torch::Tensor& sample) const
{
    const int64_t i = *m_stepIndex;
    const auto [alphaT, sigmaT] = alphaSigma(m_sigmas[i + 1]);
    const auto [alphaS0, sigmaS0] = alphaSigma(m_sigmas[i]);
    const auto [alphaS1, sigmaS1] = alphaSigma(m_sigmas[i - 1]);
    const auto [alphaS2, sigmaS2] = alphaSigma(m_sigmas[i - 2]);
    const auto lambdaT = torch::log(alphaT) - torch::log(sigmaT);
    const auto lambdaS0 = torch::log(alphaS0) - torch::log(sigmaS0);
    const auto lambdaS1 = torch::log(alphaS1) - torch::log(sigmaS1);
    const auto lambdaS2 = torch::log(alphaS2) - torch::log(sigmaS2);
    const size_t k = m_modelOutputs.size();
    const auto& m0 = m_modelOutputs[k - 1];
    const auto& m1 = m_modelOutputs[k - 2];
    const auto& m2 = m_modelOutputs[k - 3];
    const auto h = lambdaT - lambdaS0;
    const auto h0 = lambdaS0 - lambdaS1;
    const auto h1 = lambdaS1 - lambdaS2;
    const auto r0 = h0 / h;
    const auto r1 = h1 / h;
    const auto& d0 = m0;
    const auto d10 = r0.reciprocal() * (m0 - m1);
    const auto d11 = r1.reciprocal() * (m1 - m2);
    const auto d1 = d10 + (r0 / (r0 + r1)) * (d10 - d11);
    const auto d2 = (r0 + r1).reciprocal() * (d10 - d11);
    if (m_config.algorithmType == "dpmsolver++") {
        return (sigmaT / sigmaS0) * sample - (alphaT * (torch::exp(-h) - 1.0)) * d0 +
               (alphaT * ((torch::exp(-h) - 1.0) / h + 1.0)) * d1 -
               (alphaT * ((torch::exp(-h) - 1.0 + h) / h.pow(2) - 0.5)) * d2;
    }
    // dpmsolver (diffusers has no third-order SDE update; step() never asks for one, see below)
    return (alphaT / alphaS0) * sample - (sigmaT * (torch::exp(h) - 1.0)) * d0 -
           (sigmaT * ((torch::exp(h) - 1.0) / h - 1.0)) * d1 -
           (sigmaT * ((torch::exp(h) - 1.0 - h) / h.pow(2) - 0.5)) * d2;
}

StepResult DpmSolverMultistepScheduler::step(const torch::Tensor& modelOutputIn, double timestep,
                                             const torch::Tensor& sample, const StepOptions& options)
{
    requireTimesteps("DPMSolverMultistepScheduler.step");
    if (!m_stepIndex) m_stepIndex = lookUpIndex(timestep);
    const int64_t n = m_timesteps.numel();
    if (*m_stepIndex >= n)
        throw SchedulerError("DPMSolverMultistepScheduler.step: every step of the schedule has been taken; call "
                             "setTimesteps() before a new run");
    const int64_t i = *m_stepIndex;
    const bool lowerOrderFinal =
        (i == n - 1) && (m_config.eulerAtFinal || (m_config.lowerOrderFinal && n < 15));
    const bool lowerOrderSecond = (i == n - 2) && m_config.lowerOrderFinal && n < 15;

    const auto converted = convertModelOutput(modelOutputIn, sample);
    for (size_t k = 0; k + 1 < m_modelOutputs.size(); ++k) m_modelOutputs[k] = m_modelOutputs[k + 1];
    m_modelOutputs.back() = converted;

    torch::Tensor noise;
    if (isSde(m_config.algorithmType)) noise = drawNoise(converted, options);

    torch::Tensor prevSample;
    if (m_config.solverOrder == 1 || m_lowerOrderNums < 1 || lowerOrderFinal) {
        prevSample = firstOrderUpdate(converted, sample, noise);
    } else if (m_config.solverOrder == 2 || m_lowerOrderNums < 2 || lowerOrderSecond) {
        prevSample = secondOrderUpdate(sample, noise);
    } else {
        if (isSde(m_config.algorithmType))
            throw SchedulerError("DPMSolverMultistepScheduler: third-order SDE updates are not defined (diffusers "
                                 "0.25.1 has none); use solver_order 2 with an SDE algorithm_type");
        prevSample = thirdOrderUpdate(sample);
    }
    if (m_lowerOrderNums < m_config.solverOrder) ++m_lowerOrderNums;
    ++*m_stepIndex;

    // x0 for previews: the data prediction itself for dpmsolver++, derived from epsilon otherwise.
    torch::Tensor x0 = converted;
    if (m_config.algorithmType == "dpmsolver" || m_config.algorithmType == "sde-dpmsolver") {
        const auto [alphaT, sigmaT] = alphaSigma(m_sigmas[i]);
        x0 = (sample - sigmaT * converted) / alphaT;
    }
    return {prevSample, x0};
}

torch::Tensor DpmSolverMultistepScheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                                    const torch::Tensor& timesteps) const
{
    requireTimesteps("add_noise");
    auto sigmas = m_sigmas.to(original.device(), original.scalar_type());
    std::vector<int64_t> indices;
    for (double t : detail::toDoubleVector(timesteps.reshape({-1}))) indices.push_back(lookUpIndex(t));
    auto sigma = sigmas.index_select(0, detail::int64Tensor(indices).to(original.device())).flatten();
    while (sigma.dim() < original.dim()) sigma = sigma.unsqueeze(-1);
    const auto [alphaT, sigmaT] = alphaSigma(sigma);
    return alphaT * original + sigmaT * noise;
}

}  // namespace inpaint::diffusion
