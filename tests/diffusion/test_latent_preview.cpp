// Step-preview decoders (core/diffusion/latent_preview.h) on the tiny reference TAESD
// (models/tiny-taesd, INDEX-taesd.md): the tiny VAE runs channels-last by default and gives the
// NCHW result; tinyDecode at full size is VaeImageProcessor's mapping of decode(); at half size
// it decodes the 2x2-averaged latents (partial windows at odd edges average what they cover) and
// upsamples the image bilinearly back to the latents' full pixel size.
//
// Tolerances: all in fp32 on the CPU, the same convs on both sides of each comparison, so the only
// differences are the summation orders of oneDNN's channels-last and NCHW kernels (about 1e-6 on
// this model's outputs near 1): 1e-5. A wrong pooling (stride 1, a plain sum, a wrong edge divisor)
// or a missing rescale changes values by 1e-2 and more.
#include "core/diffusion/latent_preview.h"
#include "models/vae/autoencoder_tiny.h"
#include "tests/common/numeric_check.h"
#include "tests/common/reference.h"

#include <torch/torch.h>

using namespace inpaint;

namespace {

const auto kTaesd = test::referenceDir() / "models" / "tiny-taesd";

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

torch::Tensor bilinear(const torch::Tensor& x, int64_t h, int64_t w)
{
    namespace F = torch::nn::functional;
    return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false))
        .clamp(0, 1);
}

}  // namespace

TEST_CASE(tiny_vae_channels_last_equals_nchw)
{
    c10::InferenceMode guard;
    auto model = models::AutoencoderTinyImpl::loadFolder(kTaesd, torch::kCPU, torch::kFloat32);
    EXPECT(model->channelsLast());
    int convs = 0;
    for (const auto& p : model->parameters())
        if (p.dim() == 4) {
            EXPECT(p.is_contiguous(at::MemoryFormat::ChannelsLast));
            ++convs;
        }
    EXPECT(convs >= 10);
    torch::manual_seed(3);
    const auto z = torch::randn({2, model->config().latentChannels, 9, 12});
    const auto x = torch::rand({1, model->config().inChannels, 16, 20}) * 2 - 1;
    const auto decodedCl = model->decode(z), encodedCl = model->encode(x);
    EXPECT(decodedCl.is_contiguous() && encodedCl.is_contiguous());  // callers get NCHW
    model->setChannelsLast(false);
    for (const auto& p : model->parameters()) EXPECT(p.is_contiguous());
    const double dd = maxDiff(decodedCl, model->decode(z)), de = maxDiff(encodedCl, model->encode(x));
    EXPECT_MSG(dd < 1e-5, "decode channels-last vs NCHW " << dd);
    EXPECT_MSG(de < 1e-5, "encode channels-last vs NCHW " << de);
    std::printf("TAESD channels-last vs NCHW: decode %.3g, encode %.3g\n", dd, de);
}

TEST_CASE(tiny_decode_full_and_half_size)
{
    c10::InferenceMode guard;
    auto model = models::AutoencoderTinyImpl::loadFolder(kTaesd, torch::kCPU, torch::kFloat32);
    const int64_t f = model->config().scaleFactor(), c = model->config().latentChannels;
    torch::manual_seed(11);
    // Full size: VaeImageProcessor's (x / 2 + 0.5).clamp(0, 1) of decode(z / scaling_factor).
    const auto z = torch::randn({1, c, 8, 10}) * 2;
    const auto full = diffusion::tinyDecode(*model, z);
    EXPECT(full.scalar_type() == torch::kFloat32 && full.is_contiguous());
    const double d1 = maxDiff(full, (model->decode(z / model->config().scalingFactor) / 2 + 0.5).clamp(0, 1));
    EXPECT_MSG(d1 < 1e-6, "full-size tinyDecode vs decode " << d1);

    // Half size: latents that are constant over each 2x2 block pool exactly to the small field y,
    // so the half-size preview is y's decode scaled up; an odd size (the last row and column are
    // partial windows holding one copy) must pool to the same y.
    int cases = 0;
    for (const auto& [h, w] : {std::pair<int64_t, int64_t>{8, 10}, {7, 9}, {5, 6}, {1, 3}}) {
        const int64_t sh = (h + 1) / 2, sw = (w + 1) / 2;
        const auto y = torch::randn({1, c, sh, sw}) * 2;
        const auto blocks = y.repeat_interleave(2, 2).repeat_interleave(2, 3).narrow(2, 0, h).narrow(3, 0, w).contiguous();
        const auto half = diffusion::tinyDecode(*model, blocks, 2);
        EXPECT_EQ(half.size(2), h * f);
        EXPECT_EQ(half.size(3), w * f);
        const auto expected = bilinear(diffusion::tinyDecode(*model, y), h * f, w * f);
        const double d = maxDiff(half, expected);
        EXPECT_MSG(d < 1e-5, h << "x" << w << " half-size preview vs y's decode scaled up: " << d);
        // ... and it is not the full-size decode (another, cheaper picture).
        EXPECT_MSG(maxDiff(half, diffusion::tinyDecode(*model, blocks)) > 1e-3, h << "x" << w);
        ++cases;
    }
    EXPECT_EQ(cases, 4);

    // bf16 weights: the image comes back float32 in [0, 1] and near the fp32 one.
    auto bf = models::AutoencoderTinyImpl::loadFolder(kTaesd, torch::kCPU, torch::kBFloat16);
    const auto hb = diffusion::tinyDecode(*bf, z, 2);
    EXPECT(hb.scalar_type() == torch::kFloat32);
    EXPECT(hb.min().item<double>() >= 0 && hb.max().item<double>() <= 1);
    const double db = maxDiff(hb, diffusion::tinyDecode(*model, z, 2));
    EXPECT_MSG(db < 0.05, "bf16 vs fp32 half-size preview " << db);  // bf16 carries 8 bits: ~1e-2 over 10 layers
}

TEST_MAIN()
