// GroupNorm for 4-D channels-last CPU tensors in fp32 or bf16, statistics accumulated in double
// straight from the input (no fp32 copy of a bf16 tensor), output in the input's dtype and memory
// format. LibTorch 1.13's own path for bf16 needs an fp32 copy of the input (its bf16 kernel
// accumulates the moments in bf16), and that copy plus its channels-last group_norm cost more than
// the 3x3 convolution beside them at the VAE's large sizes (0.9 s vs 0.6 s for 512x256x256 on the
// 2-core EPYC; README, Speed). Two passes: per-channel sums, then y = x * a_c + b_c.
#pragma once

#include "models/nn/activation.h"

#include <ATen/Tensor.h>

#include <optional>

namespace inpaint::models::nn {

// True when groupNormChannelsLast can take x: CPU, 4-D, fp32 or bf16, channels-last contiguous,
// channels divisible by groups.
bool groupNormChannelsLastApplies(const at::Tensor& x, int64_t groups);
// gamma/beta: [C] (any float dtype). `act`, when given, is applied to each block of the output
// while it is in cache (GroupNorm+activation fused: one pass over memory fewer than norm, then act).
at::Tensor groupNormChannelsLast(const at::Tensor& x, int64_t groups, const at::Tensor& gamma, const at::Tensor& beta,
                                 double eps, std::optional<Activation> act = std::nullopt);

// The same for contiguous NCHW bf16 tensors (oneDNN's packed convolutions return NCHW, so this is
// the layout most bf16 norms see): LibTorch's way needs an fp32 copy in and a bf16 copy out (the VAE
// decode at 512 px spent 0.9 s of 5.3 s in it). fp32 NCHW keeps ATen's group_norm.
bool groupNormNchwBf16Applies(const at::Tensor& x, int64_t groups);
at::Tensor groupNormNchwBf16(const at::Tensor& x, int64_t groups, const at::Tensor& gamma, const at::Tensor& beta,
                             double eps, std::optional<Activation> act = std::nullopt);

}  // namespace inpaint::models::nn
