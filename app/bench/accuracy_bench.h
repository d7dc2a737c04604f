// inpaint-bench --accuracy: bf16 against fp32 on the real-shaped SD 1.5 UNet and VAE (random
// weights with PyTorch's default initialisation, seeded), several inputs: relative L2 of the
// UNet's noise prediction and of the decoded image, and the part of it the weights' bf16 rounding
// alone causes. The tiny-model version of the same measurement is test_bf16_accuracy.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace inpaint::bench {

nlohmann::json runAccuracyBench(const std::filesystem::path& configs, const std::function<void(const std::string&)>& log);

}  // namespace inpaint::bench
