// Channels-last GroupNorm (see group_norm_cl.h).
#include "models/nn/group_norm_cl.h"

#include "models/nn/parallel.h"

#include <ATen/ATen.h>
#include <c10/util/BFloat16.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace inpaint::models::nn {

namespace {

// Pixels summed in float before they are added to the double totals: long enough for the inner
// loops to vectorise, short enough that float sums of at most 64 values lose nothing measurable.
constexpr int64_t kBlock = 64;

// c10::BFloat16(float)'s rounding (to nearest even; NaN stays a quiet NaN) without its branch, so
// that the loop around it vectorises: the same bits for every input.
inline uint16_t bf16Bits(float f)
{
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    return (u & 0x7fffffffu) > 0x7f800000u ? uint16_t(0x7fc0) : uint16_t(rounded);
}

// Mean and 1/sqrt(var + eps) of `count` values from their sum and sum of squares (biased
// variance, as torch), and one channel's affine parameters folded into y = x * scale + shift.
struct GroupMoments {
    double mean, rstd;
};

GroupMoments groupMoments(double sum, double sq, double count, double eps)
{
    const double mean = sum / count;
    const double var = std::max(0.0, sq / count - mean * mean);
    return {mean, 1.0 / std::sqrt(var + eps)};
}

void foldAffine(const GroupMoments& m, float gamma, float beta, float& scale, float& shift)
{
    const double a = m.rstd * double(gamma);
    scale = static_cast<float>(a);
    shift = static_cast<float>(double(beta) - m.mean * a);
}

template <typename T>
void run(const T* x, T* y, int64_t n, int64_t hw, int64_t c, int64_t groups, const float* gamma, const float* beta,
         double eps, const std::optional<Activation>& act)
{
    const auto dtype = std::is_same_v<T, float> ? at::kFloat : at::kBFloat16;
    const int64_t cg = c / groups;
    const int threads = at::get_num_threads();
    for (int64_t b = 0; b < n; ++b) {
        const T* xb = x + b * hw * c;
        T* yb = y + b * hw * c;
        // Pass 1: per-channel sum and sum of squares, per thread, then combined.
        std::vector<double> partial(size_t(threads) * 2 * c, 0.0);
        parallelFor(0, hw, kBlock * 4, [&](int64_t begin, int64_t end) {
            double* s = partial.data() + size_t(at::get_thread_num()) * 2 * c;
            double* q = s + c;
            std::vector<float> fs(c), fq(c);
            for (int64_t p0 = begin; p0 < end; p0 += kBlock) {
                std::fill(fs.begin(), fs.end(), 0.0f);
                std::fill(fq.begin(), fq.end(), 0.0f);
                const int64_t p1 = std::min(end, p0 + kBlock);
                for (int64_t p = p0; p < p1; ++p) {
                    const T* row = xb + p * c;
                    for (int64_t k = 0; k < c; ++k) {
                        const float v = static_cast<float>(row[k]);
                        fs[k] += v;
                        fq[k] += v * v;
                    }
                }
                for (int64_t k = 0; k < c; ++k) {
                    s[k] += fs[k];
                    q[k] += fq[k];
                }
            }
        });
        // Per group: mean and 1/sqrt(var + eps) (biased variance, as torch); folded with the
        // affine parameters into one scale and shift per channel.
        std::vector<float> scale(c), shift(c);
        const double count = double(cg) * double(hw);
        for (int64_t g = 0; g < groups; ++g) {
            double sum = 0, sq = 0;
            for (int t = 0; t < threads; ++t) {
                const double* s = partial.data() + size_t(t) * 2 * c;
                for (int64_t k = g * cg; k < (g + 1) * cg; ++k) {
                    sum += s[k];
                    sq += s[c + k];
                }
            }
            const GroupMoments m = groupMoments(sum, sq, count, eps);
            for (int64_t k = g * cg; k < (g + 1) * cg; ++k)
                foldAffine(m, gamma[k], beta[k], scale[k], shift[k]);
        }
        // Pass 2: y = x * scale + shift, rounded once to T; the activation (if fused) runs on each
        // block of kBlock pixels while it is still in cache (applyActivation, the kernel a separate
        // in-place activation takes, so the result is bit for bit the same, one memory pass fewer;
        // bf16 SiLU is the engine's AVX-512 kernel where it runs).
        parallelFor(0, hw, kBlock * 4, [&](int64_t begin, int64_t end) {
            for (int64_t p0 = begin; p0 < end; p0 += kBlock) {
                const int64_t p1 = std::min(end, p0 + kBlock);
                for (int64_t p = p0; p < p1; ++p) {
                    const T* row = xb + p * c;
                    T* out = yb + p * c;
                    if constexpr (std::is_same_v<T, float>) {
                        for (int64_t k = 0; k < c; ++k)
                            out[k] = row[k] * scale[k] + shift[k];
                    } else {
                        uint16_t* bits = reinterpret_cast<uint16_t*>(out);
                        for (int64_t k = 0; k < c; ++k)
                            bits[k] = bf16Bits(static_cast<float>(row[k]) * scale[k] + shift[k]);
                    }
                }
                if (act) {
                    at::Tensor block = at::from_blob(yb + p0 * c, {(p1 - p0) * c}, at::TensorOptions().dtype(dtype));
                    applyActivation(block, *act, /*inPlace=*/true);  // runs inline on this worker
                }
            }
        });
    }
}

// Contiguous NCHW bf16 (what oneDNN's packed convolutions give back): each (batch, group) is one
// run of cg * hw values. Pass 1 sums it in 16 float lanes per 64-value block, added to double;
// pass 2 writes each channel's row as x * a_c + b_c, rounded once, with the activation (if fused)
// on that row while it is in cache. One task per (batch, group) over the pool.
void runNchwBf16(const c10::BFloat16* x, c10::BFloat16* y, int64_t n, int64_t c, int64_t hw, int64_t groups,
                 const float* gamma, const float* beta, double eps, const std::optional<Activation>& act)
{
    const int64_t cg = c / groups, len = cg * hw;
    parallelFor(0, n * groups, 1, [&](int64_t begin, int64_t end) {
        for (int64_t ng = begin; ng < end; ++ng) {
            const int64_t g = ng % groups;
            const c10::BFloat16* xg = x + ng * len;
            c10::BFloat16* yg = y + ng * len;
            double sum = 0, sq = 0;
            int64_t i = 0;
            for (; i + kBlock <= len; i += kBlock) {
                float ls[16] = {}, lq[16] = {};
                for (int64_t j = 0; j < kBlock; j += 16)
                    for (int l = 0; l < 16; ++l) {
                        const float v = static_cast<float>(xg[i + j + l]);
                        ls[l] += v;
                        lq[l] += v * v;
                    }
                for (int l = 0; l < 16; ++l) {
                    sum += ls[l];
                    sq += lq[l];
                }
            }
            for (; i < len; ++i) {
                const double v = static_cast<float>(xg[i]);
                sum += v;
                sq += v * v;
            }
            const GroupMoments m = groupMoments(sum, sq, double(len), eps);
            for (int64_t k = 0; k < cg; ++k) {
                const int64_t ch = g * cg + k;
                float scale, shift;
                foldAffine(m, gamma[ch], beta[ch], scale, shift);
                const c10::BFloat16* row = xg + k * hw;
                uint16_t* out = reinterpret_cast<uint16_t*>(yg + k * hw);
                for (int64_t p = 0; p < hw; ++p)
                    out[p] = bf16Bits(static_cast<float>(row[p]) * scale + shift);
                if (act) {
                    at::Tensor r = at::from_blob(yg + k * hw, {hw}, at::TensorOptions().dtype(at::kBFloat16));
                    applyActivation(r, *act, /*inPlace=*/true);  // runs inline on this worker
                }
            }
        }
    });
}

}  // namespace

bool groupNormNchwBf16Applies(const at::Tensor& x, int64_t groups)
{
    return x.is_cpu() && x.dim() == 4 && x.scalar_type() == at::kBFloat16 && groups > 0 && x.size(1) % groups == 0 &&
           x.is_contiguous();
}

at::Tensor groupNormNchwBf16(const at::Tensor& x, int64_t groups, const at::Tensor& gamma, const at::Tensor& beta,
                             double eps, std::optional<Activation> act)
{
    const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
    const at::Tensor g = gamma.to(at::kFloat).contiguous(), b = beta.to(at::kFloat).contiguous();
    at::Tensor y = at::empty_like(x, at::MemoryFormat::Contiguous);
    runNchwBf16(x.data_ptr<c10::BFloat16>(), y.data_ptr<c10::BFloat16>(), n, c, hw, groups, g.data_ptr<float>(),
                b.data_ptr<float>(), eps, act);
    return y;
}

bool groupNormChannelsLastApplies(const at::Tensor& x, int64_t groups)
{
    return x.is_cpu() && x.dim() == 4 && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) &&
           groups > 0 && x.size(1) % groups == 0 && x.size(1) > 1 &&
           x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous();
}

at::Tensor groupNormChannelsLast(const at::Tensor& x, int64_t groups, const at::Tensor& gamma, const at::Tensor& beta,
                                 double eps, std::optional<Activation> act)
{
    const int64_t n = x.size(0), c = x.size(1), hw = x.size(2) * x.size(3);
    const at::Tensor g = gamma.to(at::kFloat).contiguous(), b = beta.to(at::kFloat).contiguous();
    at::Tensor y = at::empty_like(x, at::MemoryFormat::ChannelsLast);
    if (x.scalar_type() == at::kFloat)
        run<float>(x.data_ptr<float>(), y.data_ptr<float>(), n, hw, c, groups, g.data_ptr<float>(), b.data_ptr<float>(),
                   eps, act);
    else
        run<c10::BFloat16>(x.data_ptr<c10::BFloat16>(), y.data_ptr<c10::BFloat16>(), n, hw, c, groups,
                           g.data_ptr<float>(), b.data_ptr<float>(), eps, act);
    return y;
}

}  // namespace inpaint::models::nn
