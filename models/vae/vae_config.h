// AutoencoderKL configuration (vae/config.json) with diffusers' defaults; mirrors the
// constructor of diffusers' models/autoencoders/autoencoder_kl.py (0.25.1, plus the later
// use_quant_conv / use_post_quant_conv / mid_block_add_attention switches). Torch-free header.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace inpaint::models {

struct AutoencoderKLConfig {
    int64_t inChannels = 3;
    int64_t outChannels = 3;
    std::vector<std::string> downBlockTypes{"DownEncoderBlock2D"};
    std::vector<std::string> upBlockTypes{"UpDecoderBlock2D"};
    std::vector<int64_t> blockOutChannels{64};
    int64_t layersPerBlock = 1;
    std::string actFn = "silu";
    int64_t latentChannels = 4;
    int64_t normNumGroups = 32;
    int64_t sampleSize = 32;       // metadata
    double scalingFactor = 0.18215;
    bool forceUpcast = true;       // diffusers runs such a VAE in fp32 even in fp16 pipelines
    bool useQuantConv = true;
    bool usePostQuantConv = true;
    bool midBlockAddAttention = true;

    static AutoencoderKLConfig fromJson(const nlohmann::json& json, const std::string& what = "vae config");
    static AutoencoderKLConfig fromFile(const std::filesystem::path& configJson);

    // Pixels per latent along each axis: 2 ** (len(block_out_channels) - 1), as the pipelines compute it.
    int64_t vaeScaleFactor() const { return int64_t{1} << (blockOutChannels.size() - 1); }
    void validate(const std::string& what = "vae config") const;
};

}  // namespace inpaint::models
