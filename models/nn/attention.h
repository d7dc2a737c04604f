// The one multi-head attention kernel of the engine (diffusers' AttnProcessor /
// AttnProcessor2_0 math: softmax(scale * Q K^T) V per head), shared by the UNet's
// transformer blocks and the VAE's mid-block attention.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace inpaint::models::nn {

enum class AttentionBackend {
    Auto,     // SDPA where LibTorch has it (>= 2.0), else Blocked on CPU and Batched elsewhere
    Blocked,  // tasks of (batch, head, query chunk) over the threads: GEMM -> softmax -> GEMM into the output
    Batched,  // heads folded into the batch: baddbmm + softmax + bmm, queries chunked
    Sdpa,     // at::scaled_dot_product_attention (LibTorch >= 2.0 only; otherwise Batched)
};

struct AttentionOptions {
    double scale = 0.0;        // 0: 1/sqrt(head_dim)
    bool upcast = false;       // scores and softmax in fp32 for fp16/bf16 inputs (upcast_attention/_softmax)
    AttentionBackend backend = AttentionBackend::Auto;
};

// q: [B, N, heads*D], k and v: [B, M, heads*D]; the last dimension must have stride 1, other
// strides are free (views into a fused QKV projection are fine). Returns [B, N, heads*D],
// contiguous, in q's dtype. Never materialises more than a bounded slab of scores
// (see setAttentionScoreBudget), so 64x64 latents (4096 tokens) stay small in memory.
torch::Tensor multiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 int64_t heads, const AttentionOptions& options = {});

// Process-wide choice used when a call asks for Auto (for tests and inpaint-bench comparisons).
void setDefaultAttentionBackend(AttentionBackend backend);
AttentionBackend defaultAttentionBackend();

// Bytes of attention scores computed at once (per thread for Blocked, for all heads for Batched).
// Default 4 MiB: one 256x4096 fp32 slab per thread stays cache-friendly on CPU.
void setAttentionScoreBudget(int64_t bytes);
int64_t attentionScoreBudget();

}  // namespace inpaint::models::nn
