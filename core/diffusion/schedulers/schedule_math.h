// Noise-schedule arithmetic shared by the schedulers. diffusers builds its schedules partly with
// torch (betas, alphas_cumprod: float32) and partly with numpy (timestep spacing, sigma
// interpolation, Karras sigmas: float64, with numpy's rounding and arange semantics); these helpers
// reproduce each step in the same precision so the schedules match value for value.
// Mirrors the betas/alphas code in diffusers 0.25.1 schedulers/scheduling_*.py.
#pragma once

#include "core/diffusion/schedulers/scheduler_config.h"

#include <torch/types.h>

#include <vector>

namespace inpaint::diffusion::detail {

// betas (float32, [num_train_timesteps]) for trained_betas / linear / scaled_linear /
// squaredcos_cap_v2 (betas_for_alpha_bar with max_beta 0.999).
torch::Tensor makeBetas(const SchedulerConfig& config);
// rescale_zero_terminal_snr (arXiv 2305.08891, Algorithm 1), in float32 as diffusers does.
torch::Tensor rescaleZeroTerminalSnr(const torch::Tensor& betas);
// cumprod(1 - betas), float32.
torch::Tensor alphasCumprodOf(const torch::Tensor& betas);
// ((1 - a) / a) ** 0.5 in float32: the k-diffusion sigma of every training step.
torch::Tensor trainingSigmas(const torch::Tensor& alphasCumprod);

// numpy.linspace(start, stop, num) (endpoint included), float64.
std::vector<double> npLinspace(double start, double stop, int64_t num);
// numpy.arange(start, stop, step) for floats: len = ceil((stop - start) / step), then numpy's fill
// (value i = start + i * ((start + step) - start)).
std::vector<double> npArange(double start, double stop, double step);
// numpy.round / rint: half to even.
double npRound(double x);
// numpy.interp(x, arange(len(fp)), fp) in float64.
std::vector<double> npInterp(const std::vector<double>& x, const std::vector<double>& fp);
// diffusers' _sigma_to_t: piecewise-linear inverse of log(sigma) over the training steps, with
// numpy's float32/float64 mix (log_sigmas is a float32 array).
double sigmaToT(double sigma, const std::vector<float>& logSigmas);
// Karras et al. (2022) rho = 7 schedule from sigmaMax down to sigmaMin in n values.
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int64_t n);

std::vector<float> toFloatVector(const torch::Tensor& t);    // any CPU tensor, values as float
std::vector<double> toDoubleVector(const torch::Tensor& t);  // any CPU tensor, values as double
torch::Tensor float32Tensor(const std::vector<double>& v);   // rounds to float32
torch::Tensor int64Tensor(const std::vector<int64_t>& v);

}  // namespace inpaint::diffusion::detail
