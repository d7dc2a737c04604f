// Callback receiving named intermediate activations (e.g. "conv_in", "down_blocks.0",
// "encoder.mid_block") while a forward pass runs; tests use it to localise a mismatch against the
// goldens' intermediates. Costs nothing when not given.
#pragma once

#include <ATen/core/Tensor.h>

#include <functional>
#include <string>

namespace inpaint::models {

using ActivationSink = std::function<void(const std::string& name, const at::Tensor& value)>;

}  // namespace inpaint::models
