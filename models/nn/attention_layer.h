// diffusers' `Attention` module (models/attention_processor.py, 0.25.1) in the two shapes SD
// uses: the UNet transformer's self/cross attention (no q/k/v bias, tokens in, tokens out) and
// the VAE mid-block's spatial self-attention (group_norm, biases, residual). Names equal the
// checkpoint keys: to_q, to_k, to_v, to_out.0, group_norm.
#pragma once

#include "models/nn/attention.h"
#include "models/nn/layers.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

namespace inpaint::models::nn {

struct AttentionLayerOptions {
    int64_t queryDim = 0;
    int64_t crossAttentionDim = 0;  // 0: self-attention (keys/values from the queries' input)
    int64_t heads = 8;
    int64_t dimHead = 64;
    bool bias = false;              // q/k/v projections
    bool upcast = false;            // upcast_attention or upcast_softmax
    int64_t normGroups = 0;         // > 0: GroupNorm before attention (VAE)
    double normEps = 1e-5;
    bool residualConnection = false;
    double rescaleOutputFactor = 1.0;
};

class AttentionLayerImpl : public torch::nn::Module {
public:
    explicit AttentionLayerImpl(const AttentionLayerOptions& options);

    // hidden: [B, N, C] tokens, or [B, C, H, W] (then viewed as H*W tokens and returned 4-D).
    // context: [B, M, crossAttentionDim] or undefined for self-attention.
    torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& context = {});

    AttentionLayerOptions options;

private:
    torch::nn::GroupNorm m_groupNorm{nullptr};
    torch::nn::Linear m_toQ{nullptr}, m_toK{nullptr}, m_toV{nullptr}, m_toOut0{nullptr};
    torch::nn::ModuleList m_toOut{nullptr};
};
TORCH_MODULE(AttentionLayer);

}  // namespace inpaint::models::nn
