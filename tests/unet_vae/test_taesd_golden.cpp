// AutoencoderTiny (TAESD) against golden/taesd.* (diffusers 0.25.1, INDEX-taesd.md), linked into
// test_vae_golden: the tiny model from models/tiny-taesd loads strictly; every encode case (latents
// and, for the image, every encoder layer's activation by running the stack) and every decode case
// (out, the postprocessed image and its uint8 form, batch 2) match; bad configs and folders are
// refused naming the problem.
//
// Tolerance: the reference is bit-identical run to run and differs by up to 8.3e-7 between thread
// counts; the same LibTorch convs run here, so 1e-5 absolute (+1e-5 relative) is generous and a
// wrong layer order or scaling (errors of 1e-1 and more) cannot pass.
#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/io/safetensors.h"
#include "models/vae/autoencoder_tiny.h"
#include "tests/common/numeric_check.h"
#include "tests/common/reference.h"

#include <torch/torch.h>

#include <tuple>
#include <vector>

using namespace inpaint::models;

namespace {

const auto kTaesd = inpaint::test::referenceDir() / "models" / "tiny-taesd";

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.sizes() != b.sizes()) return std::numeric_limits<double>::infinity();
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

}  // namespace

TEST_CASE(taesd_golden_encode_decode)
{
    c10::InferenceMode guard;
    auto model = AutoencoderTinyImpl::loadFolder(kTaesd, torch::kCPU, torch::kFloat32);
    EXPECT_EQ(model->config().scaleFactor(), int64_t{2});
    const auto g = inpaint::test::openGolden("taesd");
    const auto side = inpaint::test::loadGoldenJson("taesd");
    int cases = 0;
    double worst = 0;
    for (const auto& c : inpaint::test::goldenCases(side, "encode_", 3)) {
        const std::string n = c.at("name");
        const auto latents = model->encode(g->tensor(n + "/x"));
        const double d = maxDiff(latents, g->tensor(n + "/latents"));
        worst = std::max(worst, d);
        EXPECT_MSG(d < 1e-5, n << " latents max abs diff " << d);
        ++cases;
    }
    for (const auto& c : inpaint::test::goldenCases(side, "decode_", 4)) {
        const std::string n = c.at("name");
        const auto out = model->decode(g->tensor(n + "/z"));
        const double d = maxDiff(out, g->tensor(n + "/out"));
        worst = std::max(worst, d);
        EXPECT_MSG(d < 1e-5, n << " out max abs diff " << d);
        if (g->contains(n + "/image_u8")) {
            // VaeImageProcessor.postprocess: (x / 2 + 0.5).clamp(0, 1), HWC, * 255 rounded.
            const auto img = (out[0] / 2 + 0.5).clamp(0, 1).permute({1, 2, 0});
            const auto u8 = (img * 255).round().to(torch::kUInt8);
            const double du = maxDiff(u8, g->tensor(n + "/image_u8"));
            EXPECT_MSG(du <= 1, n << " image_u8 max difference " << du);
        }
        ++cases;
    }
    EXPECT_EQ(cases, 7);
    // Every layer's activation (encode_image: encoder.layers.i; decode_random: decoder.layers.i):
    // the stacks run in diffusers' order with diffusers' numbering.
    int acts = 0;
    for (const auto& [what, input, layers] :
         {std::tuple{std::string("encode_image/act/encoder.layers."), g->tensor("encode_image/x").add(1).div(2),
                     model->encoderLayers()},
          std::tuple{std::string("decode_random/act/decoder.layers."), torch::tanh(g->tensor("decode_random/z") / 3) * 3,
                     model->decoderLayers()}}) {
        std::vector<torch::Tensor> each;
        layers->forward(input, &each);
        for (size_t i = 0; i < each.size(); ++i) {
            const std::string key = what + std::to_string(i);
            // decoder.layers.1 is the ReLU, and diffusers 0.25.1's get_activation hands out one shared
            // nn.ReLU for every use, so the hook the golden was recorded with saw the last ReLU call
            // of the whole decoder there, not this layer's output.
            if (key == "decode_random/act/decoder.layers.1") continue;
            EXPECT_MSG(g->contains(key), key << " missing in the golden");
            if (!g->contains(key)) continue;
            const double d = maxDiff(each[i], g->tensor(key));
            EXPECT_MSG(d < 1e-5, key << " max abs diff " << d);
            ++acts;
        }
        EXPECT_MSG(!g->contains(what + std::to_string(each.size())), what << " golden has more layers than " << each.size());
    }
    EXPECT(acts >= 13);
    std::printf("TAESD: %d cases, max abs difference to diffusers %.3g\n", cases, worst);
}

TEST_CASE(taesd_bad_configs_and_folders)
{
    nlohmann::json cfg = inpaint::models::readConfigJson(kTaesd / "config.json");
    auto with = [&](const char* key, nlohmann::json v) {
        auto c = cfg;
        c[key] = std::move(v);
        return c;
    };
    EXPECT_THROWS(AutoencoderTinyConfig::fromJson(with("act_fn", "silu")), ConfigError, "act_fn");
    EXPECT_THROWS(AutoencoderTinyConfig::fromJson(with("encoder_block_out_channels", nlohmann::json::array({16, 32}))),
                  ConfigError, "encoder_block_out_channels");
    EXPECT_THROWS(AutoencoderTinyConfig::fromJson(with("num_decoder_blocks", nlohmann::json::array({2}))), ConfigError,
                  "num_decoder_blocks");
    EXPECT_THROWS(AutoencoderTinyConfig::fromJson(with("mystery_key", 1)), ConfigError, "mystery_key");
    // Weights of another shape: the strict loader names the key.
    AutoencoderTinyConfig wide = AutoencoderTinyConfig::fromJson(cfg);
    wide.decoderBlockOutChannels = {32, 32};
    AutoencoderTiny m(wide);
    EXPECT_THROWS(m->loadWeights(loadSafetensors(kTaesd / "diffusion_pytorch_model.safetensors"), "tiny-taesd"), ModelError,
                  "decoder.layers.0.weight");
    EXPECT_THROWS(AutoencoderTinyImpl::loadFolder(kTaesd / "missing", torch::kCPU, torch::kFloat32), ConfigError,
                  "not a folder");
}
