// inpaint-bench --model-family sdxl (see sdxl_bench.h).
#include "sdxl_bench.h"

#include "process_memory.h"

#include "models/nn/layers.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace inpaint::bench {

namespace {

double seconds(const std::function<void()>& fn, const torch::Device& device)
{
    const auto start = std::chrono::steady_clock::now();
    fn();
    if (device.is_cuda()) torch::cuda::synchronize();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

}  // namespace

nlohmann::json runSdxlBench(const std::filesystem::path& configs, torch::Device device, torch::ScalarType dtype, int runs,
                            bool withVae, const std::function<void(const std::string&)>& log)
{
    nlohmann::json out;
    char buf[256];
    const auto topts = torch::TensorOptions().device(device).dtype(dtype);
    const auto cfg = models::UNet2DConditionConfig::fromFile(configs / "unet" / "config.json");
    if (cfg.additionTimeEmbedDim <= 0)
        throw std::invalid_argument(configs.string() + "/unet is not an SDXL UNet (no text_time added embedding)");
    resetPeakRss();
    models::UNet2DConditionModel unet(cfg);
    unet->to(device, dtype);
    unet->eval();
    const auto built = processMemory();
    out["sdxl_peak_rss_building_gib"] = gib(built.at("VmHWM"));  // random init runs in fp32 first
    resetPeakRss();  // from here the peak is the steps' (weights + activations)
    out["sdxl_unet_parameters_m"] = models::nn::parameterCount(*unet) / 1e6;
    out["sdxl_rss_after_build_gib"] = gib(built.at("VmRSS"));
    std::snprintf(buf, sizeof buf, "SDXL UNet: %.1f M parameters, resident %.2f GiB after building it",
                  out["sdxl_unet_parameters_m"].get<double>(), gib(built.at("VmRSS")));
    log(buf);

    const int64_t ctxDim = cfg.crossAttentionDim[0];
    const int64_t pooled = cfg.projectionClassEmbeddingsInputDim - 6 * cfg.additionTimeEmbedDim;
    const auto lat = torch::randn({2, cfg.inChannels, 128, 128}, topts);
    const auto ctx = torch::randn({2, 77, ctxDim}, topts);
    models::UNetAddedCond added{torch::randn({2, pooled}, topts),
                                torch::tensor({1024.f, 1024.f, 0.f, 0.f, 1024.f, 1024.f}, topts.dtype(torch::kFloat))
                                    .repeat({2, 1})};
    const auto t = torch::tensor(999, torch::TensorOptions().dtype(torch::kLong).device(device));
    auto step = [&] { (void)unet->forward(lat, t, ctx, added); };
    const double warm = seconds(step, device);
    std::vector<double> times;
    for (int i = 0; i < std::max(1, runs); ++i) times.push_back(seconds(step, device));
    const auto after = processMemory();
    out["sdxl_unet_b2_128x128_s"] = median(times);
    out["sdxl_unet_b2_128x128_warmup_s"] = warm;
    out["sdxl_unet_b2_128x128_runs"] = times;
    out["sdxl_peak_rss_gib"] = gib(after.at("VmHWM"));  // during the UNet steps
    std::string runsText;
    for (double r : times) {
        std::snprintf(buf, sizeof buf, "%s%.2f", runsText.empty() ? "" : " ", r);
        runsText += buf;
    }
    std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (warm-up %.2f s, runs %s), peak RSS %.2f GiB",
                  "SDXL UNet batch 2, 128x128 latents (1024²)", median(times), warm, runsText.c_str(),
                  gib(after.at("VmHWM")));
    log(buf);

    if (withVae) {
        resetPeakRss();
        models::AutoencoderKL vae(models::AutoencoderKLConfig::fromFile(configs / "vae" / "config.json"));
        vae->to(device, dtype);
        vae->eval();
        const auto z = torch::randn({1, 4, 128, 128}, topts);
        const double s = seconds([&] { (void)vae->decode(z); }, device);
        out["sdxl_vae_decode_1024_s"] = s;
        out["sdxl_peak_rss_with_vae_gib"] = gib(processMemory().at("VmHWM"));  // UNet resident + VAE decode
        std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (one run, peak RSS %.2f GiB)", "SDXL VAE decode 128x128 -> 1024²", s,
                      out["sdxl_peak_rss_with_vae_gib"].get<double>());
        log(buf);
    }
    return out;
}

}  // namespace inpaint::bench
