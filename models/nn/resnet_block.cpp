// ResnetBlock2D (see resnet_block.h); mirrors diffusers 0.25.1 models/resnet.py.
#include "models/nn/resnet_block.h"
#include "models/nn/cancel.h"

#include <ATen/ATen.h>

namespace inpaint::models::nn {

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetBlockOptions& opts) : options(opts)
{
    const auto& o = options;
    m_norm1 = register_module("norm1", makeGroupNorm(o.groups, o.inChannels, o.eps));
    m_conv1 = register_module("conv1", makeConv2d(o.inChannels, o.outChannels, 3, 1, 1));
    if (o.tembChannels > 0)
        m_timeEmbProj = register_module("time_emb_proj", makeLinear(o.tembChannels, o.outChannels));
    m_norm2 = register_module("norm2", makeGroupNorm(o.groups, o.outChannels, o.eps));
    m_conv2 = register_module("conv2", makeConv2d(o.outChannels, o.outChannels, 3, 1, 1));
    if (o.inChannels != o.outChannels)
        m_convShortcut = register_module("conv_shortcut", makeConv2d(o.inChannels, o.outChannels, 1, 1, 0));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb)
{
    throwIfCancelled();  // a cancel lands within one block (cancel.h)
    torch::Tensor h = m_conv1->forward(groupNormAct(m_norm1, x, options.act));
    if (m_timeEmbProj) {
        TORCH_CHECK(temb.defined(), "ResnetBlock2D: time embedding expected");
        torch::Tensor t = linear(m_timeEmbProj, applyActivation(temb, options.act));
        h.add_(t.unsqueeze(-1).unsqueeze(-1));
    }
    h = m_conv2->forward(groupNormAct(m_norm2, h, options.act));
    // (shortcut + h) / scale; addition is commutative in floating point, so adding into h is exact.
    h.add_(m_convShortcut ? m_convShortcut->forward(x) : x);
    if (options.outputScaleFactor != 1.0)
        h.div_(options.outputScaleFactor);
    return h;
}

}  // namespace inpaint::models::nn
