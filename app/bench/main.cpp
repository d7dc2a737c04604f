// inpaint-bench: times the SD 1.5-shaped networks with random weights (UNet at batch 2 for 32x32
// and 64x64 latents, VAE decode to 256 and 512 px, CLIP text encoder at batch 2 x 77 tokens) and,
// in the same run, the GEMM and convolution throughput of the machine, so the distance to its
// peak is visible. Engine only: LibTorch + json, no Qt or OpenCV.
#include "accuracy_bench.h"
#include "flop_count.h"
#include "job_bench.h"
#include "load_bench.h"
#include "sdxl_bench.h"
#include "text_encoder_bench.h"

#include "core/diffusion/latent_preview.h"
#include "core/diffusion/sd_model.h"
#include "models/errors.h"
#include "models/nn/cancel.h"
#include "models/nn/cpu_allocator.h"
#include "models/nn/cpu_features.h"
#include "models/nn/attention.h"
#include "models/nn/bf16_probe.h"
#include "models/nn/cpu_threads.h"
#include "models/nn/layers.h"
#include "models/nn/op_profile.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"
#include "models/vae/autoencoder_tiny.h"

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace inpaint;

namespace {

struct Options {
    std::filesystem::path configs;
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat;
    std::string dtypeName = "fp32";
    std::string dtypeWhy = "asked for";
    bool json = false;
    bool quick = false;
    int runs = 3;
    int threads = 0;
    std::filesystem::path load;  // --load MODEL: time loading it instead of the networks
    std::filesystem::path job;   // --job MODEL: whole 512x512 jobs through the pipeline
    bool accuracy = false;       // --accuracy: bf16 vs fp32 on the real-shaped networks
    std::string family = "sd15"; // --model-family sd15|sdxl
    bool configsGiven = false;
    bool dtypeGiven = false;
};

const char* kUsage =
    "usage: inpaint-bench [--configs DIR] [--device cpu|cuda] [--dtype fp32|bf16|fp16|auto] [--quick] [--json]\n"
    "                     [--runs N] [--threads N] [--load MODEL] [--job MODEL] [--accuracy]\n"
    "                     [--model-family sd15|sdxl]\n"
    "  --configs DIR  diffusers config folder (default: $INPAINT_SOURCE_DIR/tests/data/reference/configs/\n"
    "                 stable-diffusion-v1-5)\n"
    "  --quick        skip the 64x64-latent UNet and the 512 px VAE decode\n"
    "  --json         print one JSON object (seconds are medians of --runs runs after a warm-up)\n"
    "  --load MODEL   time loading MODEL (a diffusers folder or a single file) --runs times, with the\n"
    "                 resident memory after each load and the peak\n"
    "  --job MODEL    whole 512x512 inpaint jobs with MODEL through the pipeline: 20 steps with CFG and\n"
    "                 4 LCM steps (job_512_20steps_s, job_512_lcm4_s), their parts and the peak RSS,\n"
    "                 at the editor's default precision (--dtype auto) unless --dtype says otherwise.\n"
    "                 Without it those keys are the sums of the parts this bench measures\n"
    "                 (job_source \"parts\")\n"
    "  --accuracy     bf16 against fp32 on the real-shaped UNet and VAE (random weights, several inputs)\n"
    "  --model-family sdxl  the SDXL UNet (stable-diffusion-xl-base-1.0 config, random weights) at batch 2 and\n"
    "                 128x128 latents (one CFG step at 1024²), --runs runs after a warm-up, with the peak\n"
    "                 RSS; without --quick also the VAE decode to 1024² px\n";

std::filesystem::path defaultConfigs()
{
    const char* env = std::getenv("INPAINT_SOURCE_DIR");
    const std::filesystem::path root = env && *env ? env : INPAINT_SOURCE_DIR;
    return root / "tests" / "data" / "reference" / "configs" / "stable-diffusion-v1-5";
}

Options parseArgs(int argc, char** argv)
{
    Options o;
    o.configs = defaultConfigs();
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::invalid_argument(a + " needs a value");
            return argv[++i];
        };
        if (a == "--model-family") {
            o.family = value();
            if (o.family != "sd15" && o.family != "sdxl")
                throw std::invalid_argument("--model-family must be sd15 or sdxl, got " + o.family);
        } else if (a == "--configs") {
            o.configsGiven = true;
            o.configs = value();
        } else if (a == "--device") {
            const std::string d = value();
            if (d != "cpu" && d != "cuda")
                throw std::invalid_argument("--device must be cpu or cuda, got " + d);
            o.device = d == "cuda" ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
        } else if (a == "--dtype") {
            o.dtypeGiven = true;
            o.dtypeName = value();
            if (o.dtypeName == "fp32")
                o.dtype = torch::kFloat;
            else if (o.dtypeName == "bf16")
                o.dtype = torch::kBFloat16;
            else if (o.dtypeName == "fp16")
                o.dtype = torch::kHalf;
            else if (o.dtypeName != "auto")
                throw std::invalid_argument("--dtype must be auto, fp32, bf16 or fp16, got " + o.dtypeName);
        } else if (a == "--json") {
            o.json = true;
        } else if (a == "--quick") {
            o.quick = true;
        } else if (a == "--runs") {
            o.runs = std::max(1, std::stoi(value()));
        } else if (a == "--load") {
            o.load = value();
        } else if (a == "--accuracy") {
            o.accuracy = true;
        } else if (a == "--job") {
            o.job = value();
        } else if (a == "--threads") {
            o.threads = std::max(1, std::stoi(value()));
        } else if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            std::exit(0);
        } else {
            throw std::invalid_argument("unknown argument " + a);
        }
    }
    if (o.device.is_cuda() && !torch::cuda::is_available())
        throw std::invalid_argument("--device cuda: this LibTorch build has no usable CUDA device");
    if (!o.job.empty() && !o.dtypeGiven)
        o.dtypeName = "auto";  // a whole job runs at the editor's default precision unless told otherwise
    if (o.dtype == torch::kHalf && o.device.is_cpu())
        throw std::invalid_argument("--dtype fp16 runs on CUDA only (LibTorch has no fp16 CPU kernels); use bf16");
    return o;
}

void sync(const torch::Device& d)
{
    if (d.is_cuda())
        torch::cuda::synchronize();
}

struct Timing {
    double median = 0;
    std::vector<double> runs;
};

// One warm-up call, then `runs` timed calls; the median is what is reported.
Timing measure(const std::function<void()>& fn, const torch::Device& device, int runs)
{
    using clock = std::chrono::steady_clock;
    fn();
    sync(device);
    Timing t;
    for (int i = 0; i < runs; ++i) {
        const auto start = clock::now();
        fn();
        sync(device);
        t.runs.push_back(std::chrono::duration<double>(clock::now() - start).count());
    }
    std::vector<double> s = t.runs;
    std::sort(s.begin(), s.end());
    t.median = s.size() % 2 ? s[s.size() / 2] : 0.5 * (s[s.size() / 2 - 1] + s[s.size() / 2]);
    return t;
}

// One more call of fn with the per-op counters on: seconds by kind of op, the rest as "other"
// (elementwise ops, copies, upsampling, the framework), into result[key] and the log.
void opSplit(const std::function<void()>& fn, const torch::Device& device, nlohmann::json& result, const std::string& key,
             const std::string& label, const std::function<void(const std::string&)>& log)
{
    if (!device.is_cpu()) return;  // CUDA calls return before their kernels finish
    models::nn::resetOpProfile();
    models::nn::setOpProfiling(true);
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    models::nn::setOpProfiling(false);
    const auto s = models::nn::opProfileSeconds();
    nlohmann::json split;
    std::string line = label + " per op:";
    double sum = 0;
    char buf[96];
    for (size_t i = 0; i < s.size(); ++i) {
        split[models::nn::opKindName(models::nn::OpKind(i))] = s[i];
        sum += s[i];
        std::snprintf(buf, sizeof buf, " %s %.2f s (%.0f %%)", models::nn::opKindName(models::nn::OpKind(i)), s[i],
                      100.0 * s[i] / total);
        line += buf;
    }
    split["other"] = total - sum;
    split["total"] = total;
    std::snprintf(buf, sizeof buf, " other %.2f s (%.0f %%)", total - sum, 100.0 * (total - sum) / total);
    line += buf;
    result[key] = split;
    log("  " + line);
}

std::string runsText(const Timing& t)
{
    std::string s;
    char buf[32];
    for (double r : t.runs) {
        std::snprintf(buf, sizeof buf, "%s%.3f", s.empty() ? "" : " ", r);
        s += buf;
    }
    return s;
}

}  // namespace

int main(int argc, char** argv)
{
    models::nn::restartForBlasCore(argv);  // before any thread: may run this program again
    Options o;
    try {
        o = parseArgs(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "inpaint-bench: " << e.what() << "\n" << kUsage;
        return 2;
    }
    const int threads = o.threads > 0 ? o.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const bool blasSingle = models::nn::setCpuThreads(threads);
    const bool hugePages = models::nn::installHugePageCpuAllocator();
    if (o.dtypeName == "auto") {  // as the editor and inpaint-cli resolve it (after the threads: it may time ops)
        const diffusion::DtypeChoice c = diffusion::resolveDtype("auto", o.device);
        o.dtype = c.dtype;
        o.dtypeName = diffusion::dtypeName(c.dtype);
        o.dtypeWhy = c.why;
    }
    c10::InferenceMode inference;
    auto log = [&](const std::string& line) {
        if (!o.json)
            std::cout << line << std::endl;
        else
            std::cerr << line << std::endl;
    };
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "inpaint-bench: device %s, dtype %s (%s), CPU %s, %d threads%s, LibTorch %s, huge pages %s, configs %s",
                  o.device.str().c_str(), o.dtypeName.c_str(), o.dtypeWhy.c_str(), models::nn::cpuIsaName().c_str(),
                  threads, blasSingle ? (" (OpenBLAS " + models::nn::blasCoreName() + " kernels" +
                                         (std::getenv("INPAINT_BLAS_RESTARTED") ? ", restarted with OPENBLAS_CORETYPE" : "") +
                                         ", held to 1 thread)").c_str()
                                      : "",
                  TORCH_VERSION,
                  hugePages ? "on" : "off", o.configs.string().c_str());
    log(buf);

    nlohmann::json result;
    if (o.device.is_cpu() && models::nn::cpuHasNativeBf16()) {
        // What `auto` weighs on this CPU (bf16_probe.h), whatever --dtype asked for.
        const auto& p = models::nn::bf16SpeedProbe();
        result["bf16_probe"] = {{"conv", p.conv}, {"linear", p.linear}, {"attention", p.attention},
                                {"unet_step_speedup", p.speedup}, {"seconds", p.seconds}};
        std::snprintf(buf, sizeof buf, "%-44s %s; the probe took %.2f s", "bf16 speed probe (what auto weighs)",
                      models::nn::describeProbe(p).c_str(), p.seconds);
        log(buf);
    }
    if (o.family == "sdxl") {
        try {
            const auto configs = o.configsGiven ? o.configs : o.configs.parent_path() / "stable-diffusion-xl-base-1.0";
            result = bench::runSdxlBench(configs, o.device, o.dtype, o.runs, !o.quick, log);
        } catch (const std::exception& e) {
            std::cerr << "inpaint-bench: " << e.what() << "\n";
            return 1;
        }
        result["dtype"] = o.dtypeName;
        result["cpu_isa"] = models::nn::cpuIsaName();
        result["threads"] = threads;
        if (o.json) std::cout << result.dump() << std::endl;
        return 0;
    }
    if (o.accuracy) {
        try {
            result = bench::runAccuracyBench(o.configs, log);
        } catch (const std::exception& e) {
            std::cerr << "inpaint-bench: " << e.what() << "\n";
            return 1;
        }
        if (o.json) std::cout << result.dump() << std::endl;
        return 0;
    }
    if (!o.job.empty()) {
        try {
            result = bench::runJobBench(o.job, o.device, o.dtype, log);
        } catch (const std::exception& e) {
            std::cerr << "inpaint-bench: " << e.what() << "\n";
            return 1;
        }
        result["job_source"] = "pipeline";
        result["dtype"] = o.dtypeName;
        result["dtype_why"] = o.dtypeWhy;
        result["cpu_isa"] = models::nn::cpuIsaName();
        result["threads"] = threads;
        if (o.json) std::cout << result.dump() << std::endl;
        return 0;
    }
    if (!o.load.empty()) {
        try {
            result = bench::runLoadBench(o.load, o.device, o.dtype, o.runs, log);
        } catch (const std::exception& e) {
            std::cerr << "inpaint-bench: " << e.what() << "\n";
            return 1;
        }
        if (o.json) std::cout << result.dump(2) << std::endl;
        return 0;
    }
    try {
        const auto topts = torch::TensorOptions().device(o.device).dtype(o.dtype);

        // Machine throughput in the same dtype and process.
        {
            const int64_t n = 2048;
            auto a = torch::randn({n, n}, topts), b = torch::randn({n, n}, topts);
            // Through the engine's own linear (oneDNN for fp32 on the CPU; see nn::linear).
            Timing t = measure([&] { (void)models::nn::linear(a, b, at::Tensor()); }, o.device, std::max(o.runs, 5));
            result["gemm_gflops"] = 2.0 * n * n * n / t.median / 1e9;
            std::snprintf(buf, sizeof buf, "%-44s %8.1f GFLOP/s", "GEMM 2048x2048x2048", result["gemm_gflops"].get<double>());
            log(buf);
        }
        {
            auto x = torch::randn({2, 320, 64, 64}, topts).contiguous(at::MemoryFormat::ChannelsLast);
            auto w = torch::randn({320, 320, 3, 3}, topts).contiguous(at::MemoryFormat::ChannelsLast);
            auto bias = torch::randn({320}, topts);
            Timing t = measure([&] { (void)at::conv2d(x, w, bias, 1, 1); }, o.device, std::max(o.runs, 5));
            result["conv_gflops"] = 2.0 * 2 * 320 * 320 * 9 * 64 * 64 / t.median / 1e9;
            std::snprintf(buf, sizeof buf, "%-44s %8.1f GFLOP/s", "conv 3x3 320->320, 2x64x64, channels-last",
                          result["conv_gflops"].get<double>());
            log(buf);
        }

        // UNet.
        auto unetCfg = models::UNet2DConditionConfig::fromFile(o.configs / "unet" / "config.json");
        {
            models::UNet2DConditionModel unet(unetCfg);
            unet->to(o.device, o.dtype);
            unet->eval();
            std::snprintf(buf, sizeof buf, "UNet: %.1f M parameters, in_channels %lld",
                          models::nn::parameterCount(*unet) / 1e6, static_cast<long long>(unetCfg.inChannels));
            log(buf);
            const int64_t ctxDim = unetCfg.crossAttentionDim[0];
            auto ctx = torch::randn({2, 77, ctxDim}, topts);
            auto t = torch::tensor(999, torch::TensorOptions().dtype(torch::kLong).device(o.device));
            if (!o.quick) {  // batch 1 (no CFG: the LCM job's steps)
                auto lat = torch::randn({1, unetCfg.inChannels, 64, 64}, topts);
                auto ctx1 = ctx.narrow(0, 0, 1);
                Timing tm = measure([&] { (void)unet->forward(lat, t, ctx1); }, o.device, o.runs);
                result["unet_b1_64x64_s"] = tm.median;
                std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (runs %s)", "UNet batch 1, 64x64 latents (no CFG)", tm.median,
                              runsText(tm).c_str());
                log(buf);
            }
            for (int64_t s : {int64_t{32}, int64_t{64}}) {
                const std::string key = "unet_b2_" + std::to_string(s) + "x" + std::to_string(s) + "_s";
                if (s == 64 && o.quick) {
                    result[key] = nullptr;
                    continue;
                }
                auto lat = torch::randn({2, unetCfg.inChannels, s, s}, topts);
                Timing tm = measure([&] { (void)unet->forward(lat, t, ctx); }, o.device, o.runs);
                result[key] = tm.median;
                const double gf = bench::unetFlops(unetCfg, 2, s, s, 77) / 1e9;
                if (s == 64 || o.quick)
                    opSplit([&] { (void)unet->forward(lat, t, ctx); }, o.device, result,
                            "unet_b2_" + std::to_string(s) + "_ops_s", "UNet batch 2 " + std::to_string(s) + "x" + std::to_string(s), log);
                std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (%.0f GFLOP -> %.1f GFLOP/s; runs %s)",
                              ("UNet batch 2, " + std::to_string(s) + "x" + std::to_string(s) + " latents").c_str(),
                              tm.median, gf, gf / tm.median, runsText(tm).c_str());
                log(buf);
            }
            // Cancel latency inside one UNet call (models/nn/cancel.h): the flag is raised from
            // another thread at 10 %, 50 % and 90 % of a CFG step; the time until the call unwinds
            // is what the person waits after pressing Cancel. 64x64 latents (512 px) unless --quick.
            {
                const int64_t s = o.quick ? 32 : 64;
                const std::string stepKey = "unet_b2_" + std::to_string(s) + "x" + std::to_string(s) + "_s";
                const double stepS = result[stepKey].get<double>();
                auto lat = torch::randn({2, unetCfg.inChannels, s, s}, topts);
                double worst = 0.0;
                nlohmann::json each = nlohmann::json::array();
                for (double at : {0.1, 0.5, 0.9}) {
                    std::atomic<bool> flag{false};
                    std::chrono::steady_clock::time_point raised;
                    std::thread raiser([&] {
                        std::this_thread::sleep_for(std::chrono::duration<double>(stepS * at));
                        raised = std::chrono::steady_clock::now();
                        flag.store(true);
                    });
                    bool cancelled = false;
                    try {
                        const models::CancelScope scope(&flag);
                        (void)unet->forward(lat, t, ctx);
                        if (o.device.is_cuda()) torch::cuda::synchronize();
                    } catch (const models::Cancelled&) {
                        cancelled = true;
                    }
                    const auto end = std::chrono::steady_clock::now();
                    raiser.join();
                    const double latency = cancelled ? std::chrono::duration<double>(end - raised).count() : 0.0;
                    worst = std::max(worst, latency);
                    if (cancelled) each.push_back(latency);
                    else each.push_back(nullptr);  // the call ended before the flag: nothing to measure
                }
                result["cancel_latency_s"] = worst;
                result["cancel_latency_each_s"] = each;
                std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (flag at 10/50/90 %% of a step: %.3f / %.3f / %.3f s)",
                              ("cancel inside a UNet call, " + std::to_string(s) + "x" + std::to_string(s)).c_str(), worst,
                              each[0].is_number() ? each[0].get<double>() : -1.0,
                              each[1].is_number() ? each[1].get<double>() : -1.0,
                              each[2].is_number() ? each[2].get<double>() : -1.0);
                log(buf);
            }
        }

        // VAE decoder.
        auto vaeCfg = models::AutoencoderKLConfig::fromFile(o.configs / "vae" / "config.json");
        {
            models::AutoencoderKL vae(vaeCfg);
            vae->to(o.device, o.dtype);
            vae->eval();
            const int64_t f = vaeCfg.vaeScaleFactor();
            for (int64_t px : {int64_t{256}, int64_t{512}}) {
                const std::string key = "vae_decode_" + std::to_string(px) + "_s";
                if (px == 512 && o.quick) {
                    result[key] = nullptr;
                    continue;
                }
                auto z = torch::randn({1, vaeCfg.latentChannels, px / f, px / f}, topts);
                Timing tm = measure([&] { (void)vae->decode(z); }, o.device, o.runs);
                result[key] = tm.median;
                const double gf = bench::vaeDecodeFlops(vaeCfg, px / f, px / f) / 1e9;
                opSplit([&] { (void)vae->decode(z); }, o.device, result, "vae_decode_" + std::to_string(px) + "_ops_s",
                        "VAE decode " + std::to_string(px), log);
                std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (%.0f GFLOP -> %.1f GFLOP/s; runs %s)",
                              ("VAE decode " + std::to_string(px) + "x" + std::to_string(px)).c_str(), tm.median, gf,
                              gf / tm.median, runsText(tm).c_str());
                log(buf);
            }
            if (!o.quick) {
                auto x = torch::rand({1, 3, 512, 512}, topts) * 2 - 1;
                Timing tm = measure([&] { (void)vae->encode(x); }, o.device, o.runs);
                result["vae_encode_512_s"] = tm.median;
                std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (runs %s)", "VAE encode 512x512", tm.median, runsText(tm).c_str());
                log(buf);
            }
            // Where the decode's time goes, per block, at 256 and 512 px (one run each after the
            // timings above): a block whose time grows faster than the pixel count is the one to fix.
            if (!o.quick) {
                nlohmann::json split;
                for (int64_t px : {int64_t{256}, int64_t{512}}) {
                    auto z = torch::randn({1, vaeCfg.latentChannels, px / f, px / f}, topts);
                    std::vector<std::pair<std::string, double>> marks;
                    auto last = std::chrono::steady_clock::now();
                    models::ActivationSink sink = [&](const std::string& name, const torch::Tensor&) {
                        sync(o.device);
                        const auto now = std::chrono::steady_clock::now();
                        marks.emplace_back(name, std::chrono::duration<double>(now - last).count());
                        last = now;
                    };
                    last = std::chrono::steady_clock::now();
                    (void)vae->decode(z, &sink);
                    for (const auto& [name, sec] : marks) split[std::to_string(px)][name] = sec;
                }
                result["vae_decode_split_s"] = split;
                for (const auto& [name, sec] : split["512"].items()) {
                    const double small = split["256"].value(name, 0.0);
                    std::snprintf(buf, sizeof buf, "  VAE decode %-32s 256: %7.3f s  512: %7.3f s  (x%.1f for 4x pixels)",
                                  name.c_str(), small, sec.get<double>(), small > 0 ? sec.get<double>() / small : 0.0);
                    log(buf);
                }
            }
            // Step previews: the approximate decoder (a fixed latent->RGB map) and the full one
            // (the VAE decode above) against one CFG step of the UNet at the same size.
            {
                auto z = torch::randn({1, vaeCfg.latentChannels, 64, 64}, topts);
                Timing tm = measure([&] { (void)diffusion::approximateDecode(z, f); }, o.device, std::max(o.runs, 5));
                result["preview_approx_512_s"] = tm.median;
                std::snprintf(buf, sizeof buf, "%-44s %8.4f s", "approximate preview 512x512", tm.median);
                log(buf);
                // The tiny VAE (TAESD, the real one's shape: 64 channels, 1-3-3-3 / 3-3-3-1 blocks),
                // random weights.
                // random weights, channels-last and prepacked as AutoencoderTinyImpl::loadFolder does;
                // at full size and from latents pooled 2x2 (the editor's CPU default).
                models::AutoencoderTiny tiny{models::AutoencoderTinyConfig{}};
                tiny->to(o.device, o.dtype);
                tiny->eval();
                models::nn::prepackConvs(*tiny);
                Timing tt = measure([&] { (void)diffusion::tinyDecode(*tiny, z); }, o.device, std::max(o.runs, 3));
                result["preview_tiny_512_s"] = tt.median;
                std::snprintf(buf, sizeof buf, "%-44s %8.4f s", "tiny VAE (TAESD) preview 512x512", tt.median);
                log(buf);
                Timing th = measure([&] { (void)diffusion::tinyDecode(*tiny, z, 2); }, o.device, std::max(o.runs, 3));
                result["preview_tiny_half_512_s"] = th.median;
                std::snprintf(buf, sizeof buf, "%-44s %8.4f s", "tiny VAE preview 512x512 at half size", th.median);
                log(buf);
                const auto& step = result["unet_b2_64x64_s"];
                if (step.is_number()) {
                    result["preview_tiny_ratio"] = tt.median / step.get<double>();
                    std::snprintf(buf, sizeof buf, "%-44s %8.4f (tiny VAE)", "preview cost / CFG step at 512x512",
                                  tt.median / step.get<double>());
                    log(buf);
                    result["preview_tiny_half_ratio"] = th.median / step.get<double>();
                    std::snprintf(buf, sizeof buf, "%-44s %8.4f (tiny VAE at half size)", "preview cost / CFG step at 512x512",
                                  th.median / step.get<double>());
                    log(buf);
                    const double s = step.get<double>();
                    result["preview_approx_ratio"] = tm.median / s;
                    std::snprintf(buf, sizeof buf, "%-44s %8.4f (approximate)", "preview cost / CFG step at 512x512",
                                  tm.median / s);
                    log(buf);
                    if (result["vae_decode_512_s"].is_number()) {
                        result["preview_full_ratio"] = result["vae_decode_512_s"].get<double>() / s;
                        std::snprintf(buf, sizeof buf, "%-44s %8.4f (full VAE decode)", "preview cost / CFG step at 512x512",
                                      result["preview_full_ratio"].get<double>());
                        log(buf);
                    }
                }
            }
        }

        // Text encoder.
        {
            auto te = bench::makeTextEncoderRun(o.configs, o.device, o.dtype);
            Timing tm = measure(te.run, o.device, o.runs);
            result["text_encoder_b2_s"] = tm.median;
            result["text_encoder"] = te.description;
            std::snprintf(buf, sizeof buf, "%-44s %8.3f s  (runs %s)", ("text encoder batch 2x77 (" + te.description + ")").c_str(),
                          tm.median, runsText(tm).c_str());
            log(buf);
        }
        // Whole jobs as the sums of their parts (inpaint-bench --job MODEL runs them for real): text
        // encoder, VAE encode (the inpaint pipelines encode the image once, the 9-channel one also the
        // masked image: counted once here), the steps, the decode.
        if (!o.quick) {
            const double te = result["text_encoder_b2_s"].get<double>(), enc = result["vae_encode_512_s"].get<double>(),
                         dec = result["vae_decode_512_s"].get<double>();
            result["job_512_20steps_s"] = te + enc + 20 * result["unet_b2_64x64_s"].get<double>() + dec;
            result["job_512_lcm4_s"] = te + enc + 4 * result["unet_b1_64x64_s"].get<double>() + dec;
            result["job_source"] = "parts";
            std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (sum of the parts above)", "whole job 512x512, 20 steps, cfg",
                          result["job_512_20steps_s"].get<double>());
            log(buf);
            std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (sum of the parts above)", "whole job 512x512, LCM 4 steps, no cfg",
                          result["job_512_lcm4_s"].get<double>());
            log(buf);
        }
    } catch (const models::ModelError& e) {
        std::cerr << "inpaint-bench: " << e.what() << std::endl;
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "inpaint-bench: " << e.what() << std::endl;
        return 1;
    }
    result["device"] = o.device.str();
    result["dtype"] = o.dtypeName;
    result["dtype_why"] = o.dtypeWhy;
    result["cpu_isa"] = models::nn::cpuIsaName();
    result["threads"] = threads;
    result["blas_core"] = models::nn::blasCoreName();
    result["runs"] = o.runs;
    if (o.json)
        std::cout << result.dump() << std::endl;
    return 0;
}
