// Shared layers (see layers.h).
#include "models/nn/layers.h"
#include "models/nn/op_profile.h"

#include "models/nn/group_norm_cl.h"

#include <ATen/ATen.h>

namespace inpaint::models::nn {

Conv2d makeConv2d(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias)
{
    Conv2dOptions o;
    o.in = in;
    o.out = out;
    o.kernel = kernel;
    o.stride = stride;
    o.padding = padding;
    o.bias = bias;
    return Conv2d(o);
}

torch::nn::GroupNorm makeGroupNorm(int64_t groups, int64_t channels, double eps)
{
    return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps).affine(true));
}

torch::nn::Linear makeLinear(int64_t in, int64_t out, bool bias)
{
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

torch::Tensor groupNorm(const torch::nn::GroupNorm& norm, const torch::Tensor& x)
{
    const OpTimer timer(OpKind::Norm);
    const auto& o = norm->options;
    if (groupNormChannelsLastApplies(x, o.num_groups()))
        return groupNormChannelsLast(x, o.num_groups(), norm->weight, norm->bias, o.eps());
    const bool reduced = x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16;
    if (reduced && x.is_cpu()) {
        torch::Tensor y = at::group_norm(x.to(at::kFloat), o.num_groups(), norm->weight.to(at::kFloat),
                                         norm->bias.to(at::kFloat), o.eps(), /*cudnn_enabled=*/false);
        return y.to(x.scalar_type());
    }
    return at::group_norm(x, o.num_groups(), norm->weight, norm->bias, o.eps(), /*cudnn_enabled=*/true);
}

torch::Tensor groupNormAct(const torch::nn::GroupNorm& norm, const torch::Tensor& x, Activation act)
{
    const OpTimer timer(OpKind::Norm);
    return applyActivation(groupNorm(norm, x), act, /*inPlace=*/true);
}

torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x)
{
    const OpTimer timer(OpKind::Linear);
    return at::linear(x, layer->weight, layer->bias.defined() ? c10::optional<at::Tensor>(layer->bias)
                                                               : c10::optional<at::Tensor>());
}

torch::Tensor upsampleNearest2x(const torch::Tensor& x)
{
    const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
    if (x.is_contiguous(at::MemoryFormat::ChannelsLast) && !x.is_contiguous()) {
        // Physically [B, H, W, C]: repeat rows and columns in that layout.
        return x.permute({0, 2, 3, 1})
            .unsqueeze(2)
            .unsqueeze(4)
            .expand({B, H, 2, W, 2, C})
            .reshape({B, 2 * H, 2 * W, C})
            .permute({0, 3, 1, 2});
    }
    return x.unsqueeze(3).unsqueeze(5).expand({B, C, H, 2, W, 2}).reshape({B, C, 2 * H, 2 * W});
}

void convertConvWeightsToChannelsLast(torch::nn::Module& module)
{
    torch::NoGradGuard noGrad;
    for (auto& p : module.parameters(/*recurse=*/true)) {
        if (p.dim() == 4)
            p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
}

c10::ScalarType moduleDtype(const torch::nn::Module& module)
{
    auto params = module.parameters(true);
    return params.empty() ? at::kFloat : params.front().scalar_type();
}

c10::Device moduleDevice(const torch::nn::Module& module)
{
    auto params = module.parameters(true);
    return params.empty() ? c10::Device(c10::kCPU) : params.front().device();
}

int64_t parameterCount(const torch::nn::Module& module)
{
    int64_t n = 0;
    for (const auto& p : module.parameters(true))
        n += p.numel();
    return n;
}

}  // namespace inpaint::models::nn
