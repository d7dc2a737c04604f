// Activation functions of diffusers' get_activation (see activation.h).
#include "models/nn/activation.h"

#include "models/errors.h"
#include "models/nn/bf16_rows.h"

#include <ATen/ATen.h>

namespace inpaint::models::nn {

Activation parseActivation(const std::string& name, const std::string& key)
{
    if (name == "silu" || name == "swish")
        return Activation::SiLU;
    if (name == "gelu")
        return Activation::GELU;
    if (name == "relu")
        return Activation::ReLU;
    if (name == "mish")
        return Activation::Mish;
    throw ConfigError("config key '" + key + "': unsupported activation '" + name +
                      "' (supported: silu, swish, gelu, relu, mish)");
}

torch::Tensor applyActivation(const torch::Tensor& x, Activation act, bool inPlace)
{
    // In-place variants avoid a full extra activation-sized allocation per call; on CPU the
    // page faults of fresh large buffers cost as much as the arithmetic.
    torch::Tensor t = x;
    switch (act) {
    case Activation::SiLU: {
        // bf16 on the CPU: the engine's AVX-512 kernel where it runs (ATen's bf16 SiLU costs 3x a
        // GroupNorm of the same tensor; bf16_rows.h), else ATen's.
        if (inPlace && siluBf16InPlace(t))
            return t;
        if (!inPlace && x.is_cpu() && x.scalar_type() == at::kBFloat16) {
            torch::Tensor y = x.clone();
            if (siluBf16InPlace(y))
                return y;
        }
        return inPlace ? at::silu_(t) : at::silu(x);
    }
    case Activation::GELU:
        return inPlace ? x.copy_(at::gelu(x)) : at::gelu(x);
    case Activation::ReLU:
        return inPlace ? at::relu_(t) : at::relu(x);
    case Activation::Mish:
        return inPlace ? at::mish_(t) : at::mish(x);
    }
    return x;
}

}  // namespace inpaint::models::nn
