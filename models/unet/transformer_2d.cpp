// Transformer2DModel / BasicTransformerBlock / GEGLU feed-forward (see transformer_2d.h).
#include "models/unet/transformer_2d.h"
#include "models/nn/bf16_rows.h"
#include "models/nn/cancel.h"

#include <ATen/ATen.h>

namespace inpaint::models::unet {

namespace {

torch::nn::LayerNorm makeLayerNorm(int64_t dim)
{
    return torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim}).eps(1e-5).elementwise_affine(true));
}

// The transformer's LayerNorms are over the last dimension; bf16 ones take the row kernel
// (bf16_rows.h), the others ATen's layer_norm.
torch::Tensor layerNorm(const torch::nn::LayerNorm& ln, const torch::Tensor& x)
{
    return nn::layerNormLastDim(x, ln->weight, ln->bias, ln->options.eps());
}

// 1x1 conv weight [out, in, 1, 1] as a [out, in] matrix (a view; the data is the parameter's).
torch::Tensor convAsMatrix(const nn::Conv2d& conv)
{
    return conv->weight.reshape({conv->weight.size(0), conv->weight.size(1)});
}

}  // namespace

FeedForwardImpl::FeedForwardImpl(int64_t dim, int64_t inner)
{
    // net = [GEGLU, Dropout, Linear]: register GEGLU as net.0 (its Linear is "proj") and the output
    // Linear as net.2; index 1 is a parameterless dropout.
    auto net = register_module("net", std::make_shared<torch::nn::Module>());
    auto geglu = net->register_module("0", std::make_shared<torch::nn::Module>());
    m_proj = geglu->register_module("proj", nn::makeLinear(dim, 2 * inner));
    m_out = net->register_module("2", nn::makeLinear(inner, dim));
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x)
{
    throwIfCancelled();  // a cancel lands within one block (cancel.h)
    // GEGLU: value * gelu(gate) (exact erf GELU), fused into one pass (nn::geglu).
    return nn::linear(m_out, nn::geglu(nn::linear(m_proj, x)));
}

BasicTransformerBlockImpl::BasicTransformerBlockImpl(int64_t dim, int64_t heads, int64_t headDim,
                                                     int64_t crossAttentionDim, bool upcast)
{
    m_norm1 = register_module("norm1", makeLayerNorm(dim));
    nn::AttentionLayerOptions self;
    self.queryDim = dim;
    self.heads = heads;
    self.dimHead = headDim;
    self.upcast = upcast;
    m_attn1 = register_module("attn1", nn::AttentionLayer(self));
    m_norm2 = register_module("norm2", makeLayerNorm(dim));
    nn::AttentionLayerOptions cross = self;
    cross.crossAttentionDim = crossAttentionDim;
    m_attn2 = register_module("attn2", nn::AttentionLayer(cross));
    m_norm3 = register_module("norm3", makeLayerNorm(dim));
    m_ff = register_module("ff", FeedForward(dim, 4 * dim));
}

torch::Tensor BasicTransformerBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& context)
{
    // Each residual is added into the fresh sublayer output (a + b == b + a exactly).
    torch::Tensor h = m_attn1->forward(layerNorm(m_norm1, x));
    h.add_(x);
    torch::Tensor h2 = m_attn2->forward(layerNorm(m_norm2, h), context);
    h2.add_(h);
    torch::Tensor h3 = m_ff->forward(layerNorm(m_norm3, h2));
    h3.add_(h2);
    return h3;
}

Transformer2DModelImpl::Transformer2DModelImpl(const Transformer2DOptions& opts) : options(opts)
{
    const auto& o = options;
    const int64_t inner = o.heads * o.headDim;
    m_norm = register_module("norm", nn::makeGroupNorm(o.normGroups, o.inChannels, 1e-6));
    if (o.useLinearProjection)
        m_projInLinear = register_module("proj_in", nn::makeLinear(o.inChannels, inner));
    else
        m_projInConv = register_module("proj_in", nn::makeConv2d(o.inChannels, inner, 1));
    m_blocks = register_module("transformer_blocks", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.layers; ++i) {
        BasicTransformerBlock b(inner, o.heads, o.headDim, o.crossAttentionDim, o.upcastAttention);
        m_blocks->push_back(b);
        m_blockList.push_back(b);
    }
    if (o.useLinearProjection)
        m_projOutLinear = register_module("proj_out", nn::makeLinear(inner, o.inChannels));
    else
        m_projOutConv = register_module("proj_out", nn::makeConv2d(inner, o.inChannels, 1));
}

torch::Tensor Transformer2DModelImpl::forward(const torch::Tensor& x, const torch::Tensor& context)
{
    const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    // [B, C, H, W] -> [B, H*W, C]: free when x is channels-last, one copy otherwise.
    torch::Tensor tokens = nn::groupNorm(m_norm, x).permute({0, 2, 3, 1}).reshape({B, H * W, C});
    torch::Tensor h = m_projInLinear ? nn::linear(m_projInLinear, tokens)
                                     : nn::linear(tokens, convAsMatrix(m_projInConv), m_projInConv->bias);
    for (auto& block : m_blockList)
        h = block->forward(h, context);
    h = m_projOutLinear ? nn::linear(m_projOutLinear, h)
                        : nn::linear(h, convAsMatrix(m_projOutConv), m_projOutConv->bias);
    // Back to [B, C, H, W] as a channels-last view, then the residual.
    torch::Tensor out = h.view({B, H, W, C}).permute({0, 3, 1, 2});
    out.add_(x);
    return out;
}

}  // namespace inpaint::models::unet
