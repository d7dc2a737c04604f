// The fused CPU kernels (GroupNorm + activation on channels-last tensors, GEGLU in one pass) give
// bit for bit what the unfused ops give, for fp32 and bf16, and the unfused GroupNorm itself
// equals a double-precision reference.
#include "models/nn/cpu_features.h"
#include "models/nn/layers.h"
#include "models/nn/bf16_rows.h"
#include "models/nn/softmax_rows.h"
#include "models/nn/group_norm_cl.h"
#include "models/nn/attention.h"
#include "models/nn/attention_bf16.h"
#include "models/nn/parallel.h"
#include "tests/common/numeric_check.h"

#include <ATen/ATen.h>

#include <cmath>

using namespace inpaint;
using models::nn::Activation;

namespace {

torch::nn::GroupNorm randomNorm(int64_t groups, int64_t channels)
{
    auto norm = models::nn::makeGroupNorm(groups, channels, 1e-6);
    torch::NoGradGuard noGrad;
    norm->weight.copy_(torch::randn({channels}) * 0.5 + 1.0);
    norm->bias.copy_(torch::randn({channels}) * 0.2);
    return norm;
}

bool sameBits(const torch::Tensor& a, const torch::Tensor& b)
{
    return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && at::equal(a.contiguous(), b.contiguous());
}

}  // namespace

TEST_CASE(group_norm_activation_fused_equals_unfused)
{
    torch::manual_seed(11);
    c10::InferenceMode guard;
    int cases = 0;
    // Sizes with a ragged last block (hw not a multiple of the 64-pixel block) and a single pixel.
    for (auto shape : {std::vector<int64_t>{2, 64, 17, 13}, std::vector<int64_t>{1, 32, 64, 64},
                       std::vector<int64_t>{1, 96, 1, 1}}) {
        auto norm = randomNorm(32, shape[1]);
        for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
            auto x = (torch::randn(shape) * 3 + 1).to(dtype).contiguous(at::MemoryFormat::ChannelsLast);
            for (auto act : {Activation::SiLU, Activation::GELU, Activation::ReLU, Activation::Mish}) {
                if (act == Activation::Mish && dtype == torch::kBFloat16) continue;  // no bf16 CPU kernel in ATen
                torch::Tensor fused = models::nn::groupNormAct(norm, x, act);
                torch::Tensor plain = models::nn::applyActivation(models::nn::groupNorm(norm, x), act);
                EXPECT(fused.is_contiguous(at::MemoryFormat::ChannelsLast));
                EXPECT_MSG(sameBits(fused, plain), "shape " << shape[0] << "x" << shape[1] << "x" << shape[2] << "x"
                                                           << shape[3] << " dtype " << dtype << " act "
                                                           << static_cast<int>(act));
                ++cases;
            }
            // The normalisation itself against double arithmetic (statistics are accumulated in double).
            auto ref = at::group_norm(x.to(torch::kDouble), 32, norm->weight.to(torch::kDouble),
                                      norm->bias.to(torch::kDouble), 1e-6);
            // fp32: a few float roundings of values up to ~10; bf16: one rounding of the output (2^-8).
            const test::Tolerance tol = dtype == torch::kFloat ? test::Tolerance(1e-5, 1e-5) : test::Tolerance(0.02, 8e-3);
            EXPECT(test::tensorsClose(models::nn::groupNorm(norm, x).to(torch::kDouble), ref, tol, "group_norm"));
        }
    }
    EXPECT_EQ(cases, 21);
}

TEST_CASE(geglu_fused_equals_unfused)
{
    torch::manual_seed(12);
    c10::InferenceMode guard;
    std::printf("  bf16 row kernels (AVX-512) on this CPU: %s\n", models::nn::bf16RowKernelsAvailable() ? "yes" : "no");
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 77, 80}, std::vector<int64_t>{1, 4096, 2560}, std::vector<int64_t>{3, 1, 6}}) {
        for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
            auto h = (torch::randn(shape) * 2).to(dtype);
            const int64_t inner = shape.back() / 2;
            torch::Tensor plain = at::gelu(h.narrow(-1, inner, inner)) * h.narrow(-1, 0, inner);
            torch::Tensor fused = models::nn::geglu(h);
            if (dtype == torch::kBFloat16 && models::nn::bf16RowKernelsAvailable()) {
                // The bf16 kernel computes the GELU and the product in fp32 and rounds once, where
                // ATen's ops round after the GELU and again after the product: against double it
                // is within one bf16 rounding (half a step: at most 2^-8 relative; the atol covers
                // fp32's GELU of very negative gates, whose 1 + erf cancels) and no further from
                // it than ATen's.
                const torch::Tensor hd = h.to(torch::kDouble);
                const torch::Tensor ref = at::gelu(hd.narrow(-1, inner, inner)) * hd.narrow(-1, 0, inner);
                EXPECT_MSG(test::tensorsClose(fused, ref, test::Tolerance(1e-5, 4e-3), "geglu bf16 vs double"),
                           "shape " << shape[1] << "x" << shape[2]);
                EXPECT_MSG(test::relativeL2(fused, ref) <= test::relativeL2(plain, ref) * 1.001,
                           "shape " << shape[1] << "x" << shape[2] << ": fused " << test::relativeL2(fused, ref)
                                    << " ATen " << test::relativeL2(plain, ref));
            } else {
                EXPECT_MSG(sameBits(fused, plain), "shape " << shape[1] << "x" << shape[2] << " dtype " << dtype);
            }
            // A strided input takes the unfused path and gives ATen's bits.
            torch::Tensor wide = torch::cat({h, h}, -1).narrow(-1, 0, shape.back());
            EXPECT(!wide.is_contiguous());
            EXPECT(sameBits(models::nn::geglu(wide), plain));
            ++cases;
        }
    }
    EXPECT_EQ(cases, 6);
}

// LayerNorm over the last dimension (nn::layerNormLastDim): bf16 rows through the row kernel (or,
// without AVX-512, ATen's fp32 LayerNorm on a copy) against double arithmetic within one bf16
// rounding of the output, and within one bf16 step of LibTorch's fp32 LayerNorm of the same input;
// strided input equals contiguous; fp32 passes through to ATen bit for bit. Row lengths with a
// ragged 16-lane tail, one element (variance 0: the output is the bias), and the UNet's widths.
TEST_CASE(layer_norm_last_dim_matches_reference)
{
    torch::manual_seed(29);
    c10::InferenceMode guard;
    std::printf("  bf16 row kernels (AVX-512) on this CPU: %s\n", models::nn::bf16RowKernelsAvailable() ? "yes" : "no");
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 4096, 320}, std::vector<int64_t>{3, 77, 768}, std::vector<int64_t>{5, 1280},
                       std::vector<int64_t>{4, 17}, std::vector<int64_t>{6, 40}, std::vector<int64_t>{2, 1}}) {
        const int64_t n = shape.back();
        const auto x32 = torch::randn(shape) * 3 + 1.5;
        const auto w32 = torch::randn({n}) * 0.5 + 1.0, b32 = torch::randn({n}) * 0.2;
        const std::string what = "rows of " + std::to_string(n);
        {  // fp32: ATen's own LayerNorm
            const torch::Tensor y = models::nn::layerNormLastDim(x32, w32, b32, 1e-5);
            EXPECT_MSG(sameBits(y, at::layer_norm(x32, {n}, w32, b32, 1e-5)), what);
        }
        const auto x = x32.to(torch::kBFloat16), w = w32.to(torch::kBFloat16), b = b32.to(torch::kBFloat16);
        const torch::Tensor y = models::nn::layerNormLastDim(x, w, b, 1e-5);
        EXPECT_MSG(y.scalar_type() == torch::kBFloat16 && y.sizes() == x.sizes(), what);
        const torch::Tensor ref =
            at::layer_norm(x.to(torch::kDouble), {n}, w.to(torch::kDouble), b.to(torch::kDouble), 1e-5);
        // One bf16 rounding is half a step, at most 2^-8 relative; the atol covers fp32's
        // cancellation where t * weight and the bias nearly cancel.
        EXPECT_MSG(test::tensorsClose(y, ref, test::Tolerance(1e-4, 4e-3), "layer norm bf16 vs double, " + what), what);
        // LibTorch's fp32 LayerNorm of the same bf16 input, rounded: at most one bf16 step apart
        // (2^-7 relative), and all but a few elements identical.
        const torch::Tensor aten =
            at::layer_norm(x.to(torch::kFloat), {n}, w.to(torch::kFloat), b.to(torch::kFloat), 1e-5).to(torch::kBFloat16);
        EXPECT_MSG(test::tensorsClose(y, aten, test::Tolerance(1e-4, 8e-3), "layer norm bf16 vs ATen fp32, " + what), what);
        const double differ = (y != aten).to(torch::kDouble).mean().item<double>();
        EXPECT_MSG(differ <= 0.01, what << ": " << differ * 100 << " % of the elements differ from ATen's");
        // A strided view of the same values gives the same bits.
        const torch::Tensor strided = x.transpose(0, -1).contiguous().transpose(0, -1);
        EXPECT(!strided.is_contiguous() || n == 1 || x.size(0) == 1);
        EXPECT_MSG(sameBits(models::nn::layerNormLastDim(strided, w, b, 1e-5), y), what);
        ++cases;
    }
    EXPECT_EQ(cases, 6);
}

// fp32 linear layers on the CPU run as a oneDNN 1x1 convolution over the rows (nn::linear): the
// same values as at::linear (double reference) for 2-D and 3-D inputs, strided views, with and
// without bias, and below the 16-row threshold (at::linear itself).
TEST_CASE(linear_as_convolution_equals_reference)
{
    torch::manual_seed(13);
    c10::InferenceMode guard;
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 77, 96}, std::vector<int64_t>{300, 64}, std::vector<int64_t>{3, 40},
                       std::vector<int64_t>{1, 4096, 32}}) {
        const int64_t in = shape.back();
        for (int64_t out : {int64_t{48}, int64_t{130}}) {
            for (bool withBias : {true, false}) {
                auto x = torch::randn(shape);
                auto w = torch::randn({out, in}) / std::sqrt(double(in));
                auto b = withBias ? torch::randn({out}) : torch::Tensor();
                auto ref = at::linear(x.to(torch::kDouble), w.to(torch::kDouble),
                                      withBias ? c10::optional<at::Tensor>(b.to(torch::kDouble)) : c10::nullopt);
                auto y = models::nn::linear(x, w, b);
                EXPECT(y.sizes().vec() == ref.sizes().vec());
                EXPECT_MSG(test::tensorsClose(y.to(torch::kDouble), ref, test::Tolerance(2e-5, 2e-5), "linear"),
                           "rows " << x.numel() / in << " in " << in << " out " << out << " bias " << withBias);
                // A strided input (every other column of a wider tensor) gives the same.
                auto wide = torch::cat({x.unsqueeze(-1), x.unsqueeze(-1)}, -1).flatten(-2);
                auto strided = wide.narrow(-1, 0, 2 * in).unflatten(-1, {in, 2}).select(-1, 0);
                EXPECT(!strided.is_contiguous());
                EXPECT(test::tensorsClose(models::nn::linear(strided, w, b).to(torch::kDouble), ref,
                                          test::Tolerance(2e-5, 2e-5), "linear strided"));
                ++cases;
            }
        }
    }
    EXPECT_EQ(cases, 16);
}

// The attention's row softmax (softmax_rows.h) against a double-precision softmax, for every
// dtype pair it takes, row lengths with and without a ragged 16-lane tail, strided rows, a row
// whose far-below-maximum scores underflow to 0, and a constant row. Where the CPU lacks AVX-512
// it must decline and leave the output alone.
TEST_CASE(softmax_rows_matches_double_softmax)
{
    torch::manual_seed(17);
    c10::InferenceMode guard;
    if (!models::nn::softmaxRowsAvailable()) {
        auto s = torch::randn({4, 33});
        auto p = torch::full({4, 33}, 7.0f);
        EXPECT(!models::nn::softmaxRows(s, p));
        EXPECT(at::equal(p, torch::full({4, 33}, 7.0f)));
        std::printf("  (softmaxRows not available here, no AVX-512 or INPAINT_FUSED=0: it declined, as it must)\n");
        return;
    }
    int cases = 0;
    for (int64_t n : {int64_t{1}, int64_t{15}, int64_t{16}, int64_t{77}, int64_t{1025}, int64_t{4096}}) {
        // Rows of a wider buffer (row stride n + 5), scores up to about +-30 as in real attention.
        auto wide = torch::randn({6, n + 5}) * 10;
        auto scores32 = wide.narrow(1, 2, n);
        scores32[1].fill_(0.25f);  // constant row: 1/n everywhere
        if (n > 1) {
            scores32[2].fill_(-1000.0f);
            scores32[2][0] = 50.0f;  // every other probability underflows to exactly 0
        }
        for (auto in : {torch::kFloat, torch::kBFloat16}) {
            auto s = in == torch::kFloat ? scores32 : torch::randn({6, n + 5}).to(in).narrow(1, 2, n).copy_(scores32);
            EXPECT(s.stride(0) == n + 5);
            auto ref = torch::softmax(s.to(torch::kDouble), -1);
            for (auto out : {torch::kFloat, torch::kBFloat16}) {
                auto p = torch::empty({6, n}, torch::TensorOptions().dtype(out));
                EXPECT(models::nn::softmaxRows(s, p));
                // fp32: within 3e-6 of each probability's size (the exponential's ~2e-7 plus the
                // rounding of a sum of up to 256 terms per lane); bf16 output: one rounding, at
                // most 2^-8 relative, plus that.
                const double rel = out == torch::kFloat ? 3e-6 : 3.91e-3 + 3e-6;
                const auto err = (p.to(torch::kDouble) - ref).abs();
                const double worst = (err - ref * rel).max().item<double>();
                EXPECT_MSG(worst <= 1e-12, "n " << n << " in " << in << " out " << out << " excess " << worst);
                EXPECT_NEAR(p[1].to(torch::kDouble).sum().item<double>(), 1.0, out == torch::kFloat ? 1e-5 : 1e-2);
                if (n > 1) {
                    EXPECT_EQ(p[2].narrow(0, 1, n - 1).abs().max().item<float>(), 0.0f);
                    EXPECT_EQ(p[2][0].item<float>(), 1.0f);
                }
                // bf16 output rounds as c10::BFloat16 does: ATen's own fp32 softmax cast to bf16
                // differs by at most one bf16 step (2^-7 to 2^-8 relative), and only where the exponentials'
                // last bits do.
                if (out == torch::kBFloat16) {
                    auto aten = torch::softmax(s.to(torch::kFloat), -1).to(torch::kBFloat16);
                    const double steps = ((p.to(torch::kFloat) - aten.to(torch::kFloat)).abs() /
                                          aten.to(torch::kFloat).abs().clamp_min(1e-30) * 128.0)
                                             .max()
                                             .item<double>();
                    EXPECT_MSG(steps <= 1.0 + 1e-6, "n " << n << " bf16 steps " << steps);
                }
                ++cases;
            }
        }
    }
    // Declined: 1-D input, mismatched shapes, a non-unit last stride, fp16.
    auto s = torch::randn({3, 8});
    EXPECT(!models::nn::softmaxRows(s.view({24}), torch::empty({24})));
    EXPECT(!models::nn::softmaxRows(s, torch::empty({3, 9})));
    EXPECT(!models::nn::softmaxRows(s.t(), torch::empty({8, 3})));
    EXPECT(!models::nn::softmaxRows(s.to(torch::kHalf), torch::empty({3, 8}, torch::kHalf)));
    EXPECT_EQ(cases, 24);
}

// The bf16 SiLU kernel (bf16_rows.h) against double-precision SiLU of the same bf16 inputs: one
// rounding to bf16 of an fp32 value within a few float ulps, so within one bf16 step (2^-8
// relative, plus the smallest normal for results that underflow) of the exact value, and within
// two bf16 steps of ATen's bf16 silu. Values across the range that matters, with +-inf, 0 and a
// ragged tail; where the kernel does not run the test says so and checks that it declines.
TEST_CASE(silu_bf16_matches_double_silu)
{
    c10::InferenceMode guard;
    torch::manual_seed(5);
    if (!models::nn::bf16RowKernelsAvailable()) {
        std::printf("  SKIP: no AVX-512 on this CPU; checking that the kernel declines\n");
        auto t = torch::randn({64}).to(torch::kBFloat16);
        EXPECT(!models::nn::siluBf16InPlace(t));
        return;
    }
    int cases = 0;
    for (int64_t n : {int64_t{1}, int64_t{17}, int64_t{4099}, int64_t{1} << 18}) {
        auto x = (torch::randn({n}) * 6).to(torch::kBFloat16);
        if (n > 8) {
            x[0] = INFINITY;
            x[1] = -INFINITY;
            x[2] = 0.0;
            x[3] = -90.0;
            x[4] = 88.0;
        }
        auto ours = x.clone();
        EXPECT(models::nn::siluBf16InPlace(ours));
        const auto xd = x.to(torch::kDouble);
        const auto exact = xd * torch::sigmoid(xd);
        const auto aten = at::silu(x);
        const auto o = ours.to(torch::kDouble);
        // Same non-finite pattern (inf for +inf, NaN for -inf as x / (1 + exp(-x)) gives).
        EXPECT(at::equal(at::isnan(o), at::isnan(aten.to(torch::kDouble))));
        const auto finite = at::isfinite(exact) & at::isfinite(o);
        EXPECT(at::equal(at::isinf(o), at::isinf(exact)));
        const auto err = (o - exact).abs().masked_select(finite);
        const auto bound = (exact.abs() * std::ldexp(1.0, -8) + 1.2e-38).masked_select(finite);
        EXPECT_MSG((err <= bound).all().item<bool>(), "n " << n << " worst " << (err / bound).max().item<double>());
        // Against ATen where its fp32 exp(-x) does not overflow (below about -88 ATen gives -0,
        // the exact value is a normal float and ours keeps it): both are within half a step of
        // exact by their own roundings, but ATen's fp32 value near a binade edge is not, so the
        // gap is bounded by two steps (2^-6 relative), not one.
        const auto inRange = finite & (xd.abs() < 80);
        const auto gap = (o - aten.to(torch::kDouble)).abs().masked_select(inRange);
        const auto bound2 = (exact.abs() * std::ldexp(1.0, -6) + 2.4e-38).masked_select(inRange);
        EXPECT_MSG((gap <= bound2).all().item<bool>(), "n " << n << " from ATen " << (gap / bound2).max().item<double>());
        // Bit for bit what applyActivation gives (the path the unfused GroupNorm + SiLU takes);
        // compared as integers, since NaN (from -inf) equals nothing as a float.
        const auto viaApply = models::nn::applyActivation(x, Activation::SiLU, /*inPlace=*/false);
        EXPECT(at::equal(ours.view(torch::kShort), viaApply.view(torch::kShort)));
        ++cases;
    }
    // Declined: fp32, a non-contiguous view.
    auto f = torch::randn({32});
    EXPECT(!models::nn::siluBf16InPlace(f));
    auto v = torch::randn({8, 8}).to(torch::kBFloat16).t();
    EXPECT(!models::nn::siluBf16InPlace(v));
    EXPECT_EQ(cases, 4);
}

// The fused bf16 attention (attention_bf16.h) against double-precision attention of the same bf16
// inputs. Its error is two roundings to bf16 (the probabilities, then the output), each at most
// 2^-9 relative, so every output is within 2^-8 (|o| + sum_k p_k |v_k|) of the exact value; and
// over a whole tensor it is no further from exact than LibTorch's bf16 attention (scores rounded to
// bf16 before the softmax). Shapes: SD 1.5's head widths 40 / 80 / 160, SD 2 / XL's 64, the VAE's
// one head of 512, 77 text keys (odd: the key pairs are padded), query counts with a ragged last
// block, q as a strided view of a fused projection, and the inputs it must decline.
TEST_CASE(fused_bf16_attention_matches_double_attention)
{
    torch::manual_seed(23);
    c10::InferenceMode guard;
    auto q0 = torch::randn({1, 20, 64}).to(torch::kBFloat16);
    if (!models::nn::fusedAttentionBf16Available()) {
        EXPECT(!models::nn::fusedAttentionBf16(q0, q0, q0, 4, 0.25).defined());
        std::printf("  (fused bf16 attention not available here, no AVX-512 BF16 or INPAINT_FUSED=0: it declined)\n");
        return;
    }
    struct Case {
        int64_t B, N, M, C, heads;
        bool stridedQ;
    };
    int cases = 0;
    for (const Case& c : {Case{2, 300, 300, 320, 8, false}, Case{1, 1000, 77, 320, 8, false},
                          Case{2, 97, 1025, 640, 8, true}, Case{1, 49, 256, 320, 2, false},
                          Case{1, 130, 130, 128, 2, true}, Case{1, 64, 64, 512, 1, false},
                          Case{1, 1, 1, 64, 4, false}}) {
        // Scores of real attention reach about +-20; 1.5 sigma inputs with scale 1/sqrt(D) give that.
        auto fused = torch::randn({c.B, c.N, 3 * c.C}) * 1.5;
        auto q = c.stridedQ ? fused.to(torch::kBFloat16).narrow(2, c.C, c.C)
                            : (torch::randn({c.B, c.N, c.C}) * 1.5).to(torch::kBFloat16);
        auto k = (torch::randn({c.B, c.M, c.C}) * 1.5).to(torch::kBFloat16);
        auto v = torch::randn({c.B, c.M, c.C}).to(torch::kBFloat16);
        EXPECT(c.stridedQ == !q.is_contiguous());
        const int64_t D = c.C / c.heads;
        const double scale = 1.0 / std::sqrt(double(D));
        torch::Tensor out = models::nn::fusedAttentionBf16(q, k, v, c.heads, scale);
        EXPECT(out.defined());
        if (!out.defined()) continue;
        EXPECT(out.scalar_type() == torch::kBFloat16 && out.is_contiguous());
        EXPECT(out.sizes() == q.sizes());
        // Exact attention in double, per head, and the bound's sum_k p_k |v_k|.
        auto split = [&](const torch::Tensor& t) {
            return t.to(torch::kDouble).reshape({c.B, t.size(1), c.heads, D}).permute({0, 2, 1, 3});
        };
        auto p = torch::softmax(torch::matmul(split(q), split(k).transpose(-1, -2)) * scale, -1);
        auto merge = [&](const torch::Tensor& t) { return t.permute({0, 2, 1, 3}).reshape({c.B, c.N, c.C}); };
        auto ref = merge(torch::matmul(p, split(v)));
        auto mass = merge(torch::matmul(p, split(v).abs()));
        auto err = (out.to(torch::kDouble) - ref).abs();
        const double excess = (err - (ref.abs() + mass) * std::ldexp(1.0, -8)).max().item<double>();
        EXPECT_MSG(excess <= 1e-9, "B" << c.B << " N" << c.N << " M" << c.M << " C" << c.C << " heads " << c.heads
                                       << ": excess " << excess);
        // No further from exact than LibTorch's own bf16 attention.
        models::nn::AttentionOptions o;
        o.backend = models::nn::AttentionBackend::Batched;
        auto aten = models::nn::multiHeadAttention(q, k, v, c.heads, o);
        const double ours = (out.to(torch::kDouble) - ref).norm().item<double>() / ref.norm().item<double>();
        const double theirs = (aten.to(torch::kDouble) - ref).norm().item<double>() / ref.norm().item<double>();
        EXPECT_MSG(ours <= theirs * 1.05 + 1e-6, "C" << c.C << " heads " << c.heads << ": rel-L2 " << ours
                                                    << " vs LibTorch bf16 " << theirs);
        // The blocked CPU backend takes this kernel for bf16.
        o.backend = models::nn::AttentionBackend::Blocked;
        EXPECT(sameBits(models::nn::multiHeadAttention(q, k, v, c.heads, o), out));
        ++cases;
    }
    // Declined: fp32, an odd head width, mixed dtypes, a non-unit last stride.
    auto f = torch::randn({1, 20, 64});
    EXPECT(!models::nn::fusedAttentionBf16(f, f, f, 4, 0.25).defined());
    auto odd = torch::randn({1, 20, 30}).to(torch::kBFloat16);
    EXPECT(!models::nn::fusedAttentionBf16(odd, odd, odd, 2, 0.25).defined());
    EXPECT(!models::nn::fusedAttentionBf16(q0, f, q0, 4, 0.25).defined());
    auto t = torch::randn({1, 64, 20}).to(torch::kBFloat16).transpose(1, 2);
    EXPECT(!models::nn::fusedAttentionBf16(t, q0, q0, 4, 0.25).defined());
    EXPECT_EQ(cases, 7);
}

// The engine's own parallel loops (models/nn/parallel.h) on two threads, as the editor and the CLI
// run them (the suite itself runs one thread per test): inside InferenceMode, where each worker
// must get the caller's thread-local state or ATen refuses to write the inference tensors. The
// attention and GEGLU split work without changing any sum, so their results are bit-equal to one
// thread; GroupNorm adds per-thread partial moments (in double), so it may differ in the last bit.
TEST_CASE(parallel_kernels_on_two_threads_equal_one_thread)
{
    torch::manual_seed(19);
    c10::InferenceMode guard;
    std::printf("  parallelFor threaded in this build: %s\n", models::nn::parallelForIsThreaded() ? "yes" : "no");
    const int saved = at::get_num_threads();
    auto q = torch::randn({2, 300, 64}), k = torch::randn({2, 300, 64}), v = torch::randn({2, 300, 64});
    auto h = torch::randn({2, 150, 2 * 96});
    auto norm = randomNorm(32, 64);
    auto x = (torch::randn({2, 64, 24, 24}) * 2).contiguous(at::MemoryFormat::ChannelsLast);
    auto lnW = torch::randn({2 * 96}) + 1, lnB = torch::randn({2 * 96});
    int cases = 0;
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
        std::vector<torch::Tensor> results[2];
        for (int threads : {1, 2}) {
            at::set_num_threads(threads);
            models::nn::AttentionOptions o;
            o.backend = models::nn::AttentionBackend::Blocked;
            results[threads - 1] = {models::nn::multiHeadAttention(q.to(dtype), k.to(dtype), v.to(dtype), 4, o),
                                    models::nn::geglu(h.to(dtype)),
                                    models::nn::groupNormAct(norm, x.to(dtype), Activation::SiLU),
                                    models::nn::layerNormLastDim(h.to(dtype), lnW.to(dtype), lnB.to(dtype), 1e-5)};
        }
        at::set_num_threads(saved);
        EXPECT_MSG(sameBits(results[0][0], results[1][0]), "attention " << dtype);
        EXPECT_MSG(sameBits(results[0][1], results[1][1]), "geglu " << dtype);
        const double tol = dtype == torch::kFloat ? 1e-6 : 1e-2;
        EXPECT_MSG(test::maxAbsDiff(results[0][2], results[1][2]) <= tol, "group norm " << dtype);
        EXPECT_MSG(sameBits(results[0][3], results[1][3]), "layer norm " << dtype);
        cases += 4;
    }
    EXPECT_EQ(cases, 8);
}

// GroupNorm on contiguous NCHW bf16 tensors (what the packed convolutions return): against a
// double-precision group_norm of the same bf16 input, against LibTorch's way (fp32 copy,
// group_norm, cast back) within one bf16 rounding, and fused with SiLU bit-equal to the norm
// followed by SiLU. Shapes with a ragged 64-value block, one pixel, and the VAE's 32 groups.
TEST_CASE(group_norm_nchw_bf16_matches_reference)
{
    torch::manual_seed(23);
    c10::InferenceMode guard;
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 64, 17, 13}, std::vector<int64_t>{1, 128, 64, 64},
                       std::vector<int64_t>{1, 96, 1, 1}}) {
        auto norm = randomNorm(32, shape[1]);
        auto x = (torch::randn(shape) * 3 + 1).to(torch::kBFloat16);
        EXPECT(models::nn::groupNormNchwBf16Applies(x, 32));
        torch::Tensor y = models::nn::groupNorm(norm, x);
        EXPECT(y.scalar_type() == torch::kBFloat16 && y.is_contiguous());
        auto ref = at::group_norm(x.to(torch::kDouble), 32, norm->weight.to(torch::kDouble), norm->bias.to(torch::kDouble),
                                  1e-6);
        EXPECT(test::tensorsClose(y.to(torch::kDouble), ref, test::Tolerance(0.02, 8e-3), "group_norm nchw bf16"));
        auto aten = at::group_norm(x.to(torch::kFloat), 32, norm->weight, norm->bias, 1e-6).to(torch::kBFloat16);
        // Both round an fp32 value once; they differ only where the fp32 values straddle a rounding
        // boundary: at most one bf16 step, 2^-7 relative (plus 1e-3 absolute near zero).
        const double step = ((y.to(torch::kFloat) - aten.to(torch::kFloat)).abs() -
                             aten.to(torch::kFloat).abs() * (1.0 / 128) - 1e-3)
                                .max()
                                .item<double>();
        EXPECT_MSG(step <= 0, "shape " << shape[1] << "x" << shape[2] << " excess " << step);
        torch::Tensor fused = models::nn::groupNormAct(norm, x, Activation::SiLU);
        EXPECT(sameBits(fused, models::nn::applyActivation(models::nn::groupNorm(norm, x), Activation::SiLU)));
        ++cases;
    }
    // Not taken: fp32, channels-last, 3-D.
    EXPECT(!models::nn::groupNormNchwBf16Applies(torch::randn({1, 64, 4, 4}), 32));
    EXPECT(!models::nn::groupNormNchwBf16Applies(
        torch::randn({1, 64, 4, 4}).to(torch::kBFloat16).contiguous(at::MemoryFormat::ChannelsLast), 32));
    EXPECT(!models::nn::groupNormNchwBf16Applies(torch::randn({64, 4, 4}).to(torch::kBFloat16), 32));
    EXPECT_EQ(cases, 3);
}

// Nearest 2x upsampling (Upsample2D): ATen's kernel on NCHW and the strided copy on channels-last
// give each input pixel's value to its 2x2 block, for fp32 and bf16, odd sizes included.
TEST_CASE(upsample_nearest_2x_repeats_each_pixel)
{
    torch::manual_seed(31);
    c10::InferenceMode guard;
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 640, 32, 32}, std::vector<int64_t>{1, 3, 5, 7}}) {
        for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
            const auto x = torch::randn(shape).to(dtype);
            const auto ref = x.repeat_interleave(2, 2).repeat_interleave(2, 3);
            for (bool channelsLast : {false, true}) {
                const auto in = channelsLast ? x.contiguous(at::MemoryFormat::ChannelsLast) : x;
                const torch::Tensor up = models::nn::upsampleNearest2x(in);
                EXPECT_MSG(sameBits(up, ref), "shape " << shape[1] << "x" << shape[2] << "x" << shape[3] << " dtype "
                                                       << dtype << (channelsLast ? " channels-last" : " NCHW"));
                ++cases;
            }
        }
    }
    EXPECT_EQ(cases, 8);
}

// Conv2d's packed paths (oneDNN's channels-last convolution context for a channels-last weight,
// ATen's reordered NCHW weight for a contiguous one) against a double-precision conv of the same
// rounded values: 3x3, strided 3x3 and 1x1 kernels, batch 1 and 2, sizes other than the 64x64 the
// context is packed for, NCHW and channels-last inputs. A channels-last 3x3 weight (a 1x1 one with
// a channels-last input) gives a channels-last output. The packed copy follows an in-place change of the weight (LoRA merges)
// and a replaced weight tensor.
TEST_CASE(packed_conv_paths_equal_double_conv)
{
    torch::manual_seed(23);
    std::printf("  oneDNN channels-last conv context in this LibTorch: %s\n",
                models::nn::channelsLastPackAvailable() ? "yes" : "no");
    struct Shape { int64_t in, out, kernel, stride, padding; };
    const std::vector<Shape> shapes{{32, 48, 3, 1, 1}, {48, 48, 3, 2, 1}, {40, 64, 1, 1, 0}};
    int cases = 0;
    // Auto packs bf16 only (fp32 measured as fast dense, conv.cpp); Packed (INPAINT_CONV_PACK=1)
    // packs both, which is what the cases below run.
    const auto previous = models::nn::convBackend();
    if (at::hasMKLDNN() && previous == models::nn::ConvBackend::Auto) {
        EXPECT(!models::nn::packedConvActive(torch::kFloat));
        EXPECT_EQ(models::nn::packedConvActive(torch::kBFloat16), models::nn::cpuHasAvx512Core());
    }
    models::nn::setConvBackend(models::nn::ConvBackend::Packed);
    struct Restore {
        models::nn::ConvBackend b;
        ~Restore() { models::nn::setConvBackend(b); }
    } restore{previous};
    for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
        if (!models::nn::packedConvActive(dtype)) {
            std::printf("  %s: packed convolution not active on this CPU, skipped\n", c10::toString(dtype));
            continue;
        }
        for (const Shape& sh : shapes) {
            for (bool clWeight : {false, true}) {
                auto conv = models::nn::makeConv2d(sh.in, sh.out, sh.kernel, sh.stride, sh.padding);
                conv->to(dtype);
                if (clWeight)
                    models::nn::convertConvWeightsToChannelsLast(*conv);
                for (int round = 0; round < 3; ++round) {
                    if (round == 1) {  // in place, as a LoRA merge does
                        torch::NoGradGuard g;
                        conv->weight.mul_(-1.5);
                    } else if (round == 2) {  // a new tensor, as a dtype or device change does
                        torch::NoGradGuard g;
                        auto w = (torch::randn(conv->weight.sizes()) * 0.1).to(dtype);
                        conv->weight.set_data(clWeight ? w.contiguous(at::MemoryFormat::ChannelsLast) : w);
                    }
                    c10::InferenceMode guard;
                    for (int64_t batch : {1, 2}) {
                        for (int64_t size : {8, 17, 64}) {
                            for (bool clInput : {false, true}) {
                                auto x = torch::randn({batch, sh.in, size, size}).to(dtype);
                                if (clInput)
                                    x = x.contiguous(at::MemoryFormat::ChannelsLast);
                                const auto y = conv->forward(x);
                                const auto ref = at::conv2d(x.to(torch::kDouble), conv->weight.to(torch::kDouble),
                                                            conv->bias.to(torch::kDouble), {sh.stride, sh.stride},
                                                            {sh.padding, sh.padding});
                                const double scale = ref.abs().max().item<double>();
                                const double err = test::maxAbsDiff(y.to(torch::kDouble), ref) / scale;
                                const double tol = dtype == torch::kFloat ? 2e-6 : 8e-3;
                                EXPECT_MSG(y.sizes() == ref.sizes() && err <= tol,
                                           dtype << " k" << sh.kernel << " s" << sh.stride << (clWeight ? " CL" : " NCHW")
                                                 << " weight, round " << round << ", " << batch << "x" << size << "^2 "
                                                 << (clInput ? "CL" : "NCHW") << " input: error " << err << " of max");
                                // 1x1 weights are the same bytes in both layouts: the input decides.
                                if (models::nn::channelsLastPackAvailable() && (sh.kernel > 1 ? clWeight : clInput))
                                    EXPECT_MSG(y.is_contiguous(at::MemoryFormat::ChannelsLast),
                                               "k" << sh.kernel << ": a channels-last conv gave a non-channels-last output");
                                ++cases;
                            }
                        }
                    }
                }
            }
        }
    }
    // fp32 always runs packed where oneDNN is built in (Debian's and the wheel's LibTorch).
    EXPECT_MSG(cases >= 216, "only " << cases << " packed-conv cases ran");
}
