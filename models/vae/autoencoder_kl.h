// AutoencoderKL (SD's VAE): encoder -> quant_conv -> diagonal Gaussian posterior; decoder from
// post_quant_conv. Mirrors diffusers 0.25.1 models/autoencoders/autoencoder_kl.py and
// DiagonalGaussianDistribution in models/autoencoders/vae.py (latent_distribution.h).
//
// Checkpoint key names: the mid-block attention uses diffusers' current names (to_q, to_k, to_v,
// to_out.0, group_norm). Checkpoints saved before diffusers 0.14 name them query, key, value,
// proj_attn; loadWeights() renames those (as diffusers does on load) and flattens 1x1-conv shaped
// [C, C, 1, 1] projection weights to [C, C]. Every other key must match exactly.
#pragma once

#include "models/nn/activation_sink.h"
#include "models/vae/latent_distribution.h"
#include "models/vae/vae_blocks.h"
#include "models/vae/vae_config.h"

#include <torch/nn/pimpl.h>

#include <map>
#include <string>

namespace inpaint::models {

class AutoencoderKLImpl : public torch::nn::Module {
public:
    explicit AutoencoderKLImpl(const AutoencoderKLConfig& config);

    // x [B, in_channels, H, W] in [-1, 1]; H and W multiples of vaeScaleFactor(). Results are in
    // x's dtype.
    LatentDistribution encode(const torch::Tensor& x, const ActivationSink* sink = nullptr);
    // z [B, latent_channels, h, w] = latents / scaling_factor (as pipelines call vae.decode);
    // returns the unclamped image [B, out_channels, h*f, w*f] in z's dtype.
    torch::Tensor decode(const torch::Tensor& z, const ActivationSink* sink = nullptr);

    // diffusers' enable_tiling(): tiles of sample_size px (sample_size / 2^(levels-1) latents),
    // overlapping by a quarter, each coded alone, blended linearly over the overlap where they
    // meet (above and to the left, in diffusers' order, on the already-blended neighbours) and
    // cropped. Equal to diffusers' tiled_encode / tiled_decode; differs from the untiled result
    // (each tile has its own GroupNorm statistics and mid-block attention), bounded by
    // test_vae_tiling. Peak memory is one tile's activations whatever the image size. An input no
    // larger than one tile is coded untiled, as diffusers does.
    LatentDistribution tiledEncode(const torch::Tensor& x);
    torch::Tensor tiledDecode(const torch::Tensor& z);
    int64_t tileSampleSize() const { return m_config.sampleSize; }
    int64_t tileLatentSize() const;
    // Strict load after renaming legacy attention keys (see above); dtype converted to the module's.
    void loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what);
    static std::map<std::string, torch::Tensor> convertLegacyKeys(const std::map<std::string, torch::Tensor>& weights);

    const AutoencoderKLConfig& config() const { return m_config; }
    double scalingFactor() const { return m_config.scalingFactor; }
    int64_t vaeScaleFactor() const { return m_config.vaeScaleFactor(); }

    void setChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }

private:
    torch::Tensor prepare(const torch::Tensor& x) const;
    torch::Tensor moments(const torch::Tensor& x, const ActivationSink* sink);  // encoder + quant_conv
    torch::Tensor decodeRaw(const torch::Tensor& z, const ActivationSink* sink);  // post_quant_conv + decoder

    AutoencoderKLConfig m_config;
    bool m_channelsLast = true;
    vae::Encoder m_encoder{nullptr};
    vae::Decoder m_decoder{nullptr};
    nn::Conv2d m_quantConv{nullptr}, m_postQuantConv{nullptr};
};
TORCH_MODULE(AutoencoderKL);

}  // namespace inpaint::models
