// The fused CPU kernels (GroupNorm + activation on channels-last tensors, GEGLU in one pass) give
// bit for bit what the unfused ops give, for fp32 and bf16, and the unfused GroupNorm itself
// equals a double-precision reference.
#include "models/nn/layers.h"
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
    int cases = 0;
    for (auto shape : {std::vector<int64_t>{2, 77, 80}, std::vector<int64_t>{1, 4096, 2560}, std::vector<int64_t>{3, 1, 6}}) {
        for (auto dtype : {torch::kFloat, torch::kBFloat16}) {
            auto h = (torch::randn(shape) * 2).to(dtype);
            const int64_t inner = shape.back() / 2;
            torch::Tensor plain = at::gelu(h.narrow(-1, inner, inner)) * h.narrow(-1, 0, inner);
            torch::Tensor fused = models::nn::geglu(h);
            EXPECT_MSG(sameBits(fused, plain), "shape " << shape[1] << "x" << shape[2] << " dtype " << dtype);
            // A strided input takes the unfused path and gives the same.
            torch::Tensor wide = torch::cat({h, h}, -1).narrow(-1, 0, shape.back());
            EXPECT(!wide.is_contiguous());
            EXPECT(sameBits(models::nn::geglu(wide), plain));
            ++cases;
        }
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
