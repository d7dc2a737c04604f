// Transformer2DModel (continuous input) with BasicTransformerBlock and the GEGLU feed-forward,
// as SD's cross-attention blocks use them; mirrors diffusers 0.25.1 models/transformer_2d.py and
// models/attention.py. Names: norm, proj_in, transformer_blocks.K.{norm1, attn1, norm2, attn2,
// norm3, ff.net.0.proj, ff.net.2}, proj_out.
#pragma once

#include "models/nn/attention_layer.h"
#include "models/nn/layers.h"

#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/pimpl.h>

namespace inpaint::models::unet {

// FeedForward(dim, activation_fn="geglu", mult=4): net.0 = GEGLU(proj: dim -> 2*inner), net.2 = Linear(inner, dim).
class FeedForwardImpl : public torch::nn::Module {
public:
    FeedForwardImpl(int64_t dim, int64_t inner);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Linear m_proj{nullptr}, m_out{nullptr};
};
TORCH_MODULE(FeedForward);

class BasicTransformerBlockImpl : public torch::nn::Module {
public:
    BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t headDim, int64_t crossAttentionDim, bool upcast);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

private:
    torch::nn::LayerNorm m_norm1{nullptr}, m_norm2{nullptr}, m_norm3{nullptr};
    nn::AttentionLayer m_attn1{nullptr}, m_attn2{nullptr};
    FeedForward m_ff{nullptr};
};
TORCH_MODULE(BasicTransformerBlock);

struct Transformer2DOptions {
    int64_t inChannels = 0;
    int64_t heads = 8;
    int64_t headDim = 40;
    int64_t layers = 1;
    int64_t crossAttentionDim = 768;
    int64_t normGroups = 32;
    bool useLinearProjection = false;
    bool upcastAttention = false;
};

class Transformer2DModelImpl : public torch::nn::Module {
public:
    explicit Transformer2DModelImpl(const Transformer2DOptions& options);
    // x [B, C, H, W] (any memory format; channels-last avoids every layout copy), context [B, M, D].
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& context);

    Transformer2DOptions options;

private:
    torch::nn::GroupNorm m_norm{nullptr};
    // proj_in / proj_out: Linear (use_linear_projection) or 1x1 Conv2d. A 1x1 conv over
    // channels-last pixels is the same matrix product as a Linear over tokens, so both run as one.
    torch::nn::Linear m_projInLinear{nullptr}, m_projOutLinear{nullptr};
    nn::Conv2d m_projInConv{nullptr}, m_projOutConv{nullptr};
    torch::nn::ModuleList m_blocks{nullptr};
    std::vector<BasicTransformerBlock> m_blockList;
};
TORCH_MODULE(Transformer2DModel);

}  // namespace inpaint::models::unet
