// Builds the full-size UNet and VAE modules (random init, no weights) from the configs of the real
// checkpoints in tests/data/reference/configs and checks their parameter counts, which equal
// diffusers' num_parameters() for those models. Allocates ~3.5 GB per UNet and takes minutes on
// two cores, hence the `slow` label.
//
// SD 1.5: 859,520,964. The inpainting variants add 5 input channels to conv_in (5 x 320 x 3 x 3 =
// 14,400 weights): SD inpainting 859,535,364, SD 2 inpainting 865,925,124. 865,910,724 is the
// 4-channel SD 2 UNet, checked by building the SD 2 inpainting config with in_channels = 4.
#include "models/nn/cpu_allocator.h"
#include "models/nn/layers.h"
#include "tests/unet_vae/tiny_models.h"

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

TEST_MAIN()
