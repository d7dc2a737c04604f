// Sinusoidal timestep features (diffusers' Timesteps / get_timestep_embedding) and the MLP that
// embeds them (TimestepEmbedding: linear_1, act, linear_2); mirror diffusers 0.25.1
// models/embeddings.py.
#pragma once

#include "models/nn/layers.h"

#include <torch/nn/pimpl.h>

namespace inpaint::models::unet {

// timesteps [N] (any numeric dtype) -> [N, dim] float32, computed with the same op sequence as
// diffusers so the result is bit-identical for the same LibTorch kernels.
torch::Tensor timestepProjection(const torch::Tensor& timesteps, int64_t dim, bool flipSinToCos, double freqShift,
                                 double maxPeriod = 10000.0);

class TimestepEmbeddingImpl : public torch::nn::Module {
public:
    TimestepEmbeddingImpl(int64_t inChannels, int64_t embedDim, nn::Activation act);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Linear m_linear1{nullptr}, m_linear2{nullptr};
    nn::Activation m_act;
};
TORCH_MODULE(TimestepEmbedding);

}  // namespace inpaint::models::unet
