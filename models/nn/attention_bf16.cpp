// Fused bf16 attention with AVX-512 BF16 (see attention_bf16.h).
#include "models/nn/attention_bf16.h"

#include "models/nn/cpu_features.h"
#include "models/nn/layers.h"
#include "models/nn/parallel.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "models/nn/avx512_bf16.h"
#ifdef INPAINT_HAVE_AVX512_KERNELS
#define INPAINT_ATTENTION_BF16 1
#endif

namespace inpaint::models::nn {

namespace {

#ifdef INPAINT_ATTENTION_BF16
#define BF16_FN __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

// Queries per task. The P V tiles take 6, 8, 12 or 16 rows (by how many 16-wide vectors of the head
// they hold) and Q K^T tiles 4, all of which divide 48; a block's fp32 scores at 4096 keys are
// 768 KB, inside the L2 of the EPYC this was tuned on.
constexpr int64_t kBlock = 48;
constexpr int kQkRows = 4;

inline int64_t roundUp(int64_t x, int64_t m)
{
    return (x + m - 1) / m * m;
}

inline uint32_t load32(const uint16_t* p)
{
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

using avx512::exp16;
using avx512::roundBf16;
using avx512::storeBf16;
using avx512::storeBf16Exact;
using avx512::tailMask;

BF16_FN inline __m512 dot(__m512 acc, __m512i a, __m512i b)
{
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

// S[r, 16 V keys] = scale * sum over head pairs p of q[r, 2p..2p+1] . kp[p, key, 0..1], for
// kQkRows rows of the query block (row stride D) and V vectors of 16 keys; rowMax[r] takes the
// lane-wise maximum of the row's scores over the first `valid` keys of the tile (the keys past M
// are zero padding and stay out of it).
template <int V>
BF16_FN void qkTile(const uint16_t* q, int64_t D, const uint16_t* kp, int64_t kpStride, float scale, float* s,
                    int64_t ldS, __m512* rowMax, int64_t valid)
{
    __m512 acc[kQkRows][V];
    for (int r = 0; r < kQkRows; ++r)
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
    const int64_t pairs = D / 2;
    for (int64_t p = 0; p < pairs; ++p) {
        __m512i kv[V];
        for (int v = 0; v < V; ++v) kv[v] = _mm512_loadu_si512(kp + p * kpStride + v * 32);
        for (int r = 0; r < kQkRows; ++r) {
            const __m512i qb = _mm512_set1_epi32(static_cast<int>(load32(q + r * D + 2 * p)));
            for (int v = 0; v < V; ++v) acc[r][v] = dot(acc[r][v], qb, kv[v]);
        }
    }
    const __m512 sc = _mm512_set1_ps(scale);
    for (int v = 0; v < V; ++v) {
        const int64_t left = valid - v * 16;
        const __mmask16 m = left <= 0 ? __mmask16(0) : tailMask(left);
        for (int r = 0; r < kQkRows; ++r) {
            const __m512 x = _mm512_mul_ps(acc[r][v], sc);
            _mm512_storeu_ps(s + r * ldS + v * 16, x);
            rowMax[r] = _mm512_mask_max_ps(rowMax[r], m, rowMax[r], x);
        }
    }
}

// The softmax's numerators, rounded to bf16: P[r, j] = bf16(exp(S[r, j] - max_r)) for the n real
// keys, and rowScale[r] = 1 / sum_j P[r, j] (the rounded values, so each row's weights sum to 1).
// The division happens on the output (pvTile), once per output instead of once per score.
BF16_FN void expRows(const float* S, int64_t ldS, const __m512* rowMax, uint16_t* P, int64_t ldP, int64_t rows,
                     int64_t n, float* rowScale)
{
    for (int64_t r = 0; r < rows; ++r) {
        const float* sr = S + r * ldS;
        uint16_t* pr = P + r * ldP;
        const __m512 mx = _mm512_set1_ps(_mm512_reduce_max_ps(rowMax[r]));
        __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i + 32 <= n; i += 32) {
            const __m512 e0 = roundBf16(exp16(_mm512_sub_ps(_mm512_loadu_ps(sr + i), mx)));
            const __m512 e1 = roundBf16(exp16(_mm512_sub_ps(_mm512_loadu_ps(sr + i + 16), mx)));
            sum0 = _mm512_add_ps(sum0, e0);
            sum1 = _mm512_add_ps(sum1, e1);
            storeBf16Exact(pr + i, e0, 0xffff);
            storeBf16Exact(pr + i + 16, e1, 0xffff);
        }
        for (; i < n; i += 16) {
            const __mmask16 m = tailMask(n - i);
            const __m512 e = roundBf16(exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, sr + i), mx)));
            sum0 = _mm512_mask_add_ps(sum0, m, sum0, e);
            storeBf16Exact(pr + i, e, m);
        }
        rowScale[r] = 1.0f / _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1));
    }
}

// O[r, 16 V head channels] = rowScale[r] * sum over key pairs j of P[r, 2j..2j+1] . vp[j, channel,
// 0..1] for R rows of the block; rows at or past `valid` are computed but not stored.
template <int R, int V>
BF16_FN void pvTile(const uint16_t* p, int64_t ldP, int64_t keyPairs, const uint16_t* vp, int64_t vpStride,
                    const float* rowScale, uint16_t* o, int64_t ldO, int64_t channels, int64_t valid)
{
    __m512 acc[R][V];
    for (int r = 0; r < R; ++r)
        for (int v = 0; v < V; ++v) acc[r][v] = _mm512_setzero_ps();
    for (int64_t j = 0; j < keyPairs; ++j) {
        __m512i vv[V];
        for (int v = 0; v < V; ++v) vv[v] = _mm512_loadu_si512(vp + j * vpStride + v * 32);
        for (int r = 0; r < R; ++r) {
            const __m512i pb = _mm512_set1_epi32(static_cast<int>(load32(p + r * ldP + 2 * j)));
            for (int v = 0; v < V; ++v) acc[r][v] = dot(acc[r][v], pb, vv[v]);
        }
    }
    for (int r = 0; r < R && r < valid; ++r) {
        const __m512 scale = _mm512_set1_ps(rowScale[r]);
        for (int v = 0; v < V; ++v) {
            const int64_t left = channels - v * 16;
            if (left <= 0) break;
            storeBf16(o + r * ldO + v * 16, _mm512_mul_ps(acc[r][v], scale), tailMask(left));
        }
    }
}

struct Shape {
    int64_t B, N, M, H, D;
    int64_t mPad;      // keys rounded up to 16 (the Q K^T vectors)
    int64_t keyPairs;  // ceil(M / 2) (the P V steps)
    int64_t dPad;      // head width rounded up to 16 (the P V vectors)
};

// K of one (batch, head) as [D/2][mPad] 32-bit pairs (k[m, 2p], k[m, 2p+1]); keys past M are 0.
BF16_FN void packKeys(const uint16_t* k, int64_t ldK, const Shape& s, uint32_t* dst)
{
    const int64_t pairs = s.D / 2;
    for (int64_t m = 0; m < s.M; ++m) {
        const uint16_t* row = k + m * ldK;
        for (int64_t p = 0; p < pairs; ++p) dst[p * s.mPad + m] = load32(row + 2 * p);
    }
    for (int64_t p = 0; p < pairs; ++p)
        for (int64_t m = s.M; m < s.mPad; ++m) dst[p * s.mPad + m] = 0;
}

// V of one (batch, head) as [keyPairs][dPad] 32-bit pairs (v[2j, d], v[2j + 1, d]); channels past D
// and the key past an odd M are 0.
BF16_FN void packValues(const uint16_t* v, int64_t ldV, const Shape& s, uint32_t* dst)
{
    for (int64_t j = 0; j < s.keyPairs; ++j) {
        const uint16_t* even = v + 2 * j * ldV;
        const uint16_t* odd = 2 * j + 1 < s.M ? even + ldV : nullptr;
        uint32_t* out = dst + j * s.dPad;
        for (int64_t d = 0; d < s.D; ++d)
            out[d] = uint32_t(even[d]) | (odd ? uint32_t(odd[d]) << 16 : 0u);
        for (int64_t d = s.D; d < s.dPad; ++d) out[d] = 0;
    }
}

template <int R, int V>
BF16_FN void pvColumns(const uint16_t* p, int64_t ldP, const Shape& s, const uint16_t* vp, const float* rowScale,
                       uint16_t* o, int64_t ldO, int64_t d0, int64_t rows)
{
    for (int64_t r0 = 0; r0 < rows; r0 += R)
        pvTile<R, V>(p + r0 * ldP, ldP, s.keyPairs, vp + d0 * 2, s.dPad * 2, rowScale + r0, o + r0 * ldO + d0, ldO,
                     s.D - d0, rows - r0);
}

// One block of up to kBlock queries of one (batch, head).
BF16_FN void attendBlock(const uint16_t* q, int64_t ldQ, int64_t rows, const Shape& s, const uint16_t* kp,
                         const uint16_t* vp, float scale, uint16_t* o, int64_t ldO)
{
    thread_local std::vector<uint16_t> qBuf, pBuf;
    thread_local std::vector<float> sBuf;
    const int64_t ldP = 2 * s.keyPairs;
    qBuf.assign(size_t(kBlock * s.D), 0);
    if (int64_t(sBuf.size()) < kBlock * s.mPad) sBuf.resize(size_t(kBlock * s.mPad));
    if (int64_t(pBuf.size()) < kBlock * ldP) pBuf.resize(size_t(kBlock * ldP));
    for (int64_t r = 0; r < rows; ++r) std::memcpy(qBuf.data() + r * s.D, q + r * ldQ, size_t(s.D) * 2);

    // 1. Scores for whole tiles of rows (the rows past `rows` are zero queries, never read back),
    //    and each row's maximum over the real keys.
    const int64_t qkRows = roundUp(rows, kQkRows), vectors = s.mPad / 16;
    __m512 rowMax[kBlock];
    for (int64_t r = 0; r < qkRows; ++r) rowMax[r] = _mm512_set1_ps(-INFINITY);
    for (int64_t r0 = 0; r0 < qkRows; r0 += kQkRows) {
        const uint16_t* qr = qBuf.data() + r0 * s.D;
        float* sr = sBuf.data() + r0 * s.mPad;
        __m512* mr = rowMax + r0;
        int64_t v0 = 0;
        for (; v0 + 4 <= vectors; v0 += 4)
            qkTile<4>(qr, s.D, kp + v0 * 32, s.mPad * 2, scale, sr + v0 * 16, s.mPad, mr, s.M - v0 * 16);
        switch (vectors - v0) {
            case 3: qkTile<3>(qr, s.D, kp + v0 * 32, s.mPad * 2, scale, sr + v0 * 16, s.mPad, mr, s.M - v0 * 16); break;
            case 2: qkTile<2>(qr, s.D, kp + v0 * 32, s.mPad * 2, scale, sr + v0 * 16, s.mPad, mr, s.M - v0 * 16); break;
            case 1: qkTile<1>(qr, s.D, kp + v0 * 32, s.mPad * 2, scale, sr + v0 * 16, s.mPad, mr, s.M - v0 * 16); break;
            default: break;
        }
    }

    // 2. Numerators and 1 / denominators; the pair partner of an odd last key is 0 (its value pair
    //    is 0 too). The rows past `rows` get a scale of 0 (pvTile computes them but stores nothing).
    uint16_t* P = pBuf.data();
    float rowScale[kBlock + 16] = {};
    expRows(sBuf.data(), s.mPad, rowMax, P, ldP, rows, s.M, rowScale);
    if (ldP != s.M)
        for (int64_t r = 0; r < rows; ++r) P[r * ldP + s.M] = 0;

    // 3. Output, in column groups of up to 4 vectors; the last group's rows are padded up to its tile
    //    (kBlock is a multiple of every tile height, so the padding stays inside the buffer).
    const int64_t dVectors = s.dPad / 16;
    int64_t dv = 0;
    for (; dv + 4 <= dVectors; dv += 4) pvColumns<6, 4>(P, ldP, s, vp, rowScale, o, ldO, dv * 16, rows);
    switch (dVectors - dv) {
        case 3: pvColumns<8, 3>(P, ldP, s, vp, rowScale, o, ldO, dv * 16, rows); break;
        case 2: pvColumns<12, 2>(P, ldP, s, vp, rowScale, o, ldO, dv * 16, rows); break;
        case 1: pvColumns<16, 1>(P, ldP, s, vp, rowScale, o, ldO, dv * 16, rows); break;
        default: break;
    }
}
#endif

}  // namespace

bool fusedAttentionBf16Available()
{
#ifdef INPAINT_ATTENTION_BF16
    return cpuHasNativeBf16() && cpuHasAvx512Core() && fusedKernels();
#else
    return false;
#endif
}

at::Tensor fusedAttentionBf16(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t heads,
                              double scale)
{
#ifdef INPAINT_ATTENTION_BF16
    if (!fusedAttentionBf16Available()) return {};
    for (const at::Tensor* t : {&q, &k, &v})
        if (!t->is_cpu() || t->is_mkldnn() || t->scalar_type() != at::kBFloat16 || t->dim() != 3 || t->stride(2) != 1)
            return {};
    const int64_t B = q.size(0), N = q.size(1), C = q.size(2), M = k.size(1);
    if (heads <= 0 || C % heads != 0 || k.size(0) != B || v.size(0) != B || v.size(1) != M || k.size(2) != C ||
        v.size(2) != C)
        return {};
    const int64_t D = C / heads;
    if (D % 2 != 0 || M == 0) return {};
    Shape s{B, N, M, heads, D, roundUp(M, 16), (M + 1) / 2, roundUp(D, 16)};
    at::Tensor out = at::empty({B, N, C}, q.options());
    if (N == 0 || B == 0) return out;

    const int64_t kpSize = (D / 2) * s.mPad, vpSize = s.keyPairs * s.dPad;  // 32-bit pairs per (b, h)
    at::Tensor packed = at::empty({B * heads, 2 * (kpSize + vpSize)}, q.options());
    auto* pk = reinterpret_cast<uint16_t*>(packed.data_ptr<at::BFloat16>());
    const auto* qd = reinterpret_cast<const uint16_t*>(q.data_ptr<at::BFloat16>());
    const auto* kd = reinterpret_cast<const uint16_t*>(k.data_ptr<at::BFloat16>());
    const auto* vd = reinterpret_cast<const uint16_t*>(v.data_ptr<at::BFloat16>());
    auto* od = reinterpret_cast<uint16_t*>(out.data_ptr<at::BFloat16>());
    const int64_t rowStride = 2 * (kpSize + vpSize);

    parallelFor(0, B * heads, 1, [&](int64_t begin, int64_t end) {
        for (int64_t bh = begin; bh < end; ++bh) {
            const int64_t b = bh / heads, h = bh % heads;
            auto* dst = reinterpret_cast<uint32_t*>(pk + bh * rowStride);
            packKeys(kd + b * k.stride(0) + h * D, k.stride(1), s, dst);
            packValues(vd + b * v.stride(0) + h * D, v.stride(1), s, dst + kpSize);
        }
    });

    const int64_t blocks = (N + kBlock - 1) / kBlock;
    const float sc = static_cast<float>(scale);
    parallelFor(0, B * heads * blocks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t task = begin; task < end; ++task) {
            const int64_t bh = task / blocks, b = bh / heads, h = bh % heads, n0 = (task % blocks) * kBlock;
            const uint16_t* kp = pk + bh * rowStride;
            attendBlock(qd + b * q.stride(0) + n0 * q.stride(1) + h * D, q.stride(1), std::min(kBlock, N - n0), s, kp,
                        kp + 2 * kpSize, sc, od + b * N * C + n0 * C + h * D, C);
        }
    });
    return out;
#else
    (void)q; (void)k; (void)v; (void)heads; (void)scale;
    return {};
#endif
}

}  // namespace inpaint::models::nn
