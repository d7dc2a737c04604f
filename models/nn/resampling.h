// Downsample2D / Upsample2D with use_conv=True, as SD's UNet and VAE use them; mirror
// diffusers 0.25.1 models/downsampling.py and models/upsampling.py. The conv is named "conv".
#pragma once

#include "models/nn/layers.h"

#include <torch/nn/pimpl.h>

#include <optional>
#include <utility>

namespace inpaint::models::nn {

// 3x3 conv with stride 2. padding 0 means diffusers' asymmetric pad (right and bottom by one)
// before an unpadded conv (the VAE encoder); otherwise a symmetric conv padding.
class Downsample2DImpl : public torch::nn::Module {
public:
    Downsample2DImpl(int64_t channels, int64_t outChannels, int64_t padding);
    torch::Tensor forward(const torch::Tensor& x);

private:
    int64_t m_channels, m_outChannels, m_padding;
    Conv2d m_conv{nullptr};
};
TORCH_MODULE(Downsample2D);

// Nearest upsampling (2x, or to `size` when the UNet's skip connection needs an odd size),
// then a 3x3 conv.
class Upsample2DImpl : public torch::nn::Module {
public:
    Upsample2DImpl(int64_t channels, int64_t outChannels);
    torch::Tensor forward(const torch::Tensor& x, std::optional<std::pair<int64_t, int64_t>> size = std::nullopt);

private:
    int64_t m_channels, m_outChannels;
    Conv2d m_conv{nullptr};
};
TORCH_MODULE(Upsample2D);

}  // namespace inpaint::models::nn
