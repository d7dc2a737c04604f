// VAE Encoder / Decoder and their blocks (see vae_blocks.h).
#include "models/vae/vae_blocks.h"

#include <ATen/ATen.h>

namespace inpaint::models::vae {

namespace {

constexpr double kVaeEps = 1e-6;  // resnet_eps / attention eps / norm eps of diffusers' Encoder and Decoder

nn::ResnetBlockOptions resnetOptions(int64_t in, int64_t out, int64_t groups, nn::Activation act)
{
    nn::ResnetBlockOptions o;
    o.inChannels = in;
    o.outChannels = out;
    o.groups = groups;
    o.eps = kVaeEps;
    o.act = act;
    return o;
}

}  // namespace

MidBlockImpl::MidBlockImpl(int64_t channels, int64_t groups, nn::Activation act, bool addAttention)
{
    auto resnets = register_module("resnets", torch::nn::ModuleList());
    for (int i = 0; i < 2; ++i) {
        nn::ResnetBlock2D r(resnetOptions(channels, channels, groups, act));
        resnets->push_back(r);
        m_resnets.push_back(r);
    }
    if (addAttention) {
        // One head of size `channels` (attention_head_dim = block_out_channels[-1]).
        nn::AttentionLayerOptions a;
        a.queryDim = channels;
        a.heads = 1;
        a.dimHead = channels;
        a.bias = true;
        a.upcast = true;  // upcast_softmax=True
        a.normGroups = groups;
        a.normEps = kVaeEps;
        a.residualConnection = true;
        m_attention = nn::AttentionLayer(a);
        register_module("attentions", torch::nn::ModuleList(m_attention));
    }
}

torch::Tensor MidBlockImpl::forward(const torch::Tensor& x)
{
    torch::Tensor h = m_resnets[0]->forward(x);
    if (m_attention)
        h = m_attention->forward(h);
    return m_resnets[1]->forward(h);
}

ResnetStackImpl::ResnetStackImpl(int64_t in, int64_t out, int64_t layers, int64_t groups, nn::Activation act,
                                 Resample resample)
{
    auto resnets = register_module("resnets", torch::nn::ModuleList());
    for (int64_t i = 0; i < layers; ++i) {
        nn::ResnetBlock2D r(resnetOptions(i == 0 ? in : out, out, groups, act));
        resnets->push_back(r);
        m_resnets.push_back(r);
    }
    if (resample == Resample::Down) {
        m_down = nn::Downsample2D(out, out, /*padding=*/0);
        register_module("downsamplers", torch::nn::ModuleList(m_down));
    } else if (resample == Resample::Up) {
        m_up = nn::Upsample2D(out, out);
        register_module("upsamplers", torch::nn::ModuleList(m_up));
    }
}

torch::Tensor ResnetStackImpl::forward(torch::Tensor x)
{
    for (auto& r : m_resnets)
        x = r->forward(x);
    if (m_down)
        x = m_down->forward(x);
    if (m_up)
        x = m_up->forward(x);
    return x;
}

EncoderImpl::EncoderImpl(const AutoencoderKLConfig& c) : m_act(nn::parseActivation(c.actFn, "act_fn"))
{
    const auto& ch = c.blockOutChannels;
    m_convIn = register_module("conv_in", nn::makeConv2d(c.inChannels, ch[0], 3, 1, 1));
    auto down = register_module("down_blocks", torch::nn::ModuleList());
    int64_t out = ch[0];
    for (size_t i = 0; i < ch.size(); ++i) {
        const int64_t in = out;
        out = ch[i];
        const bool last = i + 1 == ch.size();
        ResnetStack s(in, out, c.layersPerBlock, c.normNumGroups, m_act,
                      last ? ResnetStackImpl::Resample::None : ResnetStackImpl::Resample::Down);
        down->push_back(s);
        m_down.push_back(s);
    }
    m_mid = register_module("mid_block", MidBlock(ch.back(), c.normNumGroups, m_act, c.midBlockAddAttention));
    m_normOut = register_module("conv_norm_out", nn::makeGroupNorm(c.normNumGroups, ch.back(), kVaeEps));
    m_convOut = register_module("conv_out", nn::makeConv2d(ch.back(), 2 * c.latentChannels, 3, 1, 1));
}

torch::Tensor EncoderImpl::forward(const torch::Tensor& input, const Sink* sink)
{
    auto emit = [&](const std::string& name, const torch::Tensor& t) {
        if (sink)
            (*sink)("encoder." + name, t);
    };
    torch::Tensor x = m_convIn->forward(input);
    for (size_t i = 0; i < m_down.size(); ++i) {
        x = m_down[i]->forward(x);
        emit("down_blocks." + std::to_string(i), x);
    }
    x = m_mid->forward(x);
    emit("mid_block", x);
    x = m_convOut->forward(nn::groupNormAct(m_normOut, x, m_act));
    emit("conv_out", x);
    return x;
}

DecoderImpl::DecoderImpl(const AutoencoderKLConfig& c) : m_act(nn::parseActivation(c.actFn, "act_fn"))
{
    const auto& ch = c.blockOutChannels;
    m_convIn = register_module("conv_in", nn::makeConv2d(c.latentChannels, ch.back(), 3, 1, 1));
    m_mid = register_module("mid_block", MidBlock(ch.back(), c.normNumGroups, m_act, c.midBlockAddAttention));
    auto up = register_module("up_blocks", torch::nn::ModuleList());
    std::vector<int64_t> rch(ch.rbegin(), ch.rend());
    int64_t out = rch[0];
    for (size_t i = 0; i < rch.size(); ++i) {
        const int64_t prev = out;
        out = rch[i];
        const bool last = i + 1 == rch.size();
        ResnetStack s(prev, out, c.layersPerBlock + 1, c.normNumGroups, m_act,
                      last ? ResnetStackImpl::Resample::None : ResnetStackImpl::Resample::Up);
        up->push_back(s);
        m_up.push_back(s);
    }
    m_normOut = register_module("conv_norm_out", nn::makeGroupNorm(c.normNumGroups, ch[0], kVaeEps));
    m_convOut = register_module("conv_out", nn::makeConv2d(ch[0], c.outChannels, 3, 1, 1));
}

torch::Tensor DecoderImpl::forward(const torch::Tensor& z, const Sink* sink)
{
    auto emit = [&](const std::string& name, const torch::Tensor& t) {
        if (sink)
            (*sink)("decoder." + name, t);
    };
    torch::Tensor x = m_convIn->forward(z);
    x = m_mid->forward(x);
    emit("mid_block", x);
    for (size_t i = 0; i < m_up.size(); ++i) {
        x = m_up[i]->forward(x);
        emit("up_blocks." + std::to_string(i), x);
    }
    x = m_convOut->forward(nn::groupNormAct(m_normOut, x, m_act));
    emit("conv_out", x);
    return x;
}

}  // namespace inpaint::models::vae
