// UNet2DConditionModel for SD 1.x / 2.x and their inpainting variants (4 or 9 input channels);
// mirrors diffusers 0.25.1 models/unet_2d_condition.py. Submodules are registered under
// diffusers' names, so named_parameters() equals the checkpoint keys.
#pragma once

#include "models/nn/activation_sink.h"
#include "models/unet/timestep_embedding.h"
#include "models/unet/unet_blocks.h"
#include "models/unet/unet_config.h"

#include <torch/nn/pimpl.h>

#include <map>
#include <string>

namespace inpaint::models {

class UNet2DConditionModelImpl : public torch::nn::Module {
public:
    explicit UNet2DConditionModelImpl(const UNet2DConditionConfig& config);

    // sample [B, in_channels, H, W]; timestep: 0-d, [1] or [B] (integer or floating);
    // encoderHiddenStates [B, M, cross_attention_dim]. Computes in the module's dtype and
    // returns the noise prediction [B, out_channels, H, W], contiguous, in sample's dtype.
    torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                          const torch::Tensor& encoderHiddenStates, const ActivationSink* sink = nullptr);

    // Strict load (missing / unexpected / mis-shaped keys are a WeightsError naming them);
    // converts F16/BF16/F32 to the module's dtype.
    void loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what);

    const UNet2DConditionConfig& config() const { return m_config; }

    // Channels-last activations (default on): the layout oneDNN convolutions and the
    // transformer's token view want. Off gives the plain NCHW path (same results up to rounding).
    void setChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }

private:
    UNet2DConditionConfig m_config;
    nn::Activation m_act;
    bool m_channelsLast = true;
    nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    unet::TimestepEmbedding m_timeEmbedding{nullptr};
    std::vector<unet::DownBlock> m_down;
    unet::MidBlockCrossAttn m_mid{nullptr};
    std::vector<unet::UpBlock> m_up;
    torch::nn::GroupNorm m_convNormOut{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace inpaint::models
