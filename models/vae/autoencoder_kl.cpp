// AutoencoderKL (see autoencoder_kl.h).
#include "models/vae/autoencoder_kl.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "models/errors.h"
#include "models/io/state_dict.h"

#include <ATen/ATen.h>

#include <regex>

namespace inpaint::models {

constexpr double kTileOverlap = 0.25;  // diffusers' tile_overlap_factor

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

torch::Tensor AutoencoderKLImpl::moments(const torch::Tensor& x, const ActivationSink* sink)
{
    torch::Tensor h = m_encoder->forward(prepare(x), sink);
    if (m_quantConv) {
        h = m_quantConv->forward(h);
        if (sink)
            (*sink)("quant_conv", h);
    }
    return h.to(x.scalar_type()).contiguous();
}

namespace {

LatentDistribution posterior(const torch::Tensor& moments)
{
    auto parts = moments.chunk(2, 1);
    LatentDistribution d;
    d.mean = parts[0];
    d.logvar = at::clamp(parts[1], -30.0, 20.0);
    d.std = at::exp(d.logvar * 0.5);
    return d;
}

// b's first `extent` rows (dim 2) or columns (dim 3) become a linear mix from a's last ones
// (weight 1 - k/extent) to b's own (k/extent), in place, as diffusers' blend_v / blend_h. The
// weights are formed in double and rounded to the tensor's dtype, as Python scalars are.
void blendInto(const torch::Tensor& a, torch::Tensor& b, int64_t extent, int64_t dim)
{
    extent = std::min({a.size(dim), b.size(dim), extent});
    if (extent <= 0) return;
    std::vector<double> keep(extent), take(extent);
    for (int64_t k = 0; k < extent; ++k) {
        take[k] = double(k) / double(extent);
        keep[k] = 1.0 - double(k) / double(extent);
    }
    std::vector<int64_t> shape{1, 1, 1, 1};
    shape[dim] = extent;
    const auto opts = torch::TensorOptions().dtype(torch::kDouble);
    const torch::Tensor wa = torch::tensor(keep, opts).to(b.scalar_type()).to(b.device()).view(shape);
    const torch::Tensor wb = torch::tensor(take, opts).to(b.scalar_type()).to(b.device()).view(shape);
    const torch::Tensor tail = a.narrow(dim, a.size(dim) - extent, extent);
    torch::Tensor head = b.narrow(dim, 0, extent);
    head.copy_(tail * wa + head * wb);
}

// Overlapping tiles of `in` (size `tileIn`, every `stride`), coded by `code`, blended over
// `extent` and cropped to `limit`: diffusers' tiled_encode / tiled_decode loop.
torch::Tensor tiled(const torch::Tensor& in, int64_t tileIn, int64_t stride, int64_t extent, int64_t limit,
                    const std::function<torch::Tensor(const torch::Tensor&)>& code)
{
    std::vector<std::vector<torch::Tensor>> rows;
    for (int64_t i = 0; i < in.size(2); i += stride) {
        std::vector<torch::Tensor> row;
        for (int64_t j = 0; j < in.size(3); j += stride) {
            const torch::Tensor tile = in.narrow(2, i, std::min(tileIn, in.size(2) - i))
                                           .narrow(3, j, std::min(tileIn, in.size(3) - j));
            row.push_back(code(tile).contiguous());
        }
        rows.push_back(std::move(row));
    }
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < rows.size(); ++i) {
        std::vector<torch::Tensor> cropped;
        for (size_t j = 0; j < rows[i].size(); ++j) {
            torch::Tensor& t = rows[i][j];
            if (i > 0) blendInto(rows[i - 1][j], t, extent, 2);
            if (j > 0) blendInto(rows[i][j - 1], t, extent, 3);
            cropped.push_back(t.narrow(2, 0, std::min(limit, t.size(2))).narrow(3, 0, std::min(limit, t.size(3))));
        }
        out.push_back(torch::cat(cropped, 3));
    }
    return torch::cat(out, 2);
}

}  // namespace

LatentDistribution AutoencoderKLImpl::encode(const torch::Tensor& x, const ActivationSink* sink)
{
    TORCH_CHECK(x.dim() == 4 && x.size(1) == m_config.inChannels, "VAE encode: input must be [B, ",
                m_config.inChannels, ", H, W], got ", x.sizes());
    return posterior(moments(x, sink));
}

torch::Tensor AutoencoderKLImpl::decodeRaw(const torch::Tensor& z, const ActivationSink* sink)
{
    torch::Tensor h = prepare(z);
    if (m_postQuantConv) {
        h = m_postQuantConv->forward(h);
        if (sink)
            (*sink)("post_quant_conv", h);
    }
    return m_decoder->forward(h, sink).to(z.scalar_type()).contiguous();
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z, const ActivationSink* sink)
{
    TORCH_CHECK(z.dim() == 4 && z.size(1) == m_config.latentChannels, "VAE decode: latents must be [B, ",
                m_config.latentChannels, ", h, w], got ", z.sizes());
    return decodeRaw(z, sink);
}

int64_t AutoencoderKLImpl::tileLatentSize() const
{
    return static_cast<int64_t>(double(m_config.sampleSize) / double(int64_t{1} << (m_config.blockOutChannels.size() - 1)));
}

LatentDistribution AutoencoderKLImpl::tiledEncode(const torch::Tensor& x)
{
    TORCH_CHECK(x.dim() == 4 && x.size(1) == m_config.inChannels, "VAE encode: input must be [B, ",
                m_config.inChannels, ", H, W], got ", x.sizes());
    const int64_t tile = tileSampleSize(), latentTile = tileLatentSize();
    if (x.size(2) <= tile && x.size(3) <= tile) return encode(x);
    const int64_t stride = static_cast<int64_t>(double(tile) * (1 - kTileOverlap));
    const int64_t extent = static_cast<int64_t>(double(latentTile) * kTileOverlap);
    return posterior(tiled(x, tile, stride, extent, latentTile - extent,
                           [&](const torch::Tensor& t) { return moments(t, nullptr); }));
}

torch::Tensor AutoencoderKLImpl::tiledDecode(const torch::Tensor& z)
{
    TORCH_CHECK(z.dim() == 4 && z.size(1) == m_config.latentChannels, "VAE decode: latents must be [B, ",
                m_config.latentChannels, ", h, w], got ", z.sizes());
    const int64_t tile = tileSampleSize(), latentTile = tileLatentSize();
    if (z.size(2) <= latentTile && z.size(3) <= latentTile) return decode(z);
    const int64_t stride = static_cast<int64_t>(double(latentTile) * (1 - kTileOverlap));
    const int64_t extent = static_cast<int64_t>(double(tile) * kTileOverlap);
    return tiled(z, latentTile, stride, extent, tile - extent,
                 [&](const torch::Tensor& t) { return decodeRaw(t, nullptr); });
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
