// The bf16 speed probe (see bf16_probe.h).
#include "models/nn/bf16_probe.h"

#include "models/nn/attention.h"
#include "models/nn/cpu_features.h"
#include "models/nn/layers.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <limits>

namespace inpaint::models::nn {

namespace {

using Clock = std::chrono::steady_clock;

double bestOf3(const std::function<void()>& f)
{
    f();  // warm-up: packing, oneDNN's primitive creation
    double best = std::numeric_limits<double>::infinity();
    for (int i = 0; i < 3; ++i) {
        const auto a = Clock::now();
        f();
        best = std::min(best, std::chrono::duration<double>(Clock::now() - a).count());
    }
    return best;
}

struct OpTimes {
    double conv, linear, attention;
};

OpTimes timeOps(torch::ScalarType dtype)
{
    // The module is built as a model's is (outside InferenceMode, whatever the caller is in: its
    // weights are converted with set_data), then timed under InferenceMode as jobs run.
    c10::InferenceMode notYet(false);
    torch::NoGradGuard noGrad;
    Conv2d conv = makeConv2d(320, 320, 3, 1, 1);
    conv->to(dtype);
    convertConvWeightsToChannelsLast(*conv);
    conv->prepack();
    const auto o = torch::TensorOptions().dtype(dtype);
    // Inputs from a generator of the probe's own, the same every run.
    auto gen = at::detail::createCPUGenerator(20);
    const auto randn = [&](at::IntArrayRef shape, const torch::TensorOptions& opts) {
        return at::randn(shape, gen, opts.dtype(at::kFloat)).to(opts.dtype());
    };
    const torch::Tensor x = randn({2, 320, 32, 32}, o).contiguous(at::MemoryFormat::ChannelsLast);
    const torch::Tensor rows = randn({2048, 320}, o), w = randn({1280, 320}, o) * 0.05;
    const torch::Tensor q = randn({2, 1024, 320}, o), k = randn({2, 1024, 320}, o),
                        v = randn({2, 1024, 320}, o);
    c10::InferenceMode guard;
    OpTimes t{};
    t.conv = bestOf3([&] { (void)conv->forward(x); });
    t.linear = bestOf3([&] { (void)linear(rows, w, torch::Tensor()); });
    t.attention = bestOf3([&] { (void)multiHeadAttention(q, k, v, 8); });
    return t;
}

}  // namespace

double weightedSpeedup(double conv, double linear, double attention)
{
    if (conv <= 0 || linear <= 0 || attention <= 0) return 0;
    const double fp32 = kConvShare + kLinearShare + kAttentionShare;
    return fp32 / (kConvShare / conv + kLinearShare / linear + kAttentionShare / attention);
}

const Bf16Probe& bf16SpeedProbe()
{
    static const Bf16Probe probe = [] {
        Bf16Probe p;
        if (!cpuHasNativeBf16()) return p;
        const auto start = Clock::now();
        const OpTimes f = timeOps(torch::kFloat32), b = timeOps(torch::kBFloat16);
        p.ran = true;
        p.conv = f.conv / b.conv;
        p.linear = f.linear / b.linear;
        p.attention = f.attention / b.attention;
        p.speedup = weightedSpeedup(p.conv, p.linear, p.attention);
        p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        return p;
    }();
    return probe;
}

std::string describeProbe(const Bf16Probe& p)
{
    if (!p.ran) return "not measured";
    char buf[160];
    std::snprintf(buf, sizeof buf, "bf16 measured at %.2fx fp32's speed (conv %.2fx, linear %.2fx, attention %.2fx)",
                  p.speedup, p.conv, p.linear, p.attention);
    return buf;
}

}  // namespace inpaint::models::nn
