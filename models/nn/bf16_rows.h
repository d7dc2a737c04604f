// Row kernels for the transformer blocks' bf16 tensors on the CPU: LayerNorm over the last
// dimension and GEGLU's product. LibTorch 1.13 runs both one element at a time in bf16 (on the
// 2-core EPYC its bf16 layer_norm takes 19 ms on an [8192, 320] tensor where its fp32 one takes
// 0.7 ms, and its bf16 GELU 1.7 ns per element), which made them about a sixth of a bf16 UNet step.
// Here the statistics and the GELU are fp32, each output is rounded to bf16 once, with AVX-512
// (F, BW, VL, DQ) where the CPU has it (detected at run time) and ATen's fp32 kernels elsewhere.
#pragma once

#include <ATen/core/Tensor.h>

namespace inpaint::models::nn {

// y = (x - mean) / sqrt(var + eps) * weight + bias over the last dimension (biased variance, as
// torch.nn.LayerNorm), for a bf16 CPU tensor x and bf16 or fp32 weight and bias of that length.
// Mean and variance are two-pass fp32 sums over the row; the result is rounded to bf16 once.
// Other dtypes and devices go to at::layer_norm unchanged.
at::Tensor layerNormLastDim(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps);

// GEGLU's value * gelu(gate) (exact erf GELU) for bf16 rows [rows, 2 * inner] (value first, then
// gate, as diffusers splits the projection): the GELU in fp32 (ATen's vectorised kernel on a
// per-block fp32 copy of the gate), the product in fp32 and rounded once. Returns an undefined
// tensor where it does not apply (not a contiguous bf16 CPU tensor, no AVX-512, INPAINT_FUSED=0);
// the caller then uses ATen's ops.
at::Tensor gegluBf16(const at::Tensor& h);

// SiLU (x * sigmoid(x)) in place on a contiguous (or channels-last) bf16 CPU tensor, split over the
// pool (inline when called from a worker, as the fused GroupNorm does): each value computed in fp32
// from the bf16 input and rounded once, as ATen's bf16 silu does, with the engine's exponential
// (within half a bf16 step of exact SiLU, two of ATen's; 2-3x its speed on the EPYC). Returns
// false, leaving the tensor untouched, where it does not apply (another dtype or layout, no
// AVX-512, INPAINT_FUSED=0).
bool siluBf16InPlace(at::Tensor& t);

// Whether the AVX-512 kernels above run on this CPU (for the tests' messages).
bool bf16RowKernelsAvailable();

}  // namespace inpaint::models::nn
