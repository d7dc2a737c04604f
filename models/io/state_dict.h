// Strict state-dict loading: module parameter/buffer names must equal the checkpoint keys.
#pragma once

#include <torch/nn/module.h>

#include <map>
#include <string>

namespace inpaint::models {

// Copies every tensor of `weights` into the parameter/buffer of `module` with the same name,
// converting dtype to the module's. Throws WeightsError listing (up to a handful of) missing,
// unexpected and mis-shaped keys, prefixed with `what` (e.g. "unet (path/to/file)").
void loadStateDictStrict(torch::nn::Module& module, const std::map<std::string, torch::Tensor>& weights,
                         const std::string& what);

}  // namespace inpaint::models
