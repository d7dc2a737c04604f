// The UNet's down, mid and up blocks: DownBlock2D / CrossAttnDownBlock2D, UNetMidBlock2DCrossAttn,
// UpBlock2D / CrossAttnUpBlock2D; mirror diffusers 0.25.1 models/unet_2d_blocks.py. The plain and
// cross-attention variants differ only in the presence of `attentions`, so each pair is one class.
// Names: resnets.M, attentions.M, downsamplers.0 / upsamplers.0.
#pragma once

#include "models/nn/resampling.h"
#include "models/nn/resnet_block.h"
#include "models/unet/transformer_2d.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

#include <optional>
#include <utility>
#include <vector>

namespace inpaint::models::unet {

struct BlockOptions {
    int64_t inChannels = 0;      // down: block input; up: skip channels of the block's first level
    int64_t outChannels = 0;
    int64_t prevOutChannels = 0;  // up blocks: channels coming from the block below
    int64_t tembChannels = 0;
    int64_t layers = 1;          // resnets (up blocks: layers_per_block + 1)
    bool crossAttention = false;
    Transformer2DOptions transformer;  // inChannels filled in by the block
    bool resample = false;       // add downsampler / upsampler
    int64_t downsamplePadding = 1;
    int64_t groups = 32;
    double eps = 1e-5;
    nn::Activation act = nn::Activation::SiLU;
};

class DownBlockImpl : public torch::nn::Module {
public:
    explicit DownBlockImpl(const BlockOptions& options);
    // Appends every intermediate output (the skip connections) to `skips`.
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context,
                          std::vector<torch::Tensor>& skips);

private:
    std::vector<nn::ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
    nn::Downsample2D m_downsampler{nullptr};
};
TORCH_MODULE(DownBlock);

class MidBlockCrossAttnImpl : public torch::nn::Module {
public:
    MidBlockCrossAttnImpl(const BlockOptions& options, double outputScaleFactor);
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context);

private:
    std::vector<nn::ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
};
TORCH_MODULE(MidBlockCrossAttn);

class UpBlockImpl : public torch::nn::Module {
public:
    explicit UpBlockImpl(const BlockOptions& options);
    // Consumes skip connections from the back of `skips`. `upsampleSize` is the spatial size the
    // upsampler must produce (the next skip's size).
    torch::Tensor forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context,
                          std::vector<torch::Tensor>& skips,
                          std::optional<std::pair<int64_t, int64_t>> upsampleSize);
    int64_t resnetCount() const { return static_cast<int64_t>(m_resnets.size()); }

private:
    std::vector<nn::ResnetBlock2D> m_resnets;
    std::vector<Transformer2DModel> m_attentions;
    nn::Upsample2D m_upsampler{nullptr};
};
TORCH_MODULE(UpBlock);

}  // namespace inpaint::models::unet
