// Noise-schedule arithmetic (see schedule_math.h).
#include "core/diffusion/schedulers/schedule_math.h"

#include <algorithm>
#include <cmath>

namespace inpaint::diffusion::detail {

namespace {

// diffusers' betas_for_alpha_bar(num_diffusion_timesteps, max_beta=0.999, "cosine"): Python float
// math, then one rounding to float32.
torch::Tensor cosineBetas(int64_t n)
{
    auto alphaBar = [](double t) {
        const double c = std::cos((t + 0.008) / 1.008 * M_PI / 2);
        return c * c;  // Python's `** 2` on a float is pow(c, 2), which is exact as c * c
    };
    std::vector<double> betas(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        const double t1 = static_cast<double>(i) / static_cast<double>(n);
        const double t2 = static_cast<double>(i + 1) / static_cast<double>(n);
        betas[static_cast<size_t>(i)] = std::min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
    }
    return float32Tensor(betas);
}

}  // namespace

torch::Tensor makeBetas(const SchedulerConfig& c)
{
    const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
    if (c.trainedBetas) return float32Tensor(*c.trainedBetas);
    if (c.betaSchedule == "linear") return torch::linspace(c.betaStart, c.betaEnd, c.numTrainTimesteps, f32);
    if (c.betaSchedule == "scaled_linear") {
        // Python's beta ** 0.5 is C pow(beta, 0.5).
        return torch::linspace(std::pow(c.betaStart, 0.5), std::pow(c.betaEnd, 0.5), c.numTrainTimesteps, f32)
            .pow(2);
    }
    return cosineBetas(c.numTrainTimesteps);  // squaredcos_cap_v2 (validated before)
}

torch::Tensor rescaleZeroTerminalSnr(const torch::Tensor& betas)
{
    auto alphas = 1.0 - betas;
    auto alphasCumprod = torch::cumprod(alphas, 0);
    auto alphasBarSqrt = alphasCumprod.sqrt();
    auto sqrt0 = alphasBarSqrt[0].clone();
    auto sqrtT = alphasBarSqrt[-1].clone();
    alphasBarSqrt -= sqrtT;
    alphasBarSqrt *= sqrt0 / (sqrt0 - sqrtT);
    auto alphasBar = alphasBarSqrt.pow(2);
    auto ratios = alphasBar.slice(0, 1) / alphasBar.slice(0, 0, -1);
    auto newAlphas = torch::cat({alphasBar.slice(0, 0, 1), ratios});
    return 1 - newAlphas;
}

torch::Tensor alphasCumprodOf(const torch::Tensor& betas)
{
    return torch::cumprod(1.0 - betas, 0);
}

torch::Tensor trainingSigmas(const torch::Tensor& alphasCumprod)
{
    return ((1 - alphasCumprod) / alphasCumprod).pow(0.5);
}

std::vector<double> npLinspace(double start, double stop, int64_t num)
{
    std::vector<double> y;
    if (num <= 0) return y;
    y.resize(static_cast<size_t>(num));
    if (num == 1) {
        y[0] = start;
        return y;
    }
    const double delta = stop - start;
    const double step = delta / static_cast<double>(num - 1);
    for (int64_t i = 0; i < num; ++i) y[static_cast<size_t>(i)] = static_cast<double>(i) * step + start;
    y.back() = stop;
    return y;
}

std::vector<double> npArange(double start, double stop, double step)
{
    std::vector<double> out;
    const double lenD = std::ceil((stop - start) / step);
    if (!(lenD > 0)) return out;
    const auto len = static_cast<int64_t>(lenD);
    out.resize(static_cast<size_t>(len));
    out[0] = start;
    if (len > 1) out[1] = start + step;
    const double delta = (len > 1 ? out[1] : start + step) - start;
    for (int64_t i = 2; i < len; ++i) out[static_cast<size_t>(i)] = start + static_cast<double>(i) * delta;
    return out;
}

double npRound(double x)
{
    return std::nearbyint(x);  // default rounding mode: to nearest, ties to even (numpy's rint)
}

std::vector<double> npInterp(const std::vector<double>& x, const std::vector<double>& fp)
{
    const auto n = static_cast<int64_t>(fp.size());
    std::vector<double> out(x.size());
    for (size_t i = 0; i < x.size(); ++i) {
        const double xv = x[i];
        if (std::isnan(xv)) {
            out[i] = xv;
        } else if (xv <= 0.0) {
            out[i] = fp[0];  // left of (or at) the first point
        } else if (xv >= static_cast<double>(n - 1)) {
            out[i] = fp[static_cast<size_t>(n - 1)];
        } else {
            const auto j = static_cast<int64_t>(std::floor(xv));  // xp[j] <= x < xp[j + 1]
            const double xj = static_cast<double>(j);
            if (xj == xv) {
                out[i] = fp[static_cast<size_t>(j)];
            } else {
                const double slope = (fp[static_cast<size_t>(j + 1)] - fp[static_cast<size_t>(j)]) / (xj + 1.0 - xj);
                double r = slope * (xv - xj) + fp[static_cast<size_t>(j)];
                if (std::isnan(r)) r = slope * (xv - (xj + 1.0)) + fp[static_cast<size_t>(j + 1)];
                out[i] = r;
            }
        }
    }
    return out;
}

double sigmaToT(double sigma, const std::vector<float>& logSigmas)
{
    const double logSigma = std::log(std::max(sigma, 1e-10));
    // numpy: float64 scalar minus float32 array stays float32, so the comparison is made on the
    // float32-rounded log sigma.
    const auto logSigma32 = static_cast<float>(logSigma);
    const auto n = static_cast<int64_t>(logSigmas.size());
    // argmax(cumsum(dists >= 0)) = index of the last entry <= logSigma (0 if none), clipped to n - 2.
    int64_t low = 0;
    for (int64_t i = 0; i < n; ++i)
        if (logSigma32 - logSigmas[static_cast<size_t>(i)] >= 0.0f) low = i;
    low = std::min(low, n - 2);
    const int64_t high = low + 1;
    const float lowV = logSigmas[static_cast<size_t>(low)];
    const float highV = logSigmas[static_cast<size_t>(high)];
    // (low - log_sigma): float32 scalar and float64 scalar -> float64; (low - high) stays float32.
    const float denom = lowV - highV;
    double w = (static_cast<double>(lowV) - logSigma) / static_cast<double>(denom);
    w = std::clamp(w, 0.0, 1.0);
    return (1.0 - w) * static_cast<double>(low) + w * static_cast<double>(high);
}

std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int64_t n)
{
    const double rho = 7.0;
    const auto ramp = npLinspace(0.0, 1.0, n);
    const double minInvRho = std::pow(sigmaMin, 1.0 / rho);
    const double maxInvRho = std::pow(sigmaMax, 1.0 / rho);
    std::vector<double> out(ramp.size());
    for (size_t i = 0; i < ramp.size(); ++i) out[i] = std::pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), rho);
    return out;
}

std::vector<float> toFloatVector(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::vector<double> toDoubleVector(const torch::Tensor& t)
{
    auto c = t.detach().to(torch::kCPU, torch::kFloat64).contiguous();
    return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

torch::Tensor float32Tensor(const std::vector<double>& v)
{
    auto t = torch::empty({static_cast<int64_t>(v.size())}, torch::kFloat32);
    auto* p = t.data_ptr<float>();
    for (size_t i = 0; i < v.size(); ++i) p[i] = static_cast<float>(v[i]);
    return t;
}

torch::Tensor int64Tensor(const std::vector<int64_t>& v)
{
    auto t = torch::empty({static_cast<int64_t>(v.size())}, torch::kInt64);
    std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
    return t;
}

}  // namespace inpaint::diffusion::detail
