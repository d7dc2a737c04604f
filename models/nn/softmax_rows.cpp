// Row softmax for attention scores (see softmax_rows.h).
#include "models/nn/softmax_rows.h"

#include "models/nn/cpu_features.h"
#include "models/nn/layers.h"

#include <ATen/ATen.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "models/nn/avx512_bf16.h"
#ifdef INPAINT_HAVE_AVX512_KERNELS
#define INPAINT_SOFTMAX_AVX512 1
#endif

namespace inpaint::models::nn {

namespace {

#ifdef INPAINT_SOFTMAX_AVX512
using avx512::loadBf16;
using avx512::storeBf16;
using avx512::exp16;
using avx512::tailMask;

template <bool InBf16>
AVX512_FN inline __m512 load16(const void* row, int64_t i, __mmask16 m)
{
    if constexpr (InBf16)
        return loadBf16(static_cast<const uint16_t*>(row) + i, m);
    else
        return _mm512_maskz_loadu_ps(m, static_cast<const float*>(row) + i);
}

template <bool InBf16, bool OutBf16>
AVX512_FN void softmaxRowsAvx512(const void* in, int64_t ldIn, void* out, int64_t ldOut, int64_t rows, int64_t n)
{
    constexpr int64_t inSize = InBf16 ? 2 : 4, outSize = OutBf16 ? 2 : 4;
    // The row's exponentials stay fp32 until they are normalised (in `out` itself when it is fp32).
    thread_local std::vector<float> buffer;
    if (OutBf16 && int64_t(buffer.size()) < n)
        buffer.resize(size_t(n));
    for (int64_t r = 0; r < rows; ++r) {
        const void* x = static_cast<const char*>(in) + r * ldIn * inSize;
        void* y = static_cast<char*>(out) + r * ldOut * outSize;
        float* e = OutBf16 ? buffer.data() : static_cast<float*>(y);

        __m512 vmax = _mm512_set1_ps(-INFINITY);
        for (int64_t i = 0; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            vmax = _mm512_mask_max_ps(vmax, m, vmax, load16<InBf16>(x, i, m));
        }
        const __m512 rowMax = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));

        __m512 vsum = _mm512_setzero_ps();
        for (int64_t i = 0; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            const __m512 v = exp16(_mm512_sub_ps(load16<InBf16>(x, i, m), rowMax));
            vsum = _mm512_mask_add_ps(vsum, m, vsum, v);
            _mm512_mask_storeu_ps(e + i, m, v);
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));

        for (int64_t i = 0; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            const __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, e + i), inv);
            if constexpr (OutBf16)
                storeBf16(static_cast<uint16_t*>(y) + i, p, m);
            else
                _mm512_mask_storeu_ps(static_cast<float*>(y) + i, m, p);
        }
    }
}
#endif

}  // namespace

bool softmaxRowsAvailable()
{
#ifdef INPAINT_SOFTMAX_AVX512
    return cpuHasAvx512Core() && fusedKernels();
#else
    return false;
#endif
}

bool softmaxRows(const at::Tensor& scores, const at::Tensor& probs)
{
#ifdef INPAINT_SOFTMAX_AVX512
    if (!softmaxRowsAvailable())
        return false;
    if (!scores.is_cpu() || !probs.is_cpu() || scores.dim() != 2 || probs.sizes() != scores.sizes())
        return false;
    if (scores.stride(1) != 1 || probs.stride(1) != 1 || scores.is_mkldnn() || probs.is_mkldnn())
        return false;
    const auto ti = scores.scalar_type(), to = probs.scalar_type();
    const bool inOk = ti == at::kFloat || ti == at::kBFloat16, outOk = to == at::kFloat || to == at::kBFloat16;
    if (!inOk || !outOk)
        return false;
    const int64_t rows = scores.size(0), n = scores.size(1);
    if (rows == 0 || n == 0)
        return true;
    // In place only when both are fp32 (the exponentials are written over the scores after each
    // row's maximum is known); any other overlap is declined.
    if (scores.data_ptr() == probs.data_ptr() && !(ti == at::kFloat && to == at::kFloat))
        return false;
    const void* in = scores.data_ptr();
    void* out = probs.data_ptr();
    const int64_t ldIn = scores.stride(0), ldOut = probs.stride(0);
    if (ti == at::kBFloat16 && to == at::kBFloat16)
        softmaxRowsAvx512<true, true>(in, ldIn, out, ldOut, rows, n);
    else if (ti == at::kBFloat16)
        softmaxRowsAvx512<true, false>(in, ldIn, out, ldOut, rows, n);
    else if (to == at::kBFloat16)
        softmaxRowsAvx512<false, true>(in, ldIn, out, ldOut, rows, n);
    else
        softmaxRowsAvx512<false, false>(in, ldIn, out, ldOut, rows, n);
    return true;
#else
    (void)scores;
    (void)probs;
    return false;
#endif
}

}  // namespace inpaint::models::nn
