// Row softmax for attention scores on the CPU, in one kernel: max, exp and sum, normalise, in fp32
// registers whatever the storage type. LibTorch 1.13's bf16 softmax costs about 2 ns per score on
// the 2-core EPYC (more than the two GEMMs around it); this one reads each score once from memory
// and keeps the row's exponentials in a per-thread fp32 buffer. It uses AVX-512 (F, BW, VL, DQ),
// detected at run time; elsewhere it declines and the caller uses ATen.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

namespace inpaint::models::nn {

// probs[r, :] = softmax(scores[r, :]) for every row of the 2-D CPU tensors `scores` and `probs`
// (same shape, last dimension contiguous, rows at any stride). scores may be fp32 or bf16, probs
// fp32 or bf16 (fp32 scores into bf16 probs is the upcast path's "softmax, then cast").
// The exponential is a Cody-Waite reduction and a degree-7 polynomial (relative error below
// 2e-7, about 1.5 fp32 ulp), so fp32 results differ from ATen's in the last bits; bf16 results,
// rounded to nearest even as c10::BFloat16 does, almost never do. Single-threaded: it is called
// inside the attention's parallel tasks. Returns false, doing nothing, where it does not apply
// (no AVX-512, other dtypes or layouts, INPAINT_FUSED=0).
bool softmaxRows(const at::Tensor& scores, const at::Tensor& probs);

// Whether softmaxRows runs on this CPU at all (for the bench's header and the tests).
bool softmaxRowsAvailable();

}  // namespace inpaint::models::nn
