// AVX-512 helpers shared by the engine's bf16 kernels (softmax_rows, attention_bf16,
// layer_norm_rows): bf16 <-> fp32 conversion of 16 lanes and the tail mask. Internal to models/nn;
// include it only from .cpp files, and call these only from functions compiled for at least
// AVX512_FN's targets and only where cpuHasAvx512Core() is true (cpu_features.h).
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

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

// The lanes left of a row of which `left` elements remain (all 16 when 16 or more do).
inline __mmask16 tailMask(int64_t left)
{
    return left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1u);
}

}  // namespace inpaint::models::nn::avx512

#endif
