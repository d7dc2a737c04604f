// Multi-head attention (see attention.h). Mirrors the math of diffusers 0.25.1
// models/attention_processor.py (Attention.get_attention_scores: baddbmm with beta=0 and
// alpha=scale, softmax over keys, bmm with values), without the per-head copies.
#include "models/nn/attention.h"
#include "models/nn/attention_bf16.h"
#include "models/nn/op_profile.h"
#include "models/nn/softmax_rows.h"

#include <ATen/ATen.h>
#include "models/nn/parallel.h"
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>

namespace inpaint::models::nn {

namespace {

std::atomic<int64_t> g_scoreBudget{int64_t{4} << 20};
std::atomic<AttentionBackend> g_defaultBackend{AttentionBackend::Auto};

int64_t queryChunk(int64_t queries, int64_t keys, int64_t elementSize, int64_t parallelSlabs)
{
    const int64_t perRow = std::max<int64_t>(1, keys * elementSize * parallelSlabs);
    return std::clamp<int64_t>(g_scoreBudget.load() / perRow, 1, queries);
}

bool isReduced(at::ScalarType t)
{
    return t == at::kHalf || t == at::kBFloat16;
}

// Per head: scores slab [c, M] = scale * q_h[c] k_h^T, softmax in place of a second slab, then
// out_h[c] = probs v_h written straight into the strided output view. The head slices are plain
// strided matrices (leading dimension heads*D), which BLAS takes as they are.
torch::Tensor blockedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               int64_t heads, double scale, bool upcast)
{
    // bf16 on a CPU with AVX-512 BF16: one fused kernel, fp32 scores either way (attention_bf16.h).
    if (torch::Tensor fused = fusedAttentionBf16(q, k, v, heads, scale); fused.defined())
        return fused;
    const int64_t B = q.size(0), N = q.size(1), C = q.size(2), M = k.size(1);
    const int64_t D = C / heads;
    const bool up = upcast && isReduced(q.scalar_type());
    const auto scoreOpts = up ? q.options().dtype(at::kFloat) : q.options();
    const int64_t chunk = queryChunk(N, M, scoreOpts.dtype().itemsize(), 1);
    const int64_t chunks = (N + chunk - 1) / chunk;

    torch::Tensor out = at::empty({B, N, C}, q.options());
    torch::Tensor q32 = up ? q.to(at::kFloat) : q, k32 = up ? k.to(at::kFloat) : k;
    // One task per (batch, head, query chunk), spread over the intra-op threads; each thread has
    // its own score slabs and runs single-threaded GEMMs (OpenBLAS is held to one thread on CPU,
    // cpu_threads.h; oneDNN runs on the calling thread inside a parallel region). With one head
    // (the VAE) the query chunks still keep every core busy.
    const int64_t tasks = B * heads * chunks;
    parallelFor(0, tasks, 1, [&](int64_t begin, int64_t end) {
        torch::Tensor scores = at::empty({chunk, M}, scoreOpts);
        // The probabilities in the inputs' dtype, as PV reads them; `wide` holds ATen's fp32 softmax
        // before its cast, needed only when upcasting and softmaxRows declines.
        torch::Tensor probs = at::empty({chunk, M}, q.options());
        torch::Tensor wide;
        for (int64_t task = begin; task < end; ++task) {
            const int64_t b = task / (heads * chunks), h = (task / chunks) % heads, n0 = (task % chunks) * chunk;
            const int64_t c = std::min(chunk, N - n0);
            torch::Tensor qh = q32.select(0, b).narrow(1, h * D, D).narrow(0, n0, c);
            torch::Tensor kt = k32.select(0, b).narrow(1, h * D, D).t();
            torch::Tensor vh = v.select(0, b).narrow(1, h * D, D);
            torch::Tensor s = scores.narrow(0, 0, c);
            torch::Tensor p = probs.narrow(0, 0, c);
            at::addmm_out(s, s, qh, kt, /*beta=*/0, /*alpha=*/scale);
            // Softmax in fp32 registers straight into the probabilities' dtype (softmax_rows.h);
            // ATen's softmax (and, when upcast, a cast) where that kernel does not apply.
            if (!softmaxRows(s, p)) {
                if (!up) {
                    at::_softmax_out(p, s, -1, false);
                } else {
                    if (!wide.defined())
                        wide = at::empty({chunk, M}, scoreOpts);
                    torch::Tensor w = wide.narrow(0, 0, c);
                    at::_softmax_out(w, s, -1, false);
                    p.copy_(w);
                }
            }
            torch::Tensor o = out.select(0, b).narrow(1, h * D, D).narrow(0, n0, c);
            at::mm_out(o, p, vh);
        }
    });
    return out;
}

// Heads folded into the batch dimension ([B*H, N, D] copies), queries chunked so that the
// score tensor of all heads stays within the budget. Used on GPUs without SDPA.
torch::Tensor batchedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               int64_t heads, double scale, bool upcast)
{
    const int64_t B = q.size(0), N = q.size(1), C = q.size(2), M = k.size(1);
    const int64_t D = C / heads;
    auto toBatch = [&](const torch::Tensor& t) {
        return t.reshape({B, t.size(1), heads, D}).permute({0, 2, 1, 3}).reshape({B * heads, t.size(1), D});
    };
    const bool up = upcast && isReduced(q.scalar_type());
    torch::Tensor qb = toBatch(q), kb = toBatch(k), vb = toBatch(v);
    if (up) {
        qb = qb.to(at::kFloat);
        kb = kb.to(at::kFloat);
    }
    torch::Tensor kt = kb.transpose(1, 2);
    const int64_t chunk = queryChunk(N, M, up ? 4 : q.element_size(), B * heads);
    torch::Tensor outb = at::empty({B * heads, N, D}, q.options());
    for (int64_t n0 = 0; n0 < N; n0 += chunk) {
        const int64_t c = std::min(chunk, N - n0);
        torch::Tensor qc = qb.narrow(1, n0, c);
        // bmm then scale (= baddbmm(beta=0, alpha=scale) without reading an uninitialised input,
        // which LibTorch 1.13's small-matrix kernel does not ignore).
        torch::Tensor s = at::bmm(qc, kt);
        s.mul_(scale);
        s = at::softmax(s, -1);
        if (up)
            s = s.to(q.scalar_type());
        outb.narrow(1, n0, c).copy_(at::bmm(s, vb));
    }
    return outb.view({B, heads, N, D}).permute({0, 2, 1, 3}).reshape({B, N, C});
}

#if TORCH_VERSION_MAJOR >= 2
torch::Tensor sdpaAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                            int64_t heads, double scale)
{
    const int64_t B = q.size(0), N = q.size(1), C = q.size(2);
    const int64_t D = C / heads;
    auto split = [&](const torch::Tensor& t) {
        return t.view({B, t.size(1), heads, D}).transpose(1, 2);
    };
    const double defaultScale = 1.0 / std::sqrt(static_cast<double>(D));
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
    torch::Tensor o = at::scaled_dot_product_attention(split(q), split(k), split(v), {}, 0.0, false, scale);
#else
    // 2.0 has no scale argument: fold the ratio into q (exact when scale is the default).
    torch::Tensor qs = scale == defaultScale ? q : q * (scale / defaultScale);
    torch::Tensor o = at::scaled_dot_product_attention(split(qs), split(k), split(v), {}, 0.0, false);
#endif
    (void)defaultScale;
    return o.transpose(1, 2).reshape({B, N, C});
}
#endif

}  // namespace

void setDefaultAttentionBackend(AttentionBackend backend)
{
    g_defaultBackend.store(backend);
}

AttentionBackend defaultAttentionBackend()
{
    return g_defaultBackend.load();
}

void setAttentionScoreBudget(int64_t bytes)
{
    g_scoreBudget.store(std::max<int64_t>(bytes, 1));
}

int64_t attentionScoreBudget()
{
    return g_scoreBudget.load();
}

torch::Tensor multiHeadAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                 int64_t heads, const AttentionOptions& options)
{
    const OpTimer timer(OpKind::Attention);
    TORCH_CHECK(q.dim() == 3 && k.dim() == 3 && v.dim() == 3, "attention: q, k, v must be [B, N, C]");
    TORCH_CHECK(heads > 0 && q.size(2) % heads == 0, "attention: channels not divisible by heads");
    TORCH_CHECK(k.size(0) == q.size(0) && v.size(0) == q.size(0) && k.size(1) == v.size(1),
                "attention: batch or key length mismatch");
    TORCH_CHECK(k.size(2) == q.size(2) && v.size(2) == q.size(2), "attention: channel mismatch");
    const int64_t D = q.size(2) / heads;
    const double scale = options.scale > 0 ? options.scale : 1.0 / std::sqrt(static_cast<double>(D));

    AttentionBackend backend = options.backend;
    if (backend == AttentionBackend::Auto)
        backend = g_defaultBackend.load();
    if (backend == AttentionBackend::Auto) {
#if TORCH_VERSION_MAJOR >= 2
        backend = AttentionBackend::Sdpa;
#else
        backend = q.is_cpu() ? AttentionBackend::Blocked : AttentionBackend::Batched;
#endif
    }
#if TORCH_VERSION_MAJOR >= 2
    // SDPA accumulates in fp32 internally, which is what upcast asks for.
    if (backend == AttentionBackend::Sdpa)
        return sdpaAttention(q, k, v, heads, scale);
#else
    if (backend == AttentionBackend::Sdpa)
        backend = AttentionBackend::Batched;
#endif
    if (backend == AttentionBackend::Blocked) {
        auto lastUnit = [](const torch::Tensor& t) { return t.stride(2) == 1; };
        return blockedAttention(lastUnit(q) ? q : q.contiguous(), lastUnit(k) ? k : k.contiguous(),
                                lastUnit(v) ? v : v.contiguous(), heads, scale, options.upcast);
    }
    return batchedAttention(q, k, v, heads, scale, options.upcast);
}

}  // namespace inpaint::models::nn
