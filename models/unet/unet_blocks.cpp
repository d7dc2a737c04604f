// UNet blocks (see unet_blocks.h); mirrors diffusers 0.25.1 models/unet_2d_blocks.py.
#include "models/unet/unet_blocks.h"

#include <ATen/ATen.h>

namespace inpaint::models::unet {

namespace {

nn::ResnetBlockOptions resnetOptions(const BlockOptions& o, int64_t in, int64_t out, double scale = 1.0)
{
    nn::ResnetBlockOptions r;
    r.inChannels = in;
    r.outChannels = out;
    r.tembChannels = o.tembChannels;
    r.groups = o.groups;
    r.eps = o.eps;
    r.act = o.act;
    r.outputScaleFactor = scale;
    return r;
}

// Transformer2DModel(num_attention_heads, channels // num_attention_heads, in_channels=channels, ...).
Transformer2DModel makeTransformer(const BlockOptions& o, int64_t channels)
{
    Transformer2DOptions t = o.transformer;
    t.inChannels = channels;
    t.headDim = channels / t.heads;
    t.normGroups = o.groups;
    return Transformer2DModel(t);
}

}  // namespace

DownBlockImpl::DownBlockImpl(const BlockOptions& o)
{
    auto resnets = register_module("resnets", torch::nn::ModuleList());
    torch::nn::ModuleList attentions{nullptr};
    if (o.crossAttention)
        attentions = register_module("attentions", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.layers; ++i) {
        nn::ResnetBlock2D r(resnetOptions(o, i == 0 ? o.inChannels : o.outChannels, o.outChannels));
        resnets->push_back(r);
        m_resnets.push_back(r);
        if (o.crossAttention) {
            auto t = makeTransformer(o, o.outChannels);
            attentions->push_back(t);
            m_attentions.push_back(t);
        }
    }
    if (o.resample) {
        m_downsampler = nn::Downsample2D(o.outChannels, o.outChannels, o.downsamplePadding);
        register_module("downsamplers", torch::nn::ModuleList(m_downsampler));
    }
}

torch::Tensor DownBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context,
                                     std::vector<torch::Tensor>& skips)
{
    for (size_t i = 0; i < m_resnets.size(); ++i) {
        x = m_resnets[i]->forward(x, temb);
        if (!m_attentions.empty())
            x = m_attentions[i]->forward(x, context);
        skips.push_back(x);
    }
    if (m_downsampler) {
        x = m_downsampler->forward(x);
        skips.push_back(x);
    }
    return x;
}

MidBlockCrossAttnImpl::MidBlockCrossAttnImpl(const BlockOptions& o, double outputScaleFactor)
{
    auto resnets = register_module("resnets", torch::nn::ModuleList());
    auto attentions = register_module("attentions", torch::nn::ModuleList());
    const int64_t ch = o.inChannels;
    nn::ResnetBlock2D first(resnetOptions(o, ch, ch, outputScaleFactor));
    resnets->push_back(first);
    m_resnets.push_back(first);
    for (int64_t i = 0; i < o.layers; ++i) {
        auto t = makeTransformer(o, ch);
        attentions->push_back(t);
        m_attentions.push_back(t);
        nn::ResnetBlock2D r(resnetOptions(o, ch, ch, outputScaleFactor));
        resnets->push_back(r);
        m_resnets.push_back(r);
    }
}

torch::Tensor MidBlockCrossAttnImpl::forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context)
{
    x = m_resnets[0]->forward(x, temb);
    for (size_t i = 0; i < m_attentions.size(); ++i) {
        x = m_attentions[i]->forward(x, context);
        x = m_resnets[i + 1]->forward(x, temb);
    }
    return x;
}

UpBlockImpl::UpBlockImpl(const BlockOptions& o)
{
    auto resnets = register_module("resnets", torch::nn::ModuleList());
    torch::nn::ModuleList attentions{nullptr};
    if (o.crossAttention)
        attentions = register_module("attentions", torch::nn::ModuleList());
    for (int64_t i = 0; i < o.layers; ++i) {
        // Skip channels: the last resnet takes the block input's level, the others this level.
        const int64_t skip = i == o.layers - 1 ? o.inChannels : o.outChannels;
        const int64_t in = i == 0 ? o.prevOutChannels : o.outChannels;
        nn::ResnetBlock2D r(resnetOptions(o, in + skip, o.outChannels));
        resnets->push_back(r);
        m_resnets.push_back(r);
        if (o.crossAttention) {
            auto t = makeTransformer(o, o.outChannels);
            attentions->push_back(t);
            m_attentions.push_back(t);
        }
    }
    if (o.resample) {
        m_upsampler = nn::Upsample2D(o.outChannels, o.outChannels);
        register_module("upsamplers", torch::nn::ModuleList(m_upsampler));
    }
}

torch::Tensor UpBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb, const torch::Tensor& context,
                                   std::vector<torch::Tensor>& skips,
                                   std::optional<std::pair<int64_t, int64_t>> upsampleSize)
{
    for (size_t i = 0; i < m_resnets.size(); ++i) {
        TORCH_CHECK(!skips.empty(), "UNet up block: no skip connection left");
        torch::Tensor skip = std::move(skips.back());
        skips.pop_back();
        // cat keeps channels-last when both inputs are channels-last.
        x = at::cat({x, skip}, 1);
        skip = torch::Tensor();
        x = m_resnets[i]->forward(x, temb);
        if (!m_attentions.empty())
            x = m_attentions[i]->forward(x, context);
    }
    if (m_upsampler)
        x = m_upsampler->forward(x, upsampleSize);
    return x;
}

}  // namespace inpaint::models::unet
