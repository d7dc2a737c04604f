// The VAE's Encoder and Decoder (DownEncoderBlock2D, UpDecoderBlock2D, UNetMidBlock2D with one
// spatial self-attention); mirror diffusers 0.25.1 models/autoencoders/vae.py and the matching
// blocks of models/unet_2d_blocks.py. Names: conv_in, down_blocks.N.{resnets.M,
// downsamplers.0.conv}, mid_block.{resnets.0, attentions.0, resnets.1}, up_blocks.N.{resnets.M,
// upsamplers.0.conv}, conv_norm_out, conv_out.
#pragma once

#include "models/nn/activation_sink.h"
#include "models/nn/attention_layer.h"
#include "models/nn/resampling.h"
#include "models/nn/resnet_block.h"
#include "models/vae/vae_config.h"

#include <torch/nn/pimpl.h>

#include <string>
#include <vector>

namespace inpaint::models::vae {

using Sink = ActivationSink;

class MidBlockImpl : public torch::nn::Module {
public:
    MidBlockImpl(int64_t channels, int64_t groups, nn::Activation act, bool addAttention);
    torch::Tensor forward(const torch::Tensor& x);

private:
    std::vector<nn::ResnetBlock2D> m_resnets;
    nn::AttentionLayer m_attention{nullptr};
};
TORCH_MODULE(MidBlock);

// A stack of resnets followed by an optional down- or upsampler.
class ResnetStackImpl : public torch::nn::Module {
public:
    enum class Resample { None, Down, Up };
    ResnetStackImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, nn::Activation act, Resample resample);
    torch::Tensor forward(torch::Tensor x);

private:
    std::vector<nn::ResnetBlock2D> m_resnets;
    nn::Downsample2D m_down{nullptr};
    nn::Upsample2D m_up{nullptr};
};
TORCH_MODULE(ResnetStack);

class EncoderImpl : public torch::nn::Module {
public:
    explicit EncoderImpl(const AutoencoderKLConfig& config);
    // [B, in, H, W] -> [B, 2*latent, H/f, W/f] (mean and log-variance stacked on channels).
    torch::Tensor forward(const torch::Tensor& x, const Sink* sink = nullptr);

private:
    nn::Activation m_act;
    nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    std::vector<ResnetStack> m_down;
    MidBlock m_mid{nullptr};
    torch::nn::GroupNorm m_normOut{nullptr};
};
TORCH_MODULE(Encoder);

class DecoderImpl : public torch::nn::Module {
public:
    explicit DecoderImpl(const AutoencoderKLConfig& config);
    // [B, latent, h, w] -> [B, out, h*f, w*f]
    torch::Tensor forward(const torch::Tensor& z, const Sink* sink = nullptr);

private:
    nn::Activation m_act;
    nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    MidBlock m_mid{nullptr};
    std::vector<ResnetStack> m_up;
    torch::nn::GroupNorm m_normOut{nullptr};
};
TORCH_MODULE(Decoder);

}  // namespace inpaint::models::vae
