// inpaint-bench --job MODEL: whole inpaint jobs at 512x512 through the real pipeline
// (diffusion::runPipeline: text encoding, VAE encode, the steps with their blend or 9-channel
// input, the decode), a 20-step CFG job (guidance 7.5, the model's scheduler) and a 4-step LCM job
// (guidance 1, no CFG). Reports each job's seconds, its parts (the time to the first step, the
// mean step, the decode), the weights' size and the peak resident memory.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace inpaint::bench {

nlohmann::json runJobBench(const std::filesystem::path& model, torch::Device device, torch::ScalarType dtype,
                           const std::function<void(const std::string&)>& log);

}  // namespace inpaint::bench
