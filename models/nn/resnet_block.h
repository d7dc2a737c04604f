// ResnetBlock2D with diffusers' default time-embedding handling (resnet_time_scale_shift
// "default"); mirrors diffusers 0.25.1 models/resnet.py ResnetBlock2D. Used by the UNet (with
// a time embedding) and the VAE (without). Submodule names equal the checkpoint keys:
// norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut.
#pragma once

#include "models/nn/layers.h"

#include <torch/nn/pimpl.h>

namespace inpaint::models::nn {

struct ResnetBlockOptions {
    int64_t inChannels = 0;
    int64_t outChannels = 0;
    int64_t tembChannels = 0;  // 0: no time embedding (VAE)
    int64_t groups = 32;
    double eps = 1e-6;
    Activation act = Activation::SiLU;
    double outputScaleFactor = 1.0;
};

class ResnetBlock2DImpl : public torch::nn::Module {
public:
    explicit ResnetBlock2DImpl(const ResnetBlockOptions& options);

    // x [B, Cin, H, W]; temb [B, T] or undefined (must be undefined iff tembChannels == 0).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& temb = {});

    ResnetBlockOptions options;

private:
    torch::nn::GroupNorm m_norm1{nullptr}, m_norm2{nullptr};
    Conv2d m_conv1{nullptr}, m_conv2{nullptr}, m_convShortcut{nullptr};
    torch::nn::Linear m_timeEmbProj{nullptr};
};
TORCH_MODULE(ResnetBlock2D);

}  // namespace inpaint::models::nn
