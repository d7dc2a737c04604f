// Conv2d with oneDNN weight prepacking (see conv.h).
#include "models/nn/conv.h"
#include "models/nn/op_profile.h"

#include "models/nn/cpu_features.h"

#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/stack.h>
#include <torch/nn/init.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <string>

namespace inpaint::models::nn {

namespace {

// INPAINT_CONV_PACK=0 starts the process on the dense path (no packed copy of any conv weight:
// less memory, slower steps; README, Speed), =1 on the packed one; otherwise Auto.
ConvBackend initialBackend()
{
    const char* env = std::getenv("INPAINT_CONV_PACK");
    if (env && std::string(env) == "0") return ConvBackend::Dense;
    if (env && std::string(env) == "1") return ConvBackend::Packed;
    return ConvBackend::Auto;
}

std::atomic<ConvBackend> g_backend{initialBackend()};

int64_t versionOf(const torch::Tensor& t)
{
    // Inference tensors (made under InferenceMode) have no version counter; they cannot be
    // modified in place outside InferenceMode either, and loads call invalidatePacked().
    return t.is_inference() ? -1 : static_cast<int64_t>(t._version());
}

// oneDNN's convolution-context operators, looked up once (absent in builds without oneDNN).
struct PrepackedOps {
    c10::optional<c10::OperatorHandle> prepack, run;
};

const PrepackedOps& prepackedOps()
{
    static const PrepackedOps ops = [] {
        PrepackedOps o;
        if (!at::hasMKLDNN())
            return o;
        auto& d = c10::Dispatcher::singleton();
        o.prepack = d.findSchema({"mkldnn_prepacked::conv2d_prepack", ""});
        o.run = d.findSchema({"mkldnn_prepacked::conv2d_run", ""});
        if (!o.prepack || !o.run)
            o.prepack.reset(), o.run.reset();
        return o;
    }();
    return ops;
}

bool isChannelsLast(const torch::Tensor& t)
{
    return t.dim() == 4 && t.suggest_memory_format() == at::MemoryFormat::ChannelsLast;
}

}  // namespace

bool channelsLastPackAvailable()
{
    return prepackedOps().prepack.has_value();
}

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
    // fp32 keeps no packed copies unless asked (Packed, INPAINT_CONV_PACK=1): on the 2-core Intel
    // Xeon the dense channels-last path ran the fp32 UNet as fast (batch 2 at 32x32: 1.79 against
    // 1.76 s packed; at 64x64 6.91 against 6.95 s through the pipeline) and the VAE no slower, while
    // the copies cost 2.1 GiB of an SD 1.5 job's peak (8.85 -> 6.72 GiB, inpaint-bench --job).
    if (b == ConvBackend::Auto && dtype == at::kFloat)
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
    m_context = c10::IValue();
    m_packedKey = PackKey();
    m_contextKey = PackKey();
}

bool Conv2dImpl::contextFor(bool channelsLastInput) const
{
    if (!channelsLastPackAvailable() || !weight.is_contiguous(at::MemoryFormat::ChannelsLast))
        return false;
    return options.kernel == 1 ? channelsLastInput : isChannelsLast(weight);
}

void Conv2dImpl::prepack()
{
    torch::NoGradGuard noGrad;
    if (!weight.is_cpu() || weight.is_mkldnn() || !packedConvActive(weight.scalar_type()))
        return;
    // The copy the forward will use (a 1x1 weight, whose layouts coincide, packs the context, as
    // channels-last models feed it channels-last inputs).
    if (contextFor(/*channelsLastInput=*/true))
        (void)packedContext();
    else
        (void)packedWeight();
}

Conv2dImpl::PackKey Conv2dImpl::keyOfWeight() const
{
    return {weight.data_ptr(), versionOf(weight), weight.scalar_type()};
}

bool Conv2dImpl::stale(const PackKey& key) const
{
    const PackKey now = keyOfWeight();
    return key.from != now.from || key.version != now.version || key.dtype != now.dtype;
}

torch::Tensor Conv2dImpl::packedWeight()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_packed.defined() || stale(m_packedKey)) {
        const int64_t p = options.padding, s = options.stride;
        m_packed = at::mkldnn_reorder_conv2d_weight(weight.contiguous().to_mkldnn(), {p, p}, {s, s}, {1, 1}, 1);
        m_packedKey = keyOfWeight();
    }
    return m_packed;
}

c10::IValue Conv2dImpl::packedContext()
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_context.isNone() || stale(m_contextKey)) {
        const int64_t p = options.padding, s = options.stride;
        // The input size only steers oneDNN's choice of weight layout (see packedContext in conv.h).
        const std::vector<int64_t> inputSize{1, options.in, 64, 64};
        torch::jit::Stack stack;
        stack.emplace_back(weight.contiguous(at::MemoryFormat::ChannelsLast));
        stack.emplace_back(bias.defined() ? c10::IValue(bias) : c10::IValue());
        stack.emplace_back(std::vector<int64_t>{s, s});
        stack.emplace_back(std::vector<int64_t>{p, p});
        stack.emplace_back(std::vector<int64_t>{1, 1});
        stack.emplace_back(int64_t{1});
        stack.emplace_back(inputSize);
        stack.emplace_back(std::string("none"));
        prepackedOps().prepack->callBoxed(&stack);
        m_context = std::move(stack.at(0));
        m_contextKey = keyOfWeight();
    }
    return m_context;
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x)
{
    const OpTimer timer(OpKind::Conv);
    const int64_t p = options.padding, s = options.stride;
    if (x.is_cpu() && !x.is_mkldnn() && x.scalar_type() == weight.scalar_type() && packedConvActive(x.scalar_type())) {
        if (contextFor(isChannelsLast(x))) {
            torch::jit::Stack stack;
            stack.emplace_back(isChannelsLast(x) ? x : x.contiguous(at::MemoryFormat::ChannelsLast));
            stack.emplace_back(packedContext());
            prepackedOps().run->callBoxed(&stack);
            return stack.at(0).toTensor();
        }
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
