// Timestep features and embedding MLP (see timestep_embedding.h).
#include "models/unet/timestep_embedding.h"

#include <ATen/ATen.h>

#include <cmath>

namespace inpaint::models::unet {

torch::Tensor timestepProjection(const torch::Tensor& timesteps, int64_t dim, bool flipSinToCos, double freqShift,
                                 double maxPeriod)
{
    TORCH_CHECK(timesteps.dim() == 1, "timestep projection expects a 1-D tensor");
    const int64_t half = dim / 2;
    auto opts = timesteps.options().dtype(at::kFloat);
    torch::Tensor exponent = at::arange(0, half, opts) * (-std::log(maxPeriod));
    exponent = exponent / (static_cast<double>(half) - freqShift);
    torch::Tensor freqs = at::exp(exponent);
    torch::Tensor emb = timesteps.unsqueeze(1).to(at::kFloat) * freqs.unsqueeze(0);
    emb = at::cat({at::sin(emb), at::cos(emb)}, -1);
    if (flipSinToCos)
        emb = at::cat({emb.narrow(1, half, half), emb.narrow(1, 0, half)}, -1);
    if (dim % 2 == 1)
        emb = at::constant_pad_nd(emb, {0, 1, 0, 0}, 0);
    return emb;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(int64_t inChannels, int64_t embedDim, nn::Activation act) : m_act(act)
{
    m_linear1 = register_module("linear_1", nn::makeLinear(inChannels, embedDim));
    m_linear2 = register_module("linear_2", nn::makeLinear(embedDim, embedDim));
}

torch::Tensor TimestepEmbeddingImpl::forward(const torch::Tensor& x)
{
    return nn::linear(m_linear2, nn::applyActivation(nn::linear(m_linear1, x), m_act, true));
}

}  // namespace inpaint::models::unet
