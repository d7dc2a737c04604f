// AVX-512 helpers shared by the engine's kernels (softmax_rows, attention_bf16, bf16_rows):
// bf16 <-> fp32 conversion of 16 lanes, the exponential and the tail mask. Internal to models/nn;
// include it only from .cpp files, and call these only from functions compiled for at least
// AVX512_FN's targets and only where cpuHasAvx512Core() is true (cpu_features.h).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#define INPAINT_HAVE_AVX512_KERNELS 1
#define AVX512_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq")))

namespace inpaint::models::nn::avx512 {

// 16 bf16 values (their bits) as fp32 lanes; lanes outside m read nothing and are 0.
AVX512_FN inline __m512 loadBf16(const uint16_t* src, __mmask16 m)
{
    const __m256i h = _mm256_maskz_loadu_epi16(m, src);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

// Round to nearest even, as c10::BFloat16's constructor does for finite values; masked store.
AVX512_FN inline void storeBf16(uint16_t* dst, __m512 v, __mmask16 m)
{
    const __m512i b = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    _mm256_mask_storeu_epi16(dst, m, _mm512_cvtepi32_epi16(_mm512_srli_epi32(rounded, 16)));
}

// 16 lanes of exp(x), x <= 0 (scores minus the row maximum). n = round(x / ln 2); r = x - n ln 2
// in two parts (ln 2's leading bits are exact in float, so n * hi has no rounding error);
// exp(r) = 1 + r + r^2 P(r) on |r| <= ln 2 / 2 (Cephes' expf coefficients); 2^n applied by
// vscalefps, which also gives 0 for very negative x instead of a wrapped exponent.
AVX512_FN inline __m512 exp16(__m512 x)
{
    // Below -110 the result is 0 (under half the least denormal); the clamp keeps n in range.
    x = _mm512_max_ps(x, _mm512_set1_ps(-110.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    const __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// 16 lanes of SiLU, x * sigmoid(x), in fp32. exp16 takes only x <= 0, so with e = exp(-|x|):
// sigmoid(x) = 1 / (1 + e) for x >= 0 and e / (1 + e) below (no overflow either side). Infinities
// and NaN give what x / (1 + exp(-x)) gives (NaN for -inf).
AVX512_FN inline __m512 silu16(__m512 x)
{
    const __m512 absx = _mm512_abs_ps(x);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), absx));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __mmask16 neg = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 num = _mm512_mask_blend_ps(neg, one, e);
    return _mm512_mul_ps(x, _mm512_div_ps(num, _mm512_add_ps(one, e)));
}

// v rounded to the nearest bf16 (ties to even), as fp32 lanes: the value storeBf16 would write.
AVX512_FN inline __m512 roundBf16(__m512 v)
{
    const __m512i b = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(b, 16), _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_add_epi32(b, _mm512_add_epi32(lsb, _mm512_set1_epi32(0x7fff)));
    return _mm512_castsi512_ps(_mm512_and_si512(rounded, _mm512_set1_epi32(int(0xffff0000u))));
}

// Stores lanes that are already bf16 values (roundBf16's results): their upper halves.
AVX512_FN inline void storeBf16Exact(uint16_t* dst, __m512 v, __mmask16 m)
{
    _mm256_mask_storeu_epi16(dst, m, _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(v), 16)));
}

// The lanes left of a row of which `left` elements remain (all 16 when 16 or more do).
inline __mmask16 tailMask(int64_t left)
{
    return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1u);
}

}  // namespace inpaint::models::nn::avx512

#endif
