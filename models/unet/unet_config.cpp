// UNet2DConditionConfig::fromJson (see unet_config.h). Defaults from diffusers 0.25.1
// UNet2DConditionModel.__init__.
#include "models/unet/unet_config.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/nn/activation.h"
#include "models/nn/config_reader.h"

namespace inpaint::models {

namespace {

std::string stripResPrefix(const std::string& type)
{
    // diffusers' get_down_block / get_up_block drop a leading "UNetRes".
    return type.rfind("UNetRes", 0) == 0 ? type.substr(7) : type;
}

}  // namespace

UNet2DConditionConfig UNet2DConditionConfig::fromJson(const nlohmann::json& json, const std::string& what)
{
    nn::ConfigReader r(json, what);
    UNet2DConditionConfig c;

    r.acceptMetadata("sample_size");
    if (r.has("sample_size") && json.at("sample_size").is_number_integer())
        c.sampleSize = json.at("sample_size").get<int64_t>();
    // Inference-only: dropout never runs. addition_embed_type_num_heads only matters for the
    // "text" / "text_image" addition embeddings, which are refused below.
    r.acceptMetadata("dropout");
    r.acceptMetadata("addition_embed_type_num_heads");
    // EMAModel.save_pretrained leftovers (diffusers/stable-diffusion-xl-1.0-inpainting-0.1 ships
    // them in unet/config.json; from_config ignores them): no effect on inference.
    for (const char* k : {"decay", "inv_gamma", "min_decay", "optimization_step", "power", "update_after_step",
                          "use_ema_warmup"})
        r.acceptMetadata(k);

    c.inChannels = r.getInt("in_channels", c.inChannels);
    c.outChannels = r.getInt("out_channels", c.outChannels);
    c.centerInputSample = r.getBool("center_input_sample", c.centerInputSample);
    c.flipSinToCos = r.getBool("flip_sin_to_cos", c.flipSinToCos);
    c.freqShift = r.getDouble("freq_shift", c.freqShift);
    c.downBlockTypes = r.getStringList("down_block_types", c.downBlockTypes);
    c.upBlockTypes = r.getStringList("up_block_types", c.upBlockTypes);
    for (auto& t : c.downBlockTypes)
        t = stripResPrefix(t);
    for (auto& t : c.upBlockTypes)
        t = stripResPrefix(t);
    for (const auto& t : c.downBlockTypes) {
        if (t != "CrossAttnDownBlock2D" && t != "DownBlock2D")
            r.fail("down_block_types", "contains unsupported block type '" + t +
                                           "' (supported: CrossAttnDownBlock2D, DownBlock2D)");
    }
    for (const auto& t : c.upBlockTypes) {
        if (t != "CrossAttnUpBlock2D" && t != "UpBlock2D")
            r.fail("up_block_types",
                   "contains unsupported block type '" + t + "' (supported: CrossAttnUpBlock2D, UpBlock2D)");
    }
    const size_t n = c.downBlockTypes.size();
    r.requireOneOf("mid_block_type", {"UNetMidBlock2DCrossAttn"});

    c.blockOutChannels = r.getIntList("block_out_channels", c.blockOutChannels);
    if (c.upBlockTypes.size() != n)
        r.fail("up_block_types", "must have as many entries as down_block_types");
    if (c.blockOutChannels.size() != n)
        r.fail("block_out_channels", "must have as many entries as down_block_types");

    // only_cross_attention: false, or a list of false.
    if (r.has("only_cross_attention")) {
        const auto& v = json.at("only_cross_attention");
        bool ok = v.is_boolean() && !v.get<bool>();
        if (v.is_array() && v.size() == n) {
            ok = true;
            for (const auto& e : v)
                ok = ok && e.is_boolean() && !e.get<bool>();
        }
        if (!ok)
            r.fail("only_cross_attention", "= " + v.dump() + " is not supported (supported: false)");
    }
    r.acceptMetadata("only_cross_attention");

    c.layersPerBlock = r.getIntOrList("layers_per_block", 2, n);
    c.downsamplePadding = r.getInt("downsample_padding", c.downsamplePadding);
    c.midBlockScaleFactor = r.getDouble("mid_block_scale_factor", c.midBlockScaleFactor);
    c.actFn = r.getString("act_fn", c.actFn);
    nn::parseActivation(c.actFn, r.what() + " act_fn");
    c.normNumGroups = r.getInt("norm_num_groups", c.normNumGroups);
    c.normEps = r.getDouble("norm_eps", c.normEps);
    c.crossAttentionDim = r.getIntOrList("cross_attention_dim", 1280, n);
    // An int or one int per down block. diffusers also allows per-layer lists (an "asymmetrical"
    // UNet, which then needs reverse_transformer_layers_per_block); not supported here.
    c.transformerLayersPerBlock = r.getIntOrList("transformer_layers_per_block", 1, n);
    if (r.has("reverse_transformer_layers_per_block")) {
        const auto& v = json.at("reverse_transformer_layers_per_block");
        if (!v.is_array() || v.size() != n)
            r.fail("reverse_transformer_layers_per_block",
                   "must be null or a list of " + std::to_string(n) + " integers (one per up block), got " + v.dump());
        c.reverseTransformerLayersPerBlock = r.getIntList("reverse_transformer_layers_per_block", {});
    } else {
        r.requireOneOf("reverse_transformer_layers_per_block", {nullptr});
    }
    r.requireOneOf("num_attention_heads", {nullptr});
    c.numAttentionHeads = r.getIntOrList("attention_head_dim", 8, n);
    c.useLinearProjection = r.getBool("use_linear_projection", c.useLinearProjection);
    // SDXL's config stores upcast_attention: null, which diffusers treats as false.
    if (r.has("upcast_attention") || !json.contains("upcast_attention"))
        c.upcastAttention = r.getBool("upcast_attention", c.upcastAttention);
    else
        r.acceptMetadata("upcast_attention");
    if (auto d = r.getOptionalInt("time_embedding_dim"))
        c.timeEmbeddingDim = *d;

    // Features of other UNet families: accepted only at the value that switches them off.
    r.requireOneOf("encoder_hid_dim", {nullptr});
    r.requireOneOf("encoder_hid_dim_type", {nullptr});
    r.requireOneOf("dual_cross_attention", {false});
    r.requireOneOf("class_embed_type", {nullptr});
    if (r.has("addition_embed_type")) {
        const auto& v = json.at("addition_embed_type");
        if (!v.is_string() || v.get<std::string>() != "text_time")
            r.fail("addition_embed_type", "= " + v.dump() +
                                              " is not supported (supported: null, \"text_time\" as in SDXL)");
        c.additionEmbedType = r.getString("addition_embed_type", "");
    } else {
        r.requireOneOf("addition_embed_type", {nullptr});
    }
    if (c.hasTextTimeEmbedding()) {
        if (!r.has("addition_time_embed_dim"))
            r.fail("addition_time_embed_dim", "is required with addition_embed_type \"text_time\"");
        if (!r.has("projection_class_embeddings_input_dim"))
            r.fail("projection_class_embeddings_input_dim", "is required with addition_embed_type \"text_time\"");
        c.additionTimeEmbedDim = r.getInt("addition_time_embed_dim", 0);
        c.projectionClassEmbeddingsInputDim = r.getInt("projection_class_embeddings_input_dim", 0);
    } else {
        r.requireOneOf("addition_time_embed_dim", {nullptr});
        r.requireOneOf("projection_class_embeddings_input_dim", {nullptr});
    }
    r.requireOneOf("num_class_embeds", {nullptr});
    r.requireOneOf("resnet_time_scale_shift", {"default"});
    r.requireOneOf("resnet_skip_time_act", {false});
    r.requireOneOf("resnet_out_scale_factor", {1.0});
    r.requireOneOf("time_embedding_type", {"positional"});
    r.requireOneOf("time_embedding_act_fn", {nullptr});
    r.requireOneOf("timestep_post_act", {nullptr});
    r.requireOneOf("time_cond_proj_dim", {nullptr});
    r.requireOneOf("conv_in_kernel", {3});
    r.requireOneOf("conv_out_kernel", {3});
    r.requireOneOf("attention_type", {"default"});
    r.requireOneOf("class_embeddings_concat", {false});
    r.requireOneOf("mid_block_only_cross_attention", {nullptr, false});
    r.requireOneOf("cross_attention_norm", {nullptr});
    r.finish();

    c.validate(what);
    return c;
}

UNet2DConditionConfig UNet2DConditionConfig::fromFile(const std::filesystem::path& configJson)
{
    return fromJson(readConfigJson(configJson), "unet config (" + configJson.string() + ")");
}

void UNet2DConditionConfig::validate(const std::string& what) const
{
    auto bad = [&](const std::string& msg) { throw ConfigError(what + ": " + msg); };
    const size_t n = downBlockTypes.size();
    if (n == 0 || upBlockTypes.size() != n || blockOutChannels.size() != n || layersPerBlock.size() != n ||
        crossAttentionDim.size() != n || transformerLayersPerBlock.size() != n || numAttentionHeads.size() != n)
        bad("per-block lists must all have one entry per down block");
    if (n > 8)
        bad("more than 8 blocks is not supported");
    if (inChannels < 1 || outChannels < 1)
        bad("in_channels and out_channels must be positive");
    if (normNumGroups < 1)
        bad("norm_num_groups must be positive");
    if (!(normEps > 0))
        bad("norm_eps must be positive");
    if (downsamplePadding < 0 || downsamplePadding > 1)
        bad("downsample_padding must be 0 or 1");
    if (midBlockScaleFactor == 0)
        bad("mid_block_scale_factor must not be 0");
    if (timeEmbeddingDim < 0)
        bad("time_embedding_dim must be positive");
    // Far above any SD model (1280 channels, 10 layers), and small enough that no size the model
    // derives from them (4 x block_out_channels[0] for the time embedding, weight shapes) overflows.
    constexpr int64_t kMaxSize = 65536, kMaxLayers = 64;
    if (inChannels > kMaxSize || outChannels > kMaxSize || normNumGroups > kMaxSize || timeEmbeddingDim > kMaxSize)
        bad("in_channels, out_channels, norm_num_groups and time_embedding_dim must be at most 65536");
    if (!additionEmbedType.empty() && additionEmbedType != "text_time")
        bad("addition_embed_type '" + additionEmbedType + "' is not supported (supported: text_time)");
    if (hasTextTimeEmbedding()) {
        if (additionTimeEmbedDim < 1 || additionTimeEmbedDim > kMaxSize)
            bad("addition_time_embed_dim must be 1 to 65536");
        if (projectionClassEmbeddingsInputDim <= 6 * additionTimeEmbedDim ||
            projectionClassEmbeddingsInputDim > kMaxSize)
            bad("projection_class_embeddings_input_dim = " + std::to_string(projectionClassEmbeddingsInputDim) +
                " must exceed 6 x addition_time_embed_dim = " + std::to_string(6 * additionTimeEmbedDim) +
                " (text_embeds width + 6 time ids) and be at most 65536");
    }
    if (!reverseTransformerLayersPerBlock.empty() && reverseTransformerLayersPerBlock.size() != n)
        bad("reverse_transformer_layers_per_block must have one entry per up block");
    for (const int64_t l : reverseTransformerLayersPerBlock)
        if (l < 1 || l > kMaxLayers)
            bad("reverse_transformer_layers_per_block must be 1 to 64");
    for (size_t i = 0; i < n; ++i) {
        const int64_t ch = blockOutChannels[i];
        if (ch < 1 || ch % normNumGroups != 0)
            bad("block_out_channels[" + std::to_string(i) + "] = " + std::to_string(ch) +
                " must be a positive multiple of norm_num_groups " + std::to_string(normNumGroups));
        if (ch > kMaxSize)
            bad("block_out_channels[" + std::to_string(i) + "] = " + std::to_string(ch) + " is above 65536");
        if (layersPerBlock[i] < 1 || layersPerBlock[i] > kMaxLayers)
            bad("layers_per_block must be 1 to 64");
        if (transformerLayersPerBlock[i] < 1 || transformerLayersPerBlock[i] > kMaxLayers)
            bad("transformer_layers_per_block must be 1 to 64");
        if (crossAttentionDim[i] < 1 || crossAttentionDim[i] > kMaxSize)
            bad("cross_attention_dim must be 1 to 65536");
        if (numAttentionHeads[i] < 1 || ch % numAttentionHeads[i] != 0)
            bad("attention_head_dim[" + std::to_string(i) + "] = " + std::to_string(numAttentionHeads[i]) +
                " (used as the number of heads) must divide block_out_channels[" + std::to_string(i) + "] = " +
                std::to_string(ch));
    }
}

}  // namespace inpaint::models
