// AutoencoderKLConfig::fromJson (see vae_config.h).
#include "models/vae/vae_config.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/nn/activation.h"
#include "models/nn/config_reader.h"

namespace inpaint::models {

AutoencoderKLConfig AutoencoderKLConfig::fromJson(const nlohmann::json& json, const std::string& what)
{
    nn::ConfigReader r(json, what);
    AutoencoderKLConfig c;
    c.inChannels = r.getInt("in_channels", c.inChannels);
    c.outChannels = r.getInt("out_channels", c.outChannels);
    c.downBlockTypes = r.getStringList("down_block_types", c.downBlockTypes);
    c.upBlockTypes = r.getStringList("up_block_types", c.upBlockTypes);
    for (const auto& t : c.downBlockTypes) {
        if (t != "DownEncoderBlock2D")
            r.fail("down_block_types", "contains unsupported block type '" + t + "' (supported: DownEncoderBlock2D)");
    }
    for (const auto& t : c.upBlockTypes) {
        if (t != "UpDecoderBlock2D")
            r.fail("up_block_types", "contains unsupported block type '" + t + "' (supported: UpDecoderBlock2D)");
    }
    c.blockOutChannels = r.getIntList("block_out_channels", c.blockOutChannels);
    if (c.downBlockTypes.size() != c.blockOutChannels.size())
        r.fail("down_block_types", "must have one entry per block_out_channels entry");
    if (c.upBlockTypes.size() != c.blockOutChannels.size())
        r.fail("up_block_types", "must have one entry per block_out_channels entry");
    c.layersPerBlock = r.getInt("layers_per_block", c.layersPerBlock);
    c.actFn = r.getString("act_fn", c.actFn);
    nn::parseActivation(c.actFn, r.what() + " act_fn");
    c.latentChannels = r.getInt("latent_channels", c.latentChannels);
    c.normNumGroups = r.getInt("norm_num_groups", c.normNumGroups);
    c.sampleSize = r.has("sample_size") && json.at("sample_size").is_number_integer()
                       ? json.at("sample_size").get<int64_t>()
                       : c.sampleSize;
    r.acceptMetadata("sample_size");
    c.scalingFactor = r.getDouble("scaling_factor", c.scalingFactor);
    c.forceUpcast = r.getBool("force_upcast", c.forceUpcast);
    c.useQuantConv = r.getBool("use_quant_conv", c.useQuantConv);
    c.usePostQuantConv = r.getBool("use_post_quant_conv", c.usePostQuantConv);
    c.midBlockAddAttention = r.getBool("mid_block_add_attention", c.midBlockAddAttention);
    // SD3 / SDXL-era latent normalisation: not part of the SD 1.x / 2.x families.
    r.requireOneOf("shift_factor", {nullptr});
    r.requireOneOf("latents_mean", {nullptr});
    r.requireOneOf("latents_std", {nullptr});
    r.finish();
    c.validate(what);
    return c;
}

AutoencoderKLConfig AutoencoderKLConfig::fromFile(const std::filesystem::path& configJson)
{
    return fromJson(readConfigJson(configJson), "vae config (" + configJson.string() + ")");
}

void AutoencoderKLConfig::validate(const std::string& what) const
{
    auto bad = [&](const std::string& msg) { throw ConfigError(what + ": " + msg); };
    if (blockOutChannels.empty() || blockOutChannels.size() > 8)
        bad("block_out_channels must have 1 to 8 entries");
    if (inChannels < 1 || outChannels < 1 || latentChannels < 1 || layersPerBlock < 1 || normNumGroups < 1)
        bad("channel counts, layers_per_block and norm_num_groups must be positive");
    for (int64_t ch : blockOutChannels) {
        if (ch < 1 || ch % normNumGroups != 0)
            bad("block_out_channels entry " + std::to_string(ch) + " must be a positive multiple of norm_num_groups " +
                std::to_string(normNumGroups));
    }
    if (!(scalingFactor > 0))
        bad("scaling_factor must be positive");
}

}  // namespace inpaint::models
