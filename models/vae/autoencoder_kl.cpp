// AutoencoderKL (see autoencoder_kl.h).
#include "models/vae/autoencoder_kl.h"

#include "models/errors.h"
#include "models/io/state_dict.h"

#include <ATen/ATen.h>

#include <regex>

namespace inpaint::models {

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLConfig& config) : m_config(config)
{
    m_config.validate();
    const int64_t lc = m_config.latentChannels;
    m_encoder = register_module("encoder", vae::Encoder(m_config));
    m_decoder = register_module("decoder", vae::Decoder(m_config));
    if (m_config.useQuantConv)
        m_quantConv = register_module("quant_conv", nn::makeConv2d(2 * lc, 2 * lc, 1));
    if (m_config.usePostQuantConv)
        m_postQuantConv = register_module("post_quant_conv", nn::makeConv2d(lc, lc, 1));
    if (m_channelsLast)
        nn::convertConvWeightsToChannelsLast(*this);
}

void AutoencoderKLImpl::setChannelsLast(bool on)
{
    m_channelsLast = on;
    if (on) {
        nn::convertConvWeightsToChannelsLast(*this);
    } else {
        torch::NoGradGuard g;
        for (auto& p : parameters(true))
            p.set_data(p.contiguous());
    }
}

torch::Tensor AutoencoderKLImpl::prepare(const torch::Tensor& x) const
{
    torch::Tensor t = x.to(nn::moduleDevice(*this), nn::moduleDtype(*this));
    return m_channelsLast ? t.contiguous(at::MemoryFormat::ChannelsLast) : t;
}

LatentDistribution AutoencoderKLImpl::encode(const torch::Tensor& x, const ActivationSink* sink)
{
    TORCH_CHECK(x.dim() == 4 && x.size(1) == m_config.inChannels, "VAE encode: input must be [B, ",
                m_config.inChannels, ", H, W], got ", x.sizes());
    torch::Tensor h = m_encoder->forward(prepare(x), sink);
    if (m_quantConv) {
        h = m_quantConv->forward(h);
        if (sink)
            (*sink)("quant_conv", h);
    }
    h = h.to(x.scalar_type()).contiguous();
    auto parts = h.chunk(2, 1);
    LatentDistribution d;
    d.mean = parts[0];
    d.logvar = at::clamp(parts[1], -30.0, 20.0);
    d.std = at::exp(d.logvar * 0.5);
    return d;
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z, const ActivationSink* sink)
{
    TORCH_CHECK(z.dim() == 4 && z.size(1) == m_config.latentChannels, "VAE decode: latents must be [B, ",
                m_config.latentChannels, ", h, w], got ", z.sizes());
    torch::Tensor h = prepare(z);
    if (m_postQuantConv) {
        h = m_postQuantConv->forward(h);
        if (sink)
            (*sink)("post_quant_conv", h);
    }
    return m_decoder->forward(h, sink).to(z.scalar_type()).contiguous();
}

std::map<std::string, torch::Tensor> AutoencoderKLImpl::convertLegacyKeys(
    const std::map<std::string, torch::Tensor>& weights)
{
    // diffusers' _convert_deprecated_attention_blocks: mid_block.attentions.N.{query,key,value,proj_attn}.
    static const std::regex legacy(R"(^(.*mid_block\.attentions\.\d+\.)(query|key|value|proj_attn)\.(weight|bias)$)");
    std::map<std::string, torch::Tensor> out;
    for (const auto& [key, value] : weights) {
        std::smatch m;
        if (!std::regex_match(key, m, legacy)) {
            out.emplace(key, value);
            continue;
        }
        const std::string& old = m[2].str();
        const std::string renamed = old == "query" ? "to_q" : old == "key" ? "to_k" : old == "value" ? "to_v" : "to_out.0";
        torch::Tensor v = value;
        if (m[3].str() == "weight" && v.dim() == 4 && v.size(2) == 1 && v.size(3) == 1)
            v = v.flatten(1);
        const std::string newKey = m[1].str() + renamed + "." + m[3].str();
        if (weights.count(newKey))
            throw WeightsError("VAE weights hold both the legacy key '" + key + "' and its current name '" + newKey + "'");
        out.emplace(newKey, v);
    }
    return out;
}

void AutoencoderKLImpl::loadWeights(const std::map<std::string, torch::Tensor>& weights, const std::string& what)
{
    loadStateDictStrict(*this, convertLegacyKeys(weights), what);
    nn::invalidatePackedConvs(*this);
    setChannelsLast(m_channelsLast);
}

}  // namespace inpaint::models
