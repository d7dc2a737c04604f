// Small building blocks shared by the UNet and the VAE: group norm (+ activation) that works
// for every dtype/device combination we run, linear layers that take strided inputs, and
// module-wide helpers (channels-last conversion, parameter dtype).
#pragma once

#include "models/nn/activation.h"
#include "models/nn/conv.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

namespace inpaint::models::nn {

Conv2d makeConv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
                             bool bias = true);
torch::nn::GroupNorm makeGroupNorm(int64_t groups, int64_t channels, double eps);
torch::nn::Linear makeLinear(int64_t in, int64_t out, bool bias = true);

// False when INPAINT_FUSED=0: the engine's fused CPU kernels (GroupNorm+SiLU, GEGLU, the row
// softmax, the NCHW bf16 GroupNorm) step aside for the plain ATen ops (inpaint-bench's before/after).
bool fusedKernels();

// GroupNorm as diffusers computes it. Reduced-precision inputs on CPU are normalised in fp32
// (LibTorch 1.13 has no fp16 CPU kernel and bf16 statistics lose too much), then cast back.
torch::Tensor groupNorm(const torch::nn::GroupNorm& norm, const torch::Tensor& x);
// act(groupNorm(x)), the activation applied in place on the fresh normalised tensor.
torch::Tensor groupNormAct(const torch::nn::GroupNorm& norm, const torch::Tensor& x, Activation act);

// GEGLU's product value * gelu(gate) (exact erf GELU) for h = [value | gate] along the last
// dimension, as one pass: on CPU, blocks of rows are formed with ATen's own gelu and mul while
// they are in cache (bit for bit equal to gelu(gate) * value, without a second trip to memory).
torch::Tensor geglu(const torch::Tensor& h);

// x [..., in] -> [..., out]; x may be a strided view. Same math as torch::nn::Linear.
torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x);
// The same with a plain [out, in] weight (a 1x1 convolution's weight reshaped, say) and an
// optional (undefined) bias. fp32 CPU inputs of 16 rows or more run as a oneDNN 1x1 convolution.
torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// Nearest-neighbour 2x upsampling (== F.interpolate(scale_factor=2, mode="nearest")) as one
// broadcast copy; keeps the memory format of x.
torch::Tensor upsampleNearest2x(const torch::Tensor& x);

// Converts every 4-D parameter of `module` (conv weights) to channels-last in place.
void convertConvWeightsToChannelsLast(torch::nn::Module& module);

// The dtype and device of the module's first parameter (kFloat / CPU when it has none).
c10::ScalarType moduleDtype(const torch::nn::Module& module);
c10::Device moduleDevice(const torch::nn::Module& module);

// Parameter count (what diffusers' num_parameters() reports).
int64_t parameterCount(const torch::nn::Module& module);

}  // namespace inpaint::models::nn
