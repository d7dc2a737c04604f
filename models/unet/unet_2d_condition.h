// UNet2DConditionModel for SD 1.x / 2.x / SDXL and their inpainting variants (4 or 9 input
// channels); mirrors diffusers 0.25.1 models/unet_2d_condition.py. Submodules are registered under
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

// diffusers' added_cond_kwargs for addition_embed_type "text_time" (SDXL): textEmbeds [B, P]
// (the pooled, projected text embedding of text_encoder_2) and timeIds [B, 6] (original size,
// crop top-left, target size; height first). A [1, ...] tensor is broadcast over the batch.
// Ignored (may be empty) for UNets without an addition embedding (SD 1.x / 2.x).
struct UNetAddedCond {
    torch::Tensor textEmbeds;
    torch::Tensor timeIds;
};

class UNet2DConditionModelImpl : public torch::nn::Module {
public:
    explicit UNet2DConditionModelImpl(const UNet2DConditionConfig& config);

    // sample [B, in_channels, H, W]; timestep: 0-d, [1] or [B] (integer or floating);
    // encoderHiddenStates [B, M, cross_attention_dim]. Computes in the module's dtype and
    // returns the noise prediction [B, out_channels, H, W], contiguous, in sample's dtype.
    // A UNet with addition_embed_type "text_time" throws ConfigError here: it needs the overload
    // with UNetAddedCond.
    torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                          const torch::Tensor& encoderHiddenStates, const ActivationSink* sink = nullptr);
    // The same with the added conditioning (SDXL's text_embeds / time_ids). The sink also gets
    // "add_time_proj" ([B*6, addition_time_embed_dim]) and "add_embedding" (the added embedding
    // before it is summed into the time embedding).
    torch::Tensor forward(const torch::Tensor& sample, const torch::Tensor& timestep,
                          const torch::Tensor& encoderHiddenStates, const UNetAddedCond& added,
                          const ActivationSink* sink = nullptr);

    // Strict load (missing / unexpected / mis-shaped keys are a WeightsError naming them);
    // converts F16/BF16/F32 to the module's dtype.
    void loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what);

    const UNet2DConditionConfig& config() const { return m_config; }

    // Channels-last activations (default on): the layout oneDNN convolutions and the
    // transformer's token view want. Off gives the plain NCHW path (same results up to rounding).
    void setChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }

private:
    torch::Tensor addedEmbedding(const UNetAddedCond& added, int64_t batch, torch::Dtype dtype, torch::Device device,
                                 const ActivationSink* sink);

    UNet2DConditionConfig m_config;
    nn::Activation m_act;
    bool m_channelsLast = true;
    nn::Conv2d m_convIn{nullptr}, m_convOut{nullptr};
    unet::TimestepEmbedding m_timeEmbedding{nullptr};
    unet::TimestepEmbedding m_addEmbedding{nullptr};  // text_time only ("add_embedding")
    std::vector<unet::DownBlock> m_down;
    unet::MidBlockCrossAttn m_mid{nullptr};
    std::vector<unet::UpBlock> m_up;
    torch::nn::GroupNorm m_convNormOut{nullptr};
};
TORCH_MODULE(UNet2DConditionModel);

}  // namespace inpaint::models
