// UNet2DConditionModel configuration as diffusers stores it in unet/config.json, restricted to
// what SD 1.x / 2.x (and their inpainting variants) use. Mirrors the constructor arguments and
// defaults of diffusers 0.25.1 models/unet_2d_condition.py. Torch-free header.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace inpaint::models {

struct UNet2DConditionConfig {
    int64_t inChannels = 4;
    int64_t outChannels = 4;
    bool centerInputSample = false;
    bool flipSinToCos = true;
    double freqShift = 0.0;
    // Block types with diffusers' "UNetRes" prefix already stripped.
    std::vector<std::string> downBlockTypes{"CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"};
    std::vector<std::string> upBlockTypes{"UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"};
    std::vector<int64_t> blockOutChannels{320, 640, 1280, 1280};
    std::vector<int64_t> layersPerBlock{2, 2, 2, 2};             // per down block
    int64_t downsamplePadding = 1;
    double midBlockScaleFactor = 1.0;
    std::string actFn = "silu";
    int64_t normNumGroups = 32;
    double normEps = 1e-5;
    std::vector<int64_t> crossAttentionDim{1280, 1280, 1280, 1280};  // per block
    std::vector<int64_t> transformerLayersPerBlock{1, 1, 1, 1};     // per block
    // Number of attention heads per block. diffusers names this `attention_head_dim` in the
    // config (a historical misnomer it keeps for compatibility) when num_attention_heads is null.
    std::vector<int64_t> numAttentionHeads{8, 8, 8, 8};
    bool useLinearProjection = false;
    bool upcastAttention = false;
    int64_t timeEmbeddingDim = 0;  // 0: 4 * blockOutChannels[0]
    int64_t sampleSize = 0;        // metadata only (0 when absent)

    // Reads a parsed config.json; absent keys take diffusers' defaults. Throws ConfigError naming
    // the key for unknown keys, values we do not implement, wrong types and inconsistent sizes.
    static UNet2DConditionConfig fromJson(const nlohmann::json& json, const std::string& what = "unet config");
    static UNet2DConditionConfig fromFile(const std::filesystem::path& configJson);

    int64_t timeEmbedDim() const { return timeEmbeddingDim > 0 ? timeEmbeddingDim : 4 * blockOutChannels.at(0); }
    // Total spatial stride of the down path: latent sizes should be multiples of it.
    int64_t downsampleFactor() const { return int64_t{1} << (blockOutChannels.size() - 1); }
    void validate(const std::string& what = "unet config") const;
};

}  // namespace inpaint::models
