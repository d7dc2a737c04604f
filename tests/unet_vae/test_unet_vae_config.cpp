// Configs of the UNet and VAE: diffusers' defaults, strict rejection of unsupported keys and
// values (ConfigError naming the key), weights that disagree with the config (WeightsError naming
// the tensor), and the module structure built from the real SD 1.5 / SD inpainting / SD 2
// inpainting configs (parameter counts equal diffusers' num_parameters()).
#include "models/errors.h"
#include "models/nn/layers.h"
#include "tests/unet_vae/tiny_models.h"

using namespace inpaint;
using models::AutoencoderKLConfig;
using models::ConfigError;
using models::UNet2DConditionConfig;
using models::WeightsError;

namespace {

nlohmann::json tinyUnetJson()
{
    return models::readConfigJson(test::modelDir("tiny-sd") / "unet" / "config.json");
}

nlohmann::json tinyVaeJson()
{
    return models::readConfigJson(test::modelDir("tiny-sd") / "vae" / "config.json");
}

std::filesystem::path realConfig(const std::string& model, const std::string& component)
{
    return test::referenceDir() / "configs" / model / component / "config.json";
}

}  // namespace

TEST_CASE(unet_defaults_match_diffusers)
{
    auto c = UNet2DConditionConfig::fromJson(nlohmann::json::object());
    EXPECT(c.inChannels == 4 && c.outChannels == 4);
    EXPECT((c.blockOutChannels == std::vector<int64_t>{320, 640, 1280, 1280}));
    EXPECT((c.layersPerBlock == std::vector<int64_t>{2, 2, 2, 2}));
    EXPECT((c.crossAttentionDim == std::vector<int64_t>{1280, 1280, 1280, 1280}));
    EXPECT((c.numAttentionHeads == std::vector<int64_t>{8, 8, 8, 8}));
    EXPECT(c.downBlockTypes.front() == "CrossAttnDownBlock2D" && c.downBlockTypes.back() == "DownBlock2D");
    EXPECT(c.upBlockTypes.front() == "UpBlock2D" && c.upBlockTypes.back() == "CrossAttnUpBlock2D");
    EXPECT(c.flipSinToCos && c.freqShift == 0 && c.downsamplePadding == 1);
    EXPECT(c.normNumGroups == 32 && c.normEps == 1e-5 && c.actFn == "silu");
    EXPECT(!c.useLinearProjection && !c.upcastAttention && !c.centerInputSample);
    EXPECT(c.timeEmbedDim() == 1280);
}

TEST_CASE(unet_real_configs_parse)
{
    auto sd15 = UNet2DConditionConfig::fromFile(realConfig("stable-diffusion-v1-5", "unet"));
    EXPECT(sd15.inChannels == 4 && sd15.crossAttentionDim[0] == 768 && !sd15.useLinearProjection);
    EXPECT((sd15.numAttentionHeads == std::vector<int64_t>{8, 8, 8, 8}));
    auto inpaint = UNet2DConditionConfig::fromFile(realConfig("stable-diffusion-inpainting", "unet"));
    EXPECT(inpaint.inChannels == 9);
    auto sd2 = UNet2DConditionConfig::fromFile(realConfig("stable-diffusion-2-inpainting", "unet"));
    EXPECT(sd2.inChannels == 9 && sd2.crossAttentionDim[3] == 1024 && sd2.useLinearProjection);
    // attention_head_dim [5, 10, 20, 20] is the NUMBER of heads (diffusers quirk): 64 channels each.
    EXPECT((sd2.numAttentionHeads == std::vector<int64_t>{5, 10, 20, 20}));
}

TEST_CASE(unet_unknown_key_is_config_error)
{
    auto j = tinyUnetJson();
    j["frobnicate"] = 3;
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "'frobnicate'");
    // Metadata keys are fine.
    auto m = tinyUnetJson();
    m["_name_or_path"] = "x";
    m["sample_size"] = 96;
    EXPECT(UNet2DConditionConfig::fromJson(m).sampleSize == 96);
}

TEST_CASE(unet_unsupported_values_are_config_errors)
{
    const std::vector<std::pair<std::string, nlohmann::json>> bad = {
        {"class_embed_type", "timestep"},
        {"addition_embed_type", "image"},  // text_time (SDXL) is supported: tests/unet_vae/test_sdxl_golden.cpp
        {"addition_embed_type", "text_image"},
        {"addition_time_embed_dim", 256},  // only with addition_embed_type text_time
        {"projection_class_embeddings_input_dim", 2816},
        {"time_cond_proj_dim", 256},
        {"attention_type", "gated"},
        {"resnet_time_scale_shift", "scale_shift"},
        {"conv_in_kernel", 7},
        {"conv_out_kernel", 1},
        {"dual_cross_attention", true},
        {"mid_block_type", "UNetMidBlock2DSimpleCrossAttn"},
        {"mid_block_type", nullptr},
        {"num_attention_heads", 8},
        {"only_cross_attention", true},
        {"time_embedding_type", "fourier"},
        {"encoder_hid_dim", 768},
        {"num_class_embeds", 10},
        {"norm_num_groups", nullptr},
        {"act_fn", "tanh"},
        {"down_block_types", {"SimpleCrossAttnDownBlock2D", "CrossAttnDownBlock2D"}},
        {"up_block_types", {"CrossAttnUpBlock2D", "AttnUpBlock2D"}},
        {"attention_head_dim", {8, 8, 8}},
        {"attention_head_dim", 7},   // 32 channels are not divisible into 7 heads
        {"layers_per_block", "two"},
        {"transformer_layers_per_block", {{1, 2}, {1, 2}}},
    };
    for (const auto& [key, value] : bad) {
        auto j = tinyUnetJson();
        j[key] = value;
        EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, key);
    }
}

TEST_CASE(unet_lists_per_block)
{
    auto j = tinyUnetJson();
    j["attention_head_dim"] = {4, 8};
    j["cross_attention_dim"] = {16, 16};
    j["layers_per_block"] = {1, 2};
    j["down_block_types"] = {"UNetResDownBlock2D", "CrossAttnDownBlock2D"};  // diffusers strips "UNetRes"
    auto c = UNet2DConditionConfig::fromJson(j);
    EXPECT((c.numAttentionHeads == std::vector<int64_t>{4, 8}));
    EXPECT((c.layersPerBlock == std::vector<int64_t>{1, 2}));
    EXPECT(c.downBlockTypes[0] == "DownBlock2D");
    models::UNet2DConditionModel unet(c);
    auto params = unet->named_parameters();
    EXPECT(params.contains("down_blocks.1.resnets.1.conv2.weight"));
    EXPECT(params.contains("up_blocks.0.resnets.2.conv1.weight"));  // reversed layers_per_block + 1
    EXPECT(!params.contains("up_blocks.1.resnets.2.conv1.weight"));
}

// Regression (tests/fuzz, corpus unet_config/regress_huge_channels): block_out_channels of 2^62
// passed validation and timeEmbedDim() computed 4 x 2^62 (signed overflow, UBSan). Sizes are now
// bounded far above any SD model.
TEST_CASE(unet_sizes_are_bounded)
{
    auto j = tinyUnetJson();
    j["block_out_channels"] = {int64_t{1} << 62, int64_t{1} << 62};
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "above 65536");
    j = tinyUnetJson();
    j["cross_attention_dim"] = int64_t{1} << 40;
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "cross_attention_dim");
    j = tinyUnetJson();
    j["layers_per_block"] = 65;
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "layers_per_block");
    j = tinyUnetJson();
    j["block_out_channels"] = {65536, 65536};
    j["norm_num_groups"] = 32;
    const auto c = UNet2DConditionConfig::fromJson(j);  // at the limit: accepted
    EXPECT_EQ(c.timeEmbedDim(), int64_t{4} * 65536);
}

TEST_CASE(vae_config_strict)
{
    auto c = AutoencoderKLConfig::fromJson(nlohmann::json::object());
    EXPECT((c.blockOutChannels == std::vector<int64_t>{64}) && c.latentChannels == 4 && c.scalingFactor == 0.18215);
    const std::vector<std::pair<std::string, nlohmann::json>> bad = {
        {"shift_factor", 0.1159},
        {"latents_mean", {0.1, 0.2, 0.3, 0.4}},
        {"down_block_types", {"DownEncoderBlock2D", "AttnDownEncoderBlock2D"}},
        {"unknown_vae_option", true},
        {"layers_per_block", nullptr},
        {"act_fn", "swiglu"},
    };
    for (const auto& [key, value] : bad) {
        auto j = tinyVaeJson();
        j[key] = value;
        EXPECT_THROWS(AutoencoderKLConfig::fromJson(j), ConfigError, key);
    }
    auto j = tinyVaeJson();
    j["use_quant_conv"] = false;
    j["mid_block_add_attention"] = false;
    models::AutoencoderKL vae(AutoencoderKLConfig::fromJson(j));
    auto params = vae->named_parameters();
    EXPECT(!params.contains("quant_conv.weight") && params.contains("post_quant_conv.weight"));
    EXPECT(!params.contains("encoder.mid_block.attentions.0.to_q.weight"));
}

TEST_CASE(unet_config_disagreeing_with_weights_is_weights_error)
{
    // cross_attention_dim 16 -> 24: the cross-attention key/value projections no longer fit.
    auto j = tinyUnetJson();
    j["cross_attention_dim"] = 24;
    models::UNet2DConditionModel unet(UNet2DConditionConfig::fromJson(j));
    const auto weights = models::loadSafetensors(test::modelDir("tiny-sd") / "unet" / "diffusion_pytorch_model.safetensors");
    EXPECT_THROWS(unet->loadWeights(weights, "tiny-sd unet"), WeightsError,
                      "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight");
    // The 4-channel weights into a 9-channel (inpainting) UNet.
    auto k = tinyUnetJson();
    k["in_channels"] = 9;
    models::UNet2DConditionModel unet9(UNet2DConditionConfig::fromJson(k));
    EXPECT_THROWS(unet9->loadWeights(weights, "tiny-sd unet"), WeightsError, "conv_in.weight");
    // use_linear_projection flips proj_in/proj_out from 1x1 conv [C, C, 1, 1] to Linear [C, C].
    auto l = tinyUnetJson();
    l["use_linear_projection"] = true;
    models::UNet2DConditionModel unetLin(UNet2DConditionConfig::fromJson(l));
    EXPECT_THROWS(unetLin->loadWeights(weights, "tiny-sd unet"), WeightsError, "proj_in.weight");
}

TEST_CASE(vae_config_disagreeing_with_weights_is_weights_error)
{
    auto j = tinyVaeJson();
    j["latent_channels"] = 8;
    models::AutoencoderKL vae(AutoencoderKLConfig::fromJson(j));
    const auto weights = models::loadSafetensors(test::modelDir("tiny-sd") / "vae" / "diffusion_pytorch_model.safetensors");
    EXPECT_THROWS(vae->loadWeights(weights, "tiny-sd vae"), WeightsError, "quant_conv.weight");
    auto k = tinyVaeJson();
    k["layers_per_block"] = 2;
    models::AutoencoderKL deeper(AutoencoderKLConfig::fromJson(k));
    EXPECT_THROWS(deeper->loadWeights(weights, "tiny-sd vae"), WeightsError, "decoder.up_blocks.0.resnets.2");
}

TEST_CASE(names_equal_checkpoint_keys)
{
    // Every checkpoint key is a parameter and vice versa (the strict loader relies on it).
    for (const std::string model : {"tiny-sd", "tiny-sd-inpaint"}) {
        auto unet = test::loadTinyUnet(model);
        const auto w = models::loadSafetensors(test::modelDir(model) / "unet" / "diffusion_pytorch_model.safetensors");
        EXPECT(unet->named_parameters().size() == w.size());
        auto vae = test::loadTinyVae(model);
        const auto v = models::loadSafetensors(test::modelDir(model) / "vae" / "diffusion_pytorch_model.safetensors");
        EXPECT(vae->named_parameters().size() == v.size());
    }
}

TEST_CASE(f16_and_bf16_weights_load)
{
    // Half-precision checkpoints (the .fp16 variants) load into an fp32 module by conversion.
    const auto dir = test::modelDir("tiny-sd") / "unet";
    auto weights = models::loadSafetensors(dir / "diffusion_pytorch_model.safetensors");
    std::map<std::string, torch::Tensor> half, bf;
    for (const auto& [k, v] : weights) {
        half[k] = v.to(torch::kHalf);
        bf[k] = v.to(torch::kBFloat16);
    }
    auto cfg = UNet2DConditionConfig::fromFile(dir / "config.json");
    models::UNet2DConditionModel a(cfg), b(cfg);
    a->loadWeights(half, "f16 unet");
    b->loadWeights(bf, "bf16 unet");
    EXPECT(models::nn::moduleDtype(*a) == torch::kFloat);
    const auto key = "down_blocks.1.attentions.0.proj_in.weight";
    EXPECT(torch::equal(a->named_parameters()[key], half.at(key).to(torch::kFloat)));
    EXPECT(torch::equal(b->named_parameters()[key], bf.at(key).to(torch::kFloat)));
    EXPECT(a->named_parameters()["conv_in.weight"].is_contiguous(at::MemoryFormat::ChannelsLast));
}

TEST_MAIN()
