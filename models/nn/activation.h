// Activation functions named by diffusers' `act_fn` config strings (diffusers/models/activations.py,
// get_activation). Parsed once at construction so an unknown name is a ConfigError, not a crash
// in the middle of a forward pass.
#pragma once

#include <torch/types.h>

#include <string>

namespace inpaint::models::nn {

enum class Activation { SiLU, GELU, ReLU, Mish };

// Accepts "silu", "swish", "gelu", "relu", "mish" (as diffusers does). Throws ConfigError
// naming `key` and the value otherwise.
Activation parseActivation(const std::string& name, const std::string& key);

// Returns act(x). When `inPlace` is set, x is overwritten (only for tensors the caller owns).
torch::Tensor applyActivation(const torch::Tensor& x, Activation act, bool inPlace = false);

}  // namespace inpaint::models::nn
