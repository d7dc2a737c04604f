// Conv2d with oneDNN weight prepacking (see conv.h).
#include "models/nn/conv.h"
#include "models/nn/op_profile.h"

#include "models/nn/cpu_features.h"

#include <ATen/ATen.h>
#include <torch/nn/init.h>

#include <atomic>
#include <cmath>

namespace inpaint::models::nn {

namespace {

std::atomic<ConvBackend> g_backend{ConvBackend::Auto};

int64_t versionOf(const torch::Tensor& t)
{
    // Inference tensors (made under InferenceMode) have no version counter; they cannot be
    // modified in place outside InferenceMode either, and loads call invalidatePacked().
    return t.is_inference() ? -1 : static_cast<int64_t>(t._version());
}

}  // namespace

void setConvBackend(ConvBackend backend)
{
    g_backend.store(backend);
}

ConvBackend convBackend()
{
    return g_backend.load();
}

bool packedConvActive(c10::ScalarType dtype)
{
    const ConvBackend b = g_backend.load();
    if (b == ConvBackend::Dense)
        return false;
    if (!at::hasMKLDNN() || !at::globalContext().userEnabledMkldnn())
        return false;
    // oneDNN's packed bf16 convolution needs AVX-512 (BW, VL, DQ); without it LibTorch refuses the
    // packed bf16 weight, while its dense bf16 path still works.
    return dtype == at::kFloat || (dtype == at::kBFloat16 && cpuHasAvx512Core());
}

Conv2dImpl::Conv2dImpl(const Conv2dOptions& o) : options(o)
{
    weight = register_parameter("weight", torch::empty({o.out, o.in, o.kernel, o.kernel}));
    if (o.bias)
        bias = register_parameter("bias", torch::empty({o.out}));
    // torch::nn::Conv2d's default initialisation (only visible with random weights, e.g. the bench).
    torch::NoGradGuard g;
    torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
    if (o.bias) {
        const double bound = 1.0 / std::sqrt(static_cast<double>(o.in * o.kernel * o.kernel));
        torch::nn::init::uniform_(bias, -bound, bound);
    }
}

void Conv2dImpl::invalidatePacked()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    m_packed = torch::Tensor();
    m_packedFrom = nullptr;
}

void Conv2dImpl::prepack()
{
    torch::NoGradGuard noGrad;
    if (weight.is_cpu() && !weight.is_mkldnn() && packedConvActive(weight.scalar_type()))
        (void)packedWeight();
}

torch::Tensor Conv2dImpl::packedWeight()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const void* from = weight.data_ptr();
    const int64_t version = versionOf(weight);
    if (!m_packed.defined() || m_packedFrom != from || m_packedVersion != version ||
        m_packedDtype != weight.scalar_type()) {
        const int64_t p = options.padding, s = options.stride;
        m_packed = at::mkldnn_reorder_conv2d_weight(weight.contiguous().to_mkldnn(), {p, p}, {s, s}, {1, 1}, 1);
        m_packedFrom = from;
        m_packedVersion = version;
        m_packedDtype = weight.scalar_type();
    }
    return m_packed;
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x)
{
    const OpTimer timer(OpKind::Conv);
    const int64_t p = options.padding, s = options.stride;
    if (x.is_cpu() && !x.is_mkldnn() && x.scalar_type() == weight.scalar_type() && packedConvActive(x.scalar_type())) {
        return at::mkldnn_convolution(x, packedWeight(), bias.defined() ? c10::optional<at::Tensor>(bias) : c10::nullopt,
                                      {p, p}, {s, s}, {1, 1}, 1);
    }
    return at::conv2d(x, weight, bias, {s, s}, {p, p});
}

void invalidatePackedConvs(torch::nn::Module& module)
{
    for (auto& m : module.modules(/*include_self=*/true)) {
        if (auto* conv = dynamic_cast<Conv2dImpl*>(m.get()))
            conv->invalidatePacked();
    }
}

void prepackConvs(torch::nn::Module& module)
{
    for (auto& m : module.modules(/*include_self=*/true)) {
        if (auto* conv = dynamic_cast<Conv2dImpl*>(m.get()))
            conv->prepack();
    }
}

}  // namespace inpaint::models::nn
