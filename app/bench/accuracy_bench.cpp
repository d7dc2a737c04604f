// inpaint-bench --accuracy (see accuracy_bench.h).
#include "accuracy_bench.h"

#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace inpaint::bench {

namespace {

// PyTorch's default init of Conv2d/Linear (kaiming_uniform with a = sqrt(5): bound 1/sqrt(fan_in),
// biases alike); norms' weights 1 and biases 0, as diffusers' from_config models start.
void initLikeTorch(torch::nn::Module& m, uint64_t seed)
{
    torch::NoGradGuard nograd;
    auto gen = at::detail::createCPUGenerator(seed);
    for (auto& p : m.named_parameters(true)) {
        torch::Tensor w = p.value();
        const std::string& name = p.key();
        const bool norm = name.find("norm") != std::string::npos;
        if (w.dim() >= 2) {
            const double fanIn = double(w.numel() / w.size(0));
            w.uniform_(-1.0 / std::sqrt(fanIn), 1.0 / std::sqrt(fanIn), gen);
        } else if (norm) {
            w.fill_(name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? 1.0 : 0.0);
        } else {
            w.uniform_(-0.05, 0.05, gen);
        }
    }
}

template <typename Module>
void copyParams(Module& from, Module& to)
{
    torch::NoGradGuard nograd;
    auto src = from->named_parameters(true);
    for (auto& p : to->named_parameters(true)) p.value().copy_(src[p.key()]);
}

// The bounds `auto` precision is held to on these real-shaped networks: diffusers 0.25.1's own bf16
// error on the same shapes, weights drawn the same way and the same inputs, measured beside this
// bench on the 2-core EPYC (scripts/diffusers_bf16_accuracy.py; README "Speed"): UNet 1.70-1.88 % at
// 32x32 latents (the issue quotes about 1.6 % on random weights: the lower figure is the bound), VAE
// decode 3.64-3.66 %, encode 2.39-2.51 %. A person who runs diffusers in bf16 accepts that much;
// bf16 under `auto` must stay closer to fp32 than that.
constexpr double kUnetBound = 0.016, kVaeDecodeBound = 0.036, kVaeEncodeBound = 0.025;

double relL2(const torch::Tensor& a, const torch::Tensor& ref)
{
    const torch::Tensor r = ref.to(torch::kFloat);
    return (a.to(torch::kFloat) - r).norm().item<double>() / r.norm().item<double>();
}

}  // namespace

nlohmann::json runAccuracyBench(const std::filesystem::path& configs, const std::function<void(const std::string&)>& log)
{
    nlohmann::json out;
    char buf[256];
    c10::InferenceMode guard(false);  // parameters are written below
    {
        const auto cfg = models::UNet2DConditionConfig::fromFile(configs / "unet" / "config.json");
        models::UNet2DConditionModel ref(cfg), half(cfg), rounded(cfg);
        initLikeTorch(*ref, 1);
        copyParams(ref, half);
        copyParams(ref, rounded);
        {
            torch::NoGradGuard nograd;
            for (auto& p : rounded->parameters(true)) p.copy_(p.to(torch::kBFloat16).to(torch::kFloat));
        }
        half->to(torch::kBFloat16);
        for (auto* m : {&ref, &half, &rounded}) (*m)->eval();
        c10::InferenceMode inference;
        auto gen = at::detail::createCPUGenerator(7);
        nlohmann::json each = nlohmann::json::array();
        for (double t : {999.0, 500.0, 50.0}) {
            const torch::Tensor x = at::randn({1, cfg.inChannels, 64, 64}, gen, torch::TensorOptions());
            const torch::Tensor ctx = at::randn({1, 77, cfg.crossAttentionDim[0]}, gen, torch::TensorOptions());
            const torch::Tensor ts = torch::full({1}, t);
            const torch::Tensor yRef = ref->forward(x, ts, ctx);
            const double e = relL2(half->forward(x.to(torch::kBFloat16), ts, ctx.to(torch::kBFloat16)), yRef);
            const double floor = relL2(rounded->forward(x, ts, ctx), yRef);
            each.push_back({{"timestep", t}, {"rel_l2", e}, {"weights_only_rel_l2", floor}});
            std::snprintf(buf, sizeof buf, "UNet 64x64, t=%-4.0f bf16 vs fp32 rel-L2 %.4f (bf16 weights in fp32: %.4f)", t, e, floor);
            log(buf);
        }
        out["unet_bf16_rel_l2"] = each;
        double worst = 0;
        for (const auto& e : each) worst = std::max(worst, e["rel_l2"].get<double>());
        out["unet_bf16_bound"] = kUnetBound;
        out["unet_bf16_within_bound"] = worst <= kUnetBound;
        std::snprintf(buf, sizeof buf, "UNet bf16 worst %.4f, bound %.3f (diffusers' own bf16): %s", worst, kUnetBound,
                      worst <= kUnetBound ? "within" : "ABOVE");
        log(buf);
    }
    {
        const auto cfg = models::AutoencoderKLConfig::fromFile(configs / "vae" / "config.json");
        models::AutoencoderKL ref(cfg), half(cfg), rounded(cfg);
        initLikeTorch(*ref, 2);
        copyParams(ref, half);
        copyParams(ref, rounded);
        {
            torch::NoGradGuard nograd;
            for (auto& p : rounded->parameters(true)) p.copy_(p.to(torch::kBFloat16).to(torch::kFloat));
        }
        half->to(torch::kBFloat16);
        for (auto* m : {&ref, &half, &rounded}) (*m)->eval();
        c10::InferenceMode inference;
        auto gen = at::detail::createCPUGenerator(8);
        nlohmann::json each = nlohmann::json::array();
        for (int i = 0; i < 2; ++i) {
            const torch::Tensor z = at::randn({1, cfg.latentChannels, 32, 32}, gen, torch::TensorOptions());
            const torch::Tensor decRef = ref->decode(z);
            const double e = relL2(half->decode(z.to(torch::kBFloat16)), decRef);
            const double floor = relL2(rounded->decode(z), decRef);
            const torch::Tensor img = at::rand({1, 3, 256, 256}, gen, torch::TensorOptions()) * 2 - 1;
            const torch::Tensor encRef = ref->encode(img).mean;
            const double ee = relL2(half->encode(img.to(torch::kBFloat16)).mean, encRef);
            const double eeFloor = relL2(rounded->encode(img).mean, encRef);
            each.push_back({{"decode_rel_l2", e}, {"encode_mean_rel_l2", ee}, {"decode_weights_only_rel_l2", floor},
                            {"encode_weights_only_rel_l2", eeFloor}});
            std::snprintf(buf, sizeof buf,
                          "VAE 256x256 #%d bf16 vs fp32 rel-L2: decode %.4f (bf16 weights in fp32: %.4f), encode (mean) %.4f (%.4f)",
                          i, e, floor, ee, eeFloor);
            log(buf);
        }
        out["vae_bf16_rel_l2"] = each;
        double dec = 0, enc = 0;
        for (const auto& e : each) {
            dec = std::max(dec, e["decode_rel_l2"].get<double>());
            enc = std::max(enc, e["encode_mean_rel_l2"].get<double>());
        }
        out["vae_bf16_decode_bound"] = kVaeDecodeBound;
        out["vae_bf16_encode_bound"] = kVaeEncodeBound;
        out["vae_bf16_within_bound"] = dec <= kVaeDecodeBound && enc <= kVaeEncodeBound;
        std::snprintf(buf, sizeof buf, "VAE bf16 worst decode %.4f (bound %.3f), encode %.4f (bound %.3f): %s", dec,
                      kVaeDecodeBound, enc, kVaeEncodeBound,
                      dec <= kVaeDecodeBound && enc <= kVaeEncodeBound ? "within" : "ABOVE");
        log(buf);
    }
    return out;
}

}  // namespace inpaint::bench
