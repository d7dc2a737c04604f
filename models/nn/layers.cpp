// Shared layers (see layers.h).
#include "models/nn/layers.h"
#include "models/nn/op_profile.h"

#include "models/nn/bf16_rows.h"
#include "models/nn/group_norm_cl.h"

#include <ATen/ATen.h>
#include "models/nn/parallel.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

namespace inpaint::models::nn {

bool fusedKernels()
{
    static const bool on = [] {
        const char* v = std::getenv("INPAINT_FUSED");
        return !(v && std::string(v) == "0");
    }();
    return on;
}

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
    if (fusedKernels() && groupNormNchwBf16Applies(x, o.num_groups()))
        return groupNormNchwBf16(x, o.num_groups(), norm->weight, norm->bias, o.eps());
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
    const auto& o = norm->options;
    // SiLU (every ResNet and VAE block of SD) is fused; ATen's GELU gives other bits on a flat
    // block than on the whole tensor, so the other activations run after the norm as before.
    if (act == Activation::SiLU && fusedKernels() && groupNormChannelsLastApplies(x, o.num_groups()))
        return groupNormChannelsLast(x, o.num_groups(), norm->weight, norm->bias, o.eps(), act);
    if (act == Activation::SiLU && fusedKernels() && groupNormNchwBf16Applies(x, o.num_groups()))
        return groupNormNchwBf16(x, o.num_groups(), norm->weight, norm->bias, o.eps(), act);
    return applyActivation(groupNorm(norm, x), act, /*inPlace=*/true);
}

torch::Tensor geglu(const torch::Tensor& h)
{
    if (torch::Tensor fused = gegluBf16(h); fused.defined())
        return fused;
    const int64_t inner = h.size(-1) / 2;
    const torch::Tensor value = h.narrow(-1, 0, inner);
    const torch::Tensor gate = h.narrow(-1, inner, inner);
    if (!h.is_cpu() || !h.is_contiguous() || h.dim() < 2 || !fusedKernels()) {
        torch::Tensor g = at::gelu(gate);
        return g.mul_(value);
    }
    const int64_t rows = h.numel() / h.size(-1);
    std::vector<int64_t> outShape(h.sizes().begin(), h.sizes().end());
    outShape.back() = inner;
    torch::Tensor out = at::empty(outShape, h.options());
    const torch::Tensor v2 = value.reshape({rows, inner}), g2 = gate.reshape({rows, inner});
    const torch::Tensor o2 = out.view({rows, inner});
    // About 64 KiB of output per block: the gelu result is still in L2 when it is multiplied.
    const int64_t block = std::max<int64_t>(1, (int64_t{64} << 10) / (inner * h.element_size()));
    parallelFor(0, rows, block, [&](int64_t begin, int64_t end) {
        for (int64_t r0 = begin; r0 < end; r0 += block) {
            const int64_t n = std::min(end, r0 + block) - r0;
            torch::Tensor o = o2.narrow(0, r0, n);
            at::gelu_out(o, g2.narrow(0, r0, n));
            o.mul_(v2.narrow(0, r0, n));
        }
    });
    return out;
}

torch::Tensor linear(const torch::nn::Linear& layer, const torch::Tensor& x)
{
    return linear(x, layer->weight, layer->bias);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias)
{
    const OpTimer timer(OpKind::Linear);
    const int64_t in = x.size(-1), out = weight.size(0);
    const int64_t rows = in > 0 ? x.numel() / in : 0;
    // fp32 on the CPU: LibTorch 1.13 sends at::linear to OpenBLAS, which reached 36-80 GFLOP/s on
    // the UNet's shapes where oneDNN's 1x1 convolution reaches 190-300 (2-core EPYC; OpenBLAS
    // 0.3.21 has no AVX-512 kernels for it). The rows [R, in] are, as they lie in memory, a
    // channels-last image [1, in, R, 1], and the weight [out, in] a channels-last [out, in, 1, 1]
    // kernel, so the convolution reads both in place and writes [R, out] rows (the same sums,
    // accumulated in oneDNN's order).
    if (x.is_cpu() && x.scalar_type() == at::kFloat && weight.scalar_type() == at::kFloat && rows >= 16 &&
        weight.dim() == 2 && weight.is_contiguous()) {
        at::Tensor x2 = x.reshape({rows, in});
        if (x2.stride(1) != 1 || x2.stride(0) != in) x2 = x2.contiguous();
        const at::Tensor image = x2.as_strided({1, in, rows, 1}, {rows * in, 1, in, in});
        const at::Tensor kernel = weight.as_strided({out, in, 1, 1}, {in, 1, in, in});
        const at::Tensor y = at::conv2d(image, kernel, bias.defined() ? c10::optional<at::Tensor>(bias)
                                                                     : c10::optional<at::Tensor>());
        std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
        shape.back() = out;
        return y.permute({0, 2, 3, 1}).reshape(shape);  // a view when oneDNN wrote channels-last
    }
    return at::linear(x, weight, bias.defined() ? c10::optional<at::Tensor>(bias) : c10::optional<at::Tensor>());
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
    // NCHW: ATen's nearest kernel copies whole rows (on the 2-core EPYC 1.1 ms for a bf16
    // [2, 640, 32, 32], where the expand + reshape below, with its inner loops of 2, takes 10 ms).
    // The same values either way; LibTorch 1.13 has it on the CPU for fp32 and bf16 only.
    if (x.is_cpu() && (x.scalar_type() == at::kFloat || x.scalar_type() == at::kBFloat16) && x.is_contiguous())
        return at::upsample_nearest2d(x, std::vector<int64_t>{2 * H, 2 * W}, c10::nullopt, c10::nullopt);
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
