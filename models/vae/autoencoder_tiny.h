// AutoencoderTiny (TAESD, madebyollin): a small conv-only encoder/decoder that works directly in
// SD's *scaled* latent space, for live step previews at a few percent of a UNet step and, when
// asked, a fast final decode. Mirrors diffusers 0.25.1 models/autoencoders/autoencoder_tiny.py with
// EncoderTiny / DecoderTiny (vae.py) and AutoencoderTinyBlock (unet_2d_blocks.py); checkpoint keys
// are diffusers' (encoder.layers.N..., decoder.layers.N...).
//
//   encode(x) = encoder((x + 1) / 2)                          x in [-1, 1]; no sampling, no scale
//   decode(z) = 2 * decoder(tanh(z / 3) * 3) - 1              z = the UNet's latents as they are
// (scaling_factor is 1.0 for TAESD: a pipeline divides by it, so it is applied anyway.)
#pragma once

#include "models/nn/conv.h"

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace inpaint::models {

struct AutoencoderTinyConfig {
    int64_t inChannels = 3;
    int64_t outChannels = 3;
    std::vector<int64_t> encoderBlockOutChannels{64, 64, 64, 64};
    std::vector<int64_t> decoderBlockOutChannels{64, 64, 64, 64};
    std::vector<int64_t> numEncoderBlocks{1, 3, 3, 3};
    std::vector<int64_t> numDecoderBlocks{3, 3, 3, 1};
    int64_t latentChannels = 4;
    int64_t upsamplingScalingFactor = 2;
    double scalingFactor = 1.0;
    double latentMagnitude = 3.0;  // only TAESD's 8-bit storage form uses these two
    double latentShift = 0.5;

    // Strict: unknown keys and values this port does not implement are ConfigErrors naming them.
    static AutoencoderTinyConfig fromJson(const nlohmann::json& json, const std::string& what = "tiny VAE config");
    static AutoencoderTinyConfig fromFile(const std::filesystem::path& configJson);
    // Pixels per latent: upsampling_scaling_factor ** (stages - 1) (8 for the real TAESD).
    int64_t scaleFactor() const;
};

// conv(3x3) - relu - conv - relu - conv, plus a 1x1 skip when the widths differ; relu of the sum.
class AutoencoderTinyBlockImpl : public torch::nn::Module {
public:
    AutoencoderTinyBlockImpl(int64_t in, int64_t out);
    torch::Tensor forward(const torch::Tensor& x);

private:
    nn::Conv2d m_conv0{nullptr}, m_conv2{nullptr}, m_conv4{nullptr}, m_skip{nullptr};
};
TORCH_MODULE(AutoencoderTinyBlock);

// A numbered stack ("layers.N") of convs, blocks and parameter-free steps (relu, upsample), run
// in order; parameter-free steps take a number but register nothing, as nn.Sequential does.
class TinyLayersImpl : public torch::nn::Module {
public:
    void addModule(std::shared_ptr<torch::nn::Module> m, std::function<torch::Tensor(const torch::Tensor&)> run);
    void addStep(std::function<torch::Tensor(const torch::Tensor&)> run);  // takes a number, no parameters
    // `each`, when given, receives every step's output (layers.0, layers.1, ...).
    torch::Tensor forward(const torch::Tensor& x, std::vector<torch::Tensor>* each = nullptr) const;
    size_t size() const { return m_steps.size(); }

private:
    std::vector<std::function<torch::Tensor(const torch::Tensor&)>> m_steps;
};
TORCH_MODULE(TinyLayers);

class AutoencoderTinyImpl : public torch::nn::Module {
public:
    explicit AutoencoderTinyImpl(const AutoencoderTinyConfig& config);

    // x [B, in, H, W] in [-1, 1], H and W multiples of scaleFactor() -> latents [B, latent, H/f, W/f].
    torch::Tensor encode(const torch::Tensor& x);
    // z [B, latent, h, w] -> image [B, out, h*f, w*f] in about [-1, 1], not clamped.
    torch::Tensor decode(const torch::Tensor& z);

    // Strict load (missing, unexpected and mis-shaped keys are errors naming the key).
    void loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what);
    // A diffusers AutoencoderTiny folder (config.json + diffusion_pytorch_model.safetensors, or
    // the .fp16 variant) loaded onto `device` in `dtype`.
    static std::shared_ptr<AutoencoderTinyImpl> loadFolder(const std::filesystem::path& dir, torch::Device device,
                                                           torch::ScalarType dtype);

    const AutoencoderTinyConfig& config() const { return m_config; }
    // Channels-last conv weights and activations (the default, as in the other models): on the
    // CPU the convs then run in oneDNN's channels-last context with no activation reorder per conv.
    void setChannelsLast(bool on);
    bool channelsLast() const { return m_channelsLast; }
    const TinyLayers& encoderLayers() const { return m_encoderLayers; }  // input: (x + 1) / 2
    const TinyLayers& decoderLayers() const { return m_decoderLayers; }  // input: tanh(z / 3) * 3

private:
    torch::Tensor prepare(const torch::Tensor& x) const;

    AutoencoderTinyConfig m_config;
    TinyLayers m_encoderLayers{nullptr}, m_decoderLayers{nullptr};
    bool m_channelsLast = true;
};
TORCH_MODULE(AutoencoderTiny);

}  // namespace inpaint::models
