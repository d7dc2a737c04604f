// Builds the full-size UNet and VAE modules (random init, no weights) from the configs of the real
// checkpoints in tests/data/reference/configs and checks their parameter counts, which equal
// diffusers' num_parameters() for those models. Allocates ~3.5 GB per UNet and takes minutes on
// two cores, hence the `slow` label.
//
// SD 1.5: 859,520,964. The inpainting variants add 5 input channels to conv_in (5 x 320 x 3 x 3 =
// 14,400 weights): SD inpainting 859,535,364, SD 2 inpainting 865,925,124. 865,910,724 is the
// 4-channel SD 2 UNet, checked by building the SD 2 inpainting config with in_channels = 4.
//
// SDXL (base 1.0 and its 1.0 inpainting, ~10 GB each in fp32): the UNet 2,567,463,684 and, with 5
// more conv_in channels, 2,567,478,084; the VAE is SD's (83,653,863). The text encoders, counted by
// hand from their configs: CLIP ViT-L 123,060,480 (token 49408x768 + positions 77x768 + 12 layers of
// 7,087,872 + final norm) and OpenCLIP bigG with projection 694,659,840 (49408x1280 + 77x1280 + 32
// layers of 19,677,440 + final norm + 1280x1280). On random weights their outputs have SDXL's
// shapes: hidden states [1, 77, 768] and [1, 77, 1280] (2048 concatenated), pooled [1, 1280].
#include "models/clip/clip_text_model.h"
#include "models/nn/cpu_allocator.h"
#include "models/nn/layers.h"
#include "tests/unet_vae/tiny_models.h"

#include <nlohmann/json.hpp>

#include <fstream>

using namespace inpaint;

namespace {

std::filesystem::path realConfig(const std::string& model, const std::string& component)
{
    return test::referenceDir() / "configs" / model / component / "config.json";
}

int64_t unetParams(const models::UNet2DConditionConfig& c)
{
    // As SdModel::load builds them: on huge pages (half the time here was page faults).
    models::nn::installHugePageCpuAllocator();
    const models::nn::HugePageScope hugePages;
    models::UNet2DConditionModel unet(c);
    return models::nn::parameterCount(*unet);
}

}  // namespace

TEST_CASE(unet_parameter_counts)
{
    struct Expect {
        const char* model;
        int64_t params;
    };
    for (const Expect e : {Expect{"stable-diffusion-v1-5", 859520964}, Expect{"stable-diffusion-inpainting", 859535364},
                           Expect{"stable-diffusion-2-inpainting", 865925124}}) {
        const int64_t n = unetParams(models::UNet2DConditionConfig::fromFile(realConfig(e.model, "unet")));
        std::printf("  %s unet: %lld parameters\n", e.model, static_cast<long long>(n));
        EXPECT_MSG(n == e.params, e.model << " unet has " << n);
    }
    auto sd2 = models::UNet2DConditionConfig::fromFile(realConfig("stable-diffusion-2-inpainting", "unet"));
    sd2.inChannels = 4;
    const int64_t n = unetParams(sd2);
    std::printf("  stable-diffusion-2 (4-channel) unet: %lld parameters\n", static_cast<long long>(n));
    EXPECT(n == 865910724);
}

TEST_CASE(vae_parameter_counts)
{
    for (const char* model : {"stable-diffusion-v1-5", "stable-diffusion-inpainting", "stable-diffusion-2-inpainting"}) {
        models::AutoencoderKL vae(models::AutoencoderKLConfig::fromFile(realConfig(model, "vae")));
        const int64_t n = models::nn::parameterCount(*vae);
        std::printf("  %s vae: %lld parameters\n", model, static_cast<long long>(n));
        EXPECT_MSG(n == 83653863, model << " vae has " << n);
        EXPECT(vae->vaeScaleFactor() == 8);
    }
}

TEST_CASE(sdxl_parameter_counts_and_shapes)
{
    for (const auto& [model, params] : {std::pair{"stable-diffusion-xl-base-1.0", int64_t{2567463684}},
                                        std::pair{"stable-diffusion-xl-1.0-inpainting-0.1", int64_t{2567478084}}}) {
        const auto cfg = models::UNet2DConditionConfig::fromFile(realConfig(model, "unet"));
        EXPECT(cfg.hasTextTimeEmbedding());
        const int64_t n = unetParams(cfg);
        std::printf("  %s unet: %lld parameters\n", model, static_cast<long long>(n));
        EXPECT_MSG(n == params, model << " unet has " << n);
    }
    models::AutoencoderKL vae(models::AutoencoderKLConfig::fromFile(realConfig("stable-diffusion-xl-base-1.0", "vae")));
    EXPECT_EQ(models::nn::parameterCount(*vae), int64_t{83653863});
    EXPECT_NEAR(vae->scalingFactor(), 0.13025, 1e-12);

    c10::InferenceMode guard;
    auto readJson = [](const std::filesystem::path& p) {
        std::ifstream in(p);
        return nlohmann::json::parse(in);
    };
    auto c1 = models::ClipTextConfig::fromJson(readJson(realConfig("stable-diffusion-xl-base-1.0", "text_encoder")));
    auto c2 = models::ClipTextConfig::fromJson(readJson(realConfig("stable-diffusion-xl-base-1.0", "text_encoder_2")));
    c2.withProjection = true;
    models::ClipTextModel te1(c1), te2(c2);
    EXPECT_EQ(models::nn::parameterCount(*te1), int64_t{123060480});
    EXPECT_EQ(models::nn::parameterCount(*te2), int64_t{694659840});
    auto ids = torch::full({1, 77}, 49407, torch::kLong);
    ids.index_put_({0, 0}, 49406);
    const auto h1 = te1->hiddenState(ids, 2), h2 = te2->hiddenState(ids, 2);
    EXPECT(h1.sizes() == torch::IntArrayRef({1, 77, 768}));
    EXPECT(h2.sizes() == torch::IntArrayRef({1, 77, 1280}));
    EXPECT(te2->forward(ids).textEmbeds.sizes() == torch::IntArrayRef({1, 1280}));
}

TEST_MAIN()
