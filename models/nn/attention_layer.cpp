// diffusers Attention module (see attention_layer.h).
#include "models/nn/attention_layer.h"
#include "models/nn/cancel.h"

#include <ATen/ATen.h>

namespace inpaint::models::nn {

AttentionLayerImpl::AttentionLayerImpl(const AttentionLayerOptions& opts) : options(opts)
{
    const auto& o = options;
    const int64_t inner = o.heads * o.dimHead;
    const int64_t kvDim = o.crossAttentionDim > 0 ? o.crossAttentionDim : o.queryDim;
    if (o.normGroups > 0)
        m_groupNorm = register_module("group_norm", makeGroupNorm(o.normGroups, o.queryDim, o.normEps));
    m_toQ = register_module("to_q", makeLinear(o.queryDim, inner, o.bias));
    m_toK = register_module("to_k", makeLinear(kvDim, inner, o.bias));
    m_toV = register_module("to_v", makeLinear(kvDim, inner, o.bias));
    // to_out is [Linear, Dropout] in diffusers; dropout has no parameters and is a no-op here.
    m_toOut0 = makeLinear(inner, o.queryDim, true);
    m_toOut = register_module("to_out", torch::nn::ModuleList(m_toOut0));
}

torch::Tensor AttentionLayerImpl::forward(const torch::Tensor& hidden, const torch::Tensor& context)
{
    throwIfCancelled();  // a cancel lands within one block (cancel.h)
    const bool spatial = hidden.dim() == 4;
    torch::Tensor x = hidden;
    if (m_groupNorm)
        x = groupNorm(m_groupNorm, x);  // per-channel statistics: same on [B,C,H,W] as on tokens
    int64_t B = 0, C = 0, H = 0, W = 0;
    if (spatial) {
        B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
        // A channels-last tensor is already [B, H*W, C] in memory: this is a view, not a copy.
        x = x.permute({0, 2, 3, 1}).reshape({B, H * W, C});
    }
    const torch::Tensor& kvIn = context.defined() ? context : x;
    torch::Tensor q = linear(m_toQ, x);
    torch::Tensor k = linear(m_toK, kvIn);
    torch::Tensor v = linear(m_toV, kvIn);
    AttentionOptions ao;
    ao.upcast = options.upcast;
    torch::Tensor out = linear(m_toOut0, multiHeadAttention(q, k, v, options.heads, ao));
    if (spatial)
        out = out.view({B, H, W, C}).permute({0, 3, 1, 2});
    if (options.residualConnection)
        out = out + hidden;
    if (options.rescaleOutputFactor != 1.0)
        out = out / options.rescaleOutputFactor;
    return out;
}

}  // namespace inpaint::models::nn
