// UNet2DConditionModel (see unet_2d_condition.h); mirrors diffusers 0.25.1
// models/unet_2d_condition.py (__init__ and forward, without the adapter/ControlNet extras).
#include "models/unet/unet_2d_condition.h"

#include "models/errors.h"
#include "models/io/state_dict.h"

#include <ATen/ATen.h>

#include <algorithm>

namespace inpaint::models {

UNet2DConditionModelImpl::UNet2DConditionModelImpl(const UNet2DConditionConfig& config)
    : m_config(config), m_act(nn::parseActivation(config.actFn, "act_fn"))
{
    const auto& c = m_config;
    c.validate();
    const size_t n = c.blockOutChannels.size();
    const int64_t tembDim = c.timeEmbedDim();

    m_convIn = register_module("conv_in", nn::makeConv2d(c.inChannels, c.blockOutChannels[0], 3, 1, 1));
    m_timeEmbedding =
        register_module("time_embedding", unet::TimestepEmbedding(c.blockOutChannels[0], tembDim, m_act));
    // text_time (SDXL): add_time_proj = Timesteps(addition_time_embed_dim, flip_sin_to_cos,
    // freq_shift) has no parameters; add_embedding = TimestepEmbedding(projection_class_
    // embeddings_input_dim, time_embed_dim) with diffusers' default act_fn "silu" (not act_fn).
    if (c.hasTextTimeEmbedding())
        m_addEmbedding = register_module(
            "add_embedding",
            unet::TimestepEmbedding(c.projectionClassEmbeddingsInputDim, tembDim, nn::Activation::SiLU));

    auto blockBase = [&](size_t i) {
        unet::BlockOptions o;
        o.tembChannels = tembDim;
        o.groups = c.normNumGroups;
        o.eps = c.normEps;
        o.act = m_act;
        o.transformer.heads = c.numAttentionHeads[i];
        o.transformer.layers = c.transformerLayersPerBlock[i];
        o.transformer.crossAttentionDim = c.crossAttentionDim[i];
        o.transformer.useLinearProjection = c.useLinearProjection;
        o.transformer.upcastAttention = c.upcastAttention;
        return o;
    };

    auto downBlocks = register_module("down_blocks", torch::nn::ModuleList());
    int64_t outCh = c.blockOutChannels[0];
    for (size_t i = 0; i < n; ++i) {
        unet::BlockOptions o = blockBase(i);
        o.inChannels = outCh;
        outCh = c.blockOutChannels[i];
        o.outChannels = outCh;
        o.layers = c.layersPerBlock[i];
        o.crossAttention = c.downBlockTypes[i] == "CrossAttnDownBlock2D";
        o.resample = i + 1 < n;
        o.downsamplePadding = c.downsamplePadding;
        unet::DownBlock b(o);
        downBlocks->push_back(b);
        m_down.push_back(b);
    }

    {
        unet::BlockOptions o = blockBase(n - 1);
        o.inChannels = c.blockOutChannels.back();
        o.layers = 1;
        o.transformer.layers = c.transformerLayersPerBlock.back();  // diffusers: transformer_layers_per_block[-1]
        m_mid = register_module("mid_block", unet::MidBlockCrossAttn(o, c.midBlockScaleFactor));
    }

    auto upBlocks = register_module("up_blocks", torch::nn::ModuleList());
    std::vector<int64_t> rch(c.blockOutChannels.rbegin(), c.blockOutChannels.rend());
    std::vector<int64_t> rlayers(c.layersPerBlock.rbegin(), c.layersPerBlock.rend());
    outCh = rch[0];
    for (size_t i = 0; i < n; ++i) {
        const size_t bi = n - 1 - i;  // the matching down block (per-block lists are reversed)
        unet::BlockOptions o = blockBase(bi);
        o.transformer.layers = c.upTransformerLayers(i);  // reverse_transformer_layers_per_block[i]
        o.prevOutChannels = outCh;
        outCh = rch[i];
        o.outChannels = outCh;
        o.inChannels = rch[std::min(i + 1, n - 1)];
        o.layers = rlayers[i] + 1;
        o.crossAttention = c.upBlockTypes[i] == "CrossAttnUpBlock2D";
        o.resample = i + 1 < n;
        unet::UpBlock b(o);
        upBlocks->push_back(b);
        m_up.push_back(b);
    }

    m_convNormOut = register_module("conv_norm_out",
                                    nn::makeGroupNorm(c.normNumGroups, c.blockOutChannels[0], c.normEps));
    m_convOut = register_module("conv_out", nn::makeConv2d(c.blockOutChannels[0], c.outChannels, 3, 1, 1));
    if (m_channelsLast)
        nn::convertConvWeightsToChannelsLast(*this);
}

torch::Tensor UNet2DConditionModelImpl::addedEmbedding(const UNetAddedCond& added, int64_t batch,
                                                       torch::Dtype dtype, torch::Device device,
                                                       const ActivationSink* sink)
{
    // diffusers 0.25.1 get_aug_embed, addition_embed_type == "text_time".
    const auto& c = m_config;
    const int64_t timeDim = c.additionTimeEmbedDim;
    const int64_t textDim = c.projectionClassEmbeddingsInputDim - 6 * timeDim;
    const std::string need = "UNet: this UNet has addition_embed_type \"text_time\" (SDXL) and needs the added "
                             "conditioning text_embeds [B, " + std::to_string(textDim) + "] and time_ids [B, 6]";
    if (!added.textEmbeds.defined() || !added.timeIds.defined())
        throw ConfigError(need + (added.textEmbeds.defined() ? "; time_ids is missing"
                                  : added.timeIds.defined()  ? "; text_embeds is missing"
                                                             : "; it was called without them"));
    auto fitBatch = [&](torch::Tensor t, int64_t width, const char* name) {
        if (t.dim() != 2 || t.size(1) != width || (t.size(0) != 1 && t.size(0) != batch))
            throw ConfigError(need + "; got " + name + " of shape " + c10::str(t.sizes()) + " for batch " +
                              std::to_string(batch));
        return t.size(0) == batch ? t : t.expand({batch, width});
    };
    const torch::Tensor textEmbeds = fitBatch(added.textEmbeds.to(device), textDim, "text_embeds");
    const torch::Tensor timeIds = fitBatch(added.timeIds.to(device), 6, "time_ids");
    // add_time_proj(time_ids.flatten()) -> [B*6, D] (float32) -> [B, 6*D]; concat after text_embeds.
    torch::Tensor timeEmbeds =
        unet::timestepProjection(timeIds.reshape({-1}), timeDim, c.flipSinToCos, c.freqShift);
    if (sink)
        (*sink)("add_time_proj", timeEmbeds);
    timeEmbeds = timeEmbeds.reshape({batch, -1});
    torch::Tensor addEmbeds = at::cat({textEmbeds.to(timeEmbeds.scalar_type()), timeEmbeds}, -1).to(dtype);
    torch::Tensor aug = m_addEmbedding->forward(addEmbeds);
    if (sink)
        (*sink)("add_embedding", aug);
    return aug;
}

void UNet2DConditionModelImpl::setChannelsLast(bool on)
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

void UNet2DConditionModelImpl::loadWeights(const std::map<std::string, torch::Tensor>& weights,
                                           const std::string& what)
{
    loadStateDictStrict(*this, weights, what);
    nn::invalidatePackedConvs(*this);
    // The loader copies into the existing parameters; make sure their layout is still ours.
    setChannelsLast(m_channelsLast);
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sampleIn, const torch::Tensor& timestep,
                                                const torch::Tensor& context, const ActivationSink* sink)
{
    return forward(sampleIn, timestep, context, UNetAddedCond{}, sink);
}

torch::Tensor UNet2DConditionModelImpl::forward(const torch::Tensor& sampleIn, const torch::Tensor& timestep,
                                                const torch::Tensor& context, const UNetAddedCond& added,
                                                const ActivationSink* sink)
{
    const auto& c = m_config;
    TORCH_CHECK(sampleIn.dim() == 4 && sampleIn.size(1) == c.inChannels, "UNet: sample must be [B, ",
                c.inChannels, ", H, W], got ", sampleIn.sizes());
    TORCH_CHECK(context.dim() == 3 && context.size(0) == sampleIn.size(0), "UNet: encoder_hidden_states must be [",
                sampleIn.size(0), ", M, D], got ", context.sizes());
    const int64_t B = sampleIn.size(0);
    const auto dtype = nn::moduleDtype(*this);
    const auto device = nn::moduleDevice(*this);
    auto emit = [&](const char* name, const torch::Tensor& t) {
        if (sink)
            (*sink)(name, t);
    };

    torch::Tensor sample = sampleIn.to(device, dtype);
    if (m_channelsLast)
        sample = sample.contiguous(at::MemoryFormat::ChannelsLast);
    if (c.centerInputSample)
        sample = sample * 2.0 - 1.0;
    const torch::Tensor ctx = context.to(device, dtype);

    // 1. time
    torch::Tensor t = timestep.to(device);
    if (t.dim() == 0)
        t = t.unsqueeze(0);
    TORCH_CHECK(t.dim() == 1 && (t.size(0) == 1 || t.size(0) == B), "UNet: timestep must be a scalar, [1] or [B]");
    t = t.expand({B});
    torch::Tensor tEmb = unet::timestepProjection(t, c.blockOutChannels[0], c.flipSinToCos, c.freqShift);
    emit("time_proj", tEmb);
    tEmb = tEmb.to(dtype);
    torch::Tensor emb = m_timeEmbedding->forward(tEmb);
    emit("time_embedding", emb);
    if (c.hasTextTimeEmbedding())
        emb = emb + addedEmbedding(added, B, dtype, device, sink);

    // 2. pre-process
    torch::Tensor x = m_convIn->forward(sample);
    emit("conv_in", x);

    // 3. down
    std::vector<torch::Tensor> skips{x};
    for (size_t i = 0; i < m_down.size(); ++i) {
        x = m_down[i]->forward(x, emb, ctx, skips);
        emit(("down_blocks." + std::to_string(i)).c_str(), x);
    }

    // 4. mid
    x = m_mid->forward(x, emb, ctx);
    emit("mid_block", x);

    // 5. up. Each upsampler produces the size of the skip it will meet next, which is what
    // diffusers' forward_upsample_size does for latents that are not a multiple of the stride.
    for (size_t i = 0; i < m_up.size(); ++i) {
        std::optional<std::pair<int64_t, int64_t>> upSize;
        const size_t remaining = skips.size() - static_cast<size_t>(m_up[i]->resnetCount());
        if (i + 1 < m_up.size() && remaining > 0) {
            const auto& next = skips[remaining - 1];
            upSize = std::make_pair(next.size(2), next.size(3));
        }
        x = m_up[i]->forward(x, emb, ctx, skips, upSize);
        emit(("up_blocks." + std::to_string(i)).c_str(), x);
    }

    // 6. post-process. "conv_norm_out" (the GroupNorm alone, before the activation) is computed
    // separately for a sink only; the model path keeps the fused GroupNorm + activation.
    if (sink)
        emit("conv_norm_out", nn::groupNorm(m_convNormOut, x));
    x = m_convOut->forward(nn::groupNormAct(m_convNormOut, x, m_act));
    emit("conv_out", x);
    return x.to(sampleIn.scalar_type()).contiguous();
}

}  // namespace inpaint::models
