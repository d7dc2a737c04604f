// The VAE encoder's posterior: diffusers 0.25.1 DiagonalGaussianDistribution
// (models/autoencoders/vae.py), what `vae.encode(x).latent_dist` is. Header-only, torch types only,
// so the pipeline can hold one without the VAE module's headers.
#pragma once

#include <torch/types.h>

#include <concepts>

namespace inpaint::models {

struct LatentDistribution {
    torch::Tensor mean;
    torch::Tensor logvar;  // clamped to [-30, 20]
    torch::Tensor std;     // exp(0.5 * logvar)

    // sample(generator): mean + std * randn_tensor(mean.shape, generator, mean's device and dtype).
    // `generator` is anything with randn(shape, options), e.g. the pipeline's
    // diffusion::RandomSource, so the caller's order of random draws is kept.
    template <class Generator>
        requires requires(Generator& g, torch::IntArrayRef shape, const torch::TensorOptions& options) {
            { g.randn(shape, options) } -> std::convertible_to<torch::Tensor>;
        }
    torch::Tensor sample(Generator& generator) const
    {
        return sample(generator.randn(mean.sizes(), torch::TensorOptions().dtype(mean.scalar_type()).device(mean.device())));
    }
    // mean + std * noise, for a `noise` already drawn (shape of mean).
    torch::Tensor sample(const torch::Tensor& noise) const
    {
        TORCH_CHECK(noise.sizes() == mean.sizes(), "VAE sample: noise shape ", noise.sizes(), " != latent shape ",
                    mean.sizes());
        return mean + std * noise.to(mean.device(), mean.scalar_type());
    }
    torch::Tensor mode() const { return mean; }
};

}  // namespace inpaint::models
