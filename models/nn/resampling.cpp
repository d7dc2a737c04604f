// Downsample2D / Upsample2D (see resampling.h).
#include "models/nn/resampling.h"

#include <ATen/ATen.h>

namespace inpaint::models::nn {

Downsample2DImpl::Downsample2DImpl(int64_t channels, int64_t outChannels, int64_t padding)
    : m_channels(channels), m_outChannels(outChannels), m_padding(padding)
{
    m_conv = register_module("conv", makeConv2d(m_channels, m_outChannels, 3, 2, m_padding));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x)
{
    if (m_padding == 0)
        return m_conv->forward(at::constant_pad_nd(x, {0, 1, 0, 1}, 0));
    return m_conv->forward(x);
}

Upsample2DImpl::Upsample2DImpl(int64_t channels, int64_t outChannels)
    : m_channels(channels), m_outChannels(outChannels)
{
    m_conv = register_module("conv", makeConv2d(m_channels, m_outChannels, 3, 1, 1));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x, std::optional<std::pair<int64_t, int64_t>> size)
{
    torch::Tensor up;
    if (!size || (size->first == 2 * x.size(2) && size->second == 2 * x.size(3))) {
        up = upsampleNearest2x(x);
    } else {
        // Odd skip sizes (latents not a multiple of the UNet's total stride): diffusers passes
        // the skip's size to F.interpolate. Nearest has no half-precision CPU kernel in 1.13.
        const bool reduced = x.scalar_type() != at::kFloat && x.scalar_type() != at::kDouble;
        torch::Tensor xf = reduced && x.is_cpu() ? x.to(at::kFloat) : x;
        up = at::upsample_nearest2d(xf, std::vector<int64_t>{size->first, size->second}, c10::nullopt,
                                    c10::nullopt);
        up = up.to(x.scalar_type());
    }
    return m_conv->forward(up);
}

}  // namespace inpaint::models::nn
