// Fused bf16 attention for CPUs with AVX-512 BF16 (vdpbf16ps), used by the blocked CPU attention
// (attention.h) when q, k and v are bf16.
//
// LibTorch 1.13 runs the two attention GEMMs as oneDNN bf16 matmuls of awkward shapes (K = 40 for
// QK^T, N = 40 for PV at SD 1.5's head width), each through its own call, with the scores written
// out in bf16 between them. This kernel, per (batch, head, block of 48 queries):
//   1. S = scale * Q K^T in fp32 (bf16 pairs multiplied exactly, summed in fp32 by vdpbf16ps),
//      K pre-arranged once per (batch, head) into key-pair-interleaved vectors; each row's maximum
//      is taken as the scores are written;
//   2. E = exp(S - max) in fp32, rounded to bf16 (one pass over S; the exponential is
//      softmax_rows'), and each row's sum of the rounded E;
//   3. O = (E V) / sum, again by vdpbf16ps over pairs of keys, the division applied to the fp32
//      sums, rounded once to bf16.
// The scores stay fp32 whether or not the model asks to upcast attention, so the result is at least
// as close to fp32 attention as diffusers' bf16 (scores rounded to bf16 before the softmax) or
// upcast (fp32 scores and softmax, bf16 probabilities) paths; it is not bit-equal to either.
#pragma once

#include <ATen/core/Tensor.h>

namespace inpaint::models::nn {

// Whether the kernel runs on this CPU (AVX-512 BF16 detected at run time, INPAINT_FUSED not 0).
bool fusedAttentionBf16Available();

// softmax(scale * q_h k_h^T) v_h for every batch and head of the [B, N, heads*D] / [B, M, heads*D]
// CPU bf16 tensors (last dimension contiguous). Returns a new contiguous [B, N, heads*D] bf16 tensor,
// or an undefined tensor, doing nothing, where the kernel does not apply (no AVX-512 BF16, other
// dtypes or layouts, an odd head width). Runs its tasks over the intra-op threads.
at::Tensor fusedAttentionBf16(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              double scale);

}  // namespace inpaint::models::nn
