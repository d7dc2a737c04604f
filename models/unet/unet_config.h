// UNet2DConditionModel configuration as diffusers stores it in unet/config.json, restricted to
// what SD 1.x / 2.x / SDXL (and their inpainting variants) use. Mirrors the constructor arguments and
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
    std::vector<int64_t> transformerLayersPerBlock{1, 1, 1, 1};     // per down block; mid uses the last
    // Per up block (diffusers' reverse_transformer_layers_per_block); empty = the reversed
    // transformerLayersPerBlock, as diffusers does when the key is null.
    std::vector<int64_t> reverseTransformerLayersPerBlock;
    // Number of attention heads per block. diffusers names this `attention_head_dim` in the
    // config (a historical misnomer it keeps for compatibility) when num_attention_heads is null.
    std::vector<int64_t> numAttentionHeads{8, 8, 8, 8};
    bool useLinearProjection = false;
    bool upcastAttention = false;
    int64_t timeEmbeddingDim = 0;  // 0: 4 * blockOutChannels[0]
    int64_t sampleSize = 0;        // metadata only (0 when absent)
    // Added conditioning (SDXL): "" (null) or "text_time". With "text_time" the UNet has
    // add_time_proj (sinusoidal, additionTimeEmbedDim per time id) and add_embedding
    // (TimestepEmbedding projectionClassEmbeddingsInputDim -> time embed dim) and its forward needs
    // text_embeds and time_ids.
    std::string additionEmbedType;
    int64_t additionTimeEmbedDim = 0;
    int64_t projectionClassEmbeddingsInputDim = 0;

    // Reads a parsed config.json; absent keys take diffusers' defaults. Throws ConfigError naming
    // the key for unknown keys, values we do not implement, wrong types and inconsistent sizes.
    static UNet2DConditionConfig fromJson(const nlohmann::json& json, const std::string& what = "unet config");
    static UNet2DConditionConfig fromFile(const std::filesystem::path& configJson);

    int64_t timeEmbedDim() const { return timeEmbeddingDim > 0 ? timeEmbeddingDim : 4 * blockOutChannels.at(0); }
    // Total spatial stride of the down path: latent sizes should be multiples of it.
    bool hasTextTimeEmbedding() const { return additionEmbedType == "text_time"; }
    // Transformer layers of up block i (counted from the bottom, as up_blocks.i).
    int64_t upTransformerLayers(size_t i) const
    {
        return reverseTransformerLayersPerBlock.empty()
                   ? transformerLayersPerBlock.at(transformerLayersPerBlock.size() - 1 - i)
                   : reverseTransformerLayersPerBlock.at(i);
    }
    int64_t downsampleFactor() const { return int64_t{1} << (blockOutChannels.size() - 1); }
    void validate(const std::string& what = "unet config") const;
};

}  // namespace inpaint::models
