// LayerNorm and GEGLU's product for bf16 rows (see bf16_rows.h).
#include "models/nn/bf16_rows.h"

#include "models/nn/avx512_bf16.h"
#include "models/nn/cpu_features.h"
#include "models/nn/layers.h"
#include "models/nn/op_profile.h"
#include "models/nn/parallel.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace inpaint::models::nn {

namespace {

#ifdef INPAINT_HAVE_AVX512_KERNELS
using avx512::loadBf16;
using avx512::storeBf16;
using avx512::tailMask;

// Rows of n bf16 values, contiguous; w and b are fp32 of length n.
AVX512_FN void layerNormRows(const uint16_t* x, uint16_t* y, int64_t rows, int64_t n, const float* w, const float* b,
                             float eps)
{
    const float invN = 1.0f / static_cast<float>(n);
    for (int64_t r = 0; r < rows; ++r) {
        const uint16_t* xr = x + r * n;
        uint16_t* yr = y + r * n;
        // Two passes (the row is in L1 after the first): the mean, then the mean square deviation,
        // so the variance has no cancellation whatever the row's offset.
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) {
            s0 = _mm512_add_ps(s0, loadBf16(xr + i, 0xffff));
            s1 = _mm512_add_ps(s1, loadBf16(xr + i + 16, 0xffff));
        }
        for (; i < n; i += 16) s0 = _mm512_add_ps(s0, loadBf16(xr + i, tailMask(n - i)));
        const __m512 mean = _mm512_set1_ps(_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)) * invN);
        __m512 q0 = _mm512_setzero_ps(), q1 = _mm512_setzero_ps();
        for (i = 0; i + 32 <= n; i += 32) {
            const __m512 d0 = _mm512_sub_ps(loadBf16(xr + i, 0xffff), mean);
            const __m512 d1 = _mm512_sub_ps(loadBf16(xr + i + 16, 0xffff), mean);
            q0 = _mm512_fmadd_ps(d0, d0, q0);
            q1 = _mm512_fmadd_ps(d1, d1, q1);
        }
        for (; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            const __m512 d = _mm512_maskz_sub_ps(m, loadBf16(xr + i, m), mean);
            q0 = _mm512_fmadd_ps(d, d, q0);
        }
        const float var = _mm512_reduce_add_ps(_mm512_add_ps(q0, q1)) * invN;
        const __m512 rstd = _mm512_set1_ps(1.0f / std::sqrt(var + eps));
        for (i = 0; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            const __m512 t = _mm512_mul_ps(_mm512_sub_ps(loadBf16(xr + i, m), mean), rstd);
            storeBf16(yr + i, _mm512_fmadd_ps(t, _mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, b + i)), m);
        }
    }
}

// n bf16 values to fp32.
AVX512_FN void bf16ToF32(const uint16_t* src, float* dst, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tailMask(n - i);
        _mm512_mask_storeu_ps(dst + i, m, loadBf16(src + i, m));
    }
}

// out[i] = bf16(value[i] * g[i]) for n elements.
AVX512_FN void mulToBf16(const uint16_t* value, const float* g, uint16_t* out, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tailMask(n - i);
        storeBf16(out + i, _mm512_mul_ps(loadBf16(value + i, m), _mm512_maskz_loadu_ps(m, g + i)), m);
    }
}

AVX512_FN void siluRun(uint16_t* p, int64_t n)
{
    for (int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tailMask(n - i);
        storeBf16(p + i, avx512::silu16(loadBf16(p + i, m)), m);
    }
}

const uint16_t* bits(const at::Tensor& t)
{
    return reinterpret_cast<const uint16_t*>(t.data_ptr<c10::BFloat16>());
}

uint16_t* mutableBits(at::Tensor& t)
{
    return reinterpret_cast<uint16_t*>(t.data_ptr<c10::BFloat16>());
}

#endif

}  // namespace

bool bf16RowKernelsAvailable()
{
#ifdef INPAINT_HAVE_AVX512_KERNELS
    return cpuHasAvx512Core() && fusedKernels();
#else
    return false;
#endif
}

bool siluBf16InPlace(at::Tensor& t)
{
#ifdef INPAINT_HAVE_AVX512_KERNELS
    if (!bf16RowKernelsAvailable() || !t.defined() || !t.is_cpu() || t.scalar_type() != at::kBFloat16 ||
        t.layout() != at::kStrided || !(t.is_contiguous() || t.is_contiguous(at::MemoryFormat::ChannelsLast)))
        return false;
    uint16_t* p = mutableBits(t);
    parallelFor(0, t.numel(), int64_t{32} << 10, [&](int64_t begin, int64_t end) { siluRun(p + begin, end - begin); });
    return true;
#else
    (void)t;
    return false;
#endif
}

at::Tensor layerNormLastDim(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias, double eps)
{
    const OpTimer timer(OpKind::Norm);
    const int64_t n = x.dim() > 0 ? x.size(-1) : 0;
    const bool bf16Cpu = x.is_cpu() && x.scalar_type() == at::kBFloat16 && x.layout() == at::kStrided;
    if (!bf16Cpu || n == 0 || !weight.defined() || !bias.defined())
        return at::layer_norm(x, {n}, weight, bias, eps);
    const at::Tensor w = weight.to(at::kFloat).contiguous(), b = bias.to(at::kFloat).contiguous();
    TORCH_CHECK(w.numel() == n && b.numel() == n, "layerNormLastDim: weight and bias must have ", n, " elements, got ",
                w.numel(), " and ", b.numel());
#ifdef INPAINT_HAVE_AVX512_KERNELS
    if (bf16RowKernelsAvailable()) {
        const at::Tensor xc = x.contiguous();
        at::Tensor y = at::empty_like(xc, at::MemoryFormat::Contiguous);
        const int64_t rows = xc.numel() / n;
        const uint16_t* xp = bits(xc);
        uint16_t* yp = mutableBits(y);
        const float* wp = w.data_ptr<float>();
        const float* bp = b.data_ptr<float>();
        const float e = static_cast<float>(eps);
        const int64_t grain = std::max<int64_t>(1, (int64_t{32} << 10) / n);  // about 64 KiB of rows a task
        parallelFor(0, rows, grain, [&](int64_t begin, int64_t end) {
            layerNormRows(xp + begin * n, yp + begin * n, end - begin, n, wp, bp, e);
        });
        return y;
    }
#endif
    // Without the kernel: ATen's fp32 LayerNorm on an fp32 copy (LibTorch 1.13's bf16 kernel is
    // scalar and slower than the copies).
    return at::layer_norm(x.to(at::kFloat), {n}, w, b, eps).to(at::kBFloat16);
}

at::Tensor gegluBf16(const at::Tensor& h)
{
#ifdef INPAINT_HAVE_AVX512_KERNELS
    if (!bf16RowKernelsAvailable() || !h.is_cpu() || h.scalar_type() != at::kBFloat16 || !h.is_contiguous() ||
        h.dim() < 2 || h.size(-1) % 2 != 0)
        return {};
    const int64_t inner = h.size(-1) / 2;
    const int64_t rows = inner > 0 ? h.numel() / h.size(-1) : 0;
    std::vector<int64_t> outShape(h.sizes().begin(), h.sizes().end());
    outShape.back() = inner;
    at::Tensor out = at::empty(outShape, h.options());
    if (rows == 0 || inner == 0)
        return out;
    const uint16_t* hp = bits(h);
    uint16_t* op = mutableBits(out);
    // Each row's fp32 gate starts on a 32-element boundary of the buffer and the block is a whole
    // number of 32-element runs, so ATen's GELU takes every element through its vector loop (its
    // scalar tail gives other last bits): the result does not depend on how rows are split.
    const int64_t ld = (inner + 31) / 32 * 32;
    // About 64 KiB of fp32 gate a block: the GELU's result is still in L2 when it is multiplied.
    const int64_t block = std::max<int64_t>(1, (int64_t{16} << 10) / ld);
    parallelFor(0, rows, block, [&](int64_t begin, int64_t end) {
        thread_local std::vector<float> gate;
        for (int64_t r0 = begin; r0 < end; r0 += block) {
            const int64_t nr = std::min(end, r0 + block) - r0;
            if (int64_t(gate.size()) < nr * ld)
                gate.resize(size_t(nr * ld), 0.0f);
            for (int64_t r = 0; r < nr; ++r)
                bf16ToF32(hp + (r0 + r) * 2 * inner + inner, gate.data() + r * ld, inner);
            at::Tensor g = at::from_blob(gate.data(), {nr * ld}, at::TensorOptions().dtype(at::kFloat));
            at::gelu_(g);
            for (int64_t r = 0; r < nr; ++r)
                mulToBf16(hp + (r0 + r) * 2 * inner, gate.data() + r * ld, op + (r0 + r) * inner, inner);
        }
    });
    return out;
#else
    (void)h;
    return {};
#endif
}

}  // namespace inpaint::models::nn
