// inpaint-bench --load MODEL: how long loading a model takes and how much memory it holds — a
// diffusers folder or a single-file checkpoint, into the modules at the bench's device and dtype.
// Reports each load's seconds, the process's resident memory after it (anonymous: the modules'
// weights; file-backed: pages of the mapped weight files) and the peak (VmHWM).
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <string>

namespace inpaint::bench {

nlohmann::json runLoadBench(const std::filesystem::path& model, torch::Device device, torch::ScalarType dtype, int runs,
                            const std::function<void(const std::string&)>& log);

}  // namespace inpaint::bench
