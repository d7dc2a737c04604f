// inpaint-bench --model-family sdxl: the SDXL UNet (random weights, the real
// stable-diffusion-xl-base-1.0 config) at 128x128 latents (1024x1024 px) and batch 2 (CFG), as
// one step of a 1024² job costs; with the resident memory after building it and the peak during
// the steps. Optionally the VAE decode of one 128x128 latent to 1024² px.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace inpaint::bench {

nlohmann::json runSdxlBench(const std::filesystem::path& configs, torch::Device device, torch::ScalarType dtype, int runs,
                            bool withVae, const std::function<void(const std::string&)>& log);

}  // namespace inpaint::bench
