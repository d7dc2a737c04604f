// inpaint-bench --job (see job_bench.h).
#include "job_bench.h"
#include "process_memory.h"

#include "core/diffusion/pipeline.h"
#include "core/diffusion/schedulers/random_source.h"
#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/nn/cpu_allocator.h"
#include "models/nn/layers.h"
#include "models/nn/op_profile.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <array>
#include <chrono>
#include <cstdio>

#include <sys/resource.h>

namespace inpaint::bench {

namespace {

using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// The process's minor page faults so far (each a first touch of a page the system handed out).
long minorFaults()
{
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

double weightBytes(torch::nn::Module& m)
{
    double b = 0;
    for (const auto& p : m.parameters(true)) b += double(p.numel()) * double(p.element_size());
    return b;
}

using OpSeconds = std::array<double, size_t(models::nn::OpKind::Count)>;

// " conv 1.23 s attention 0.45 s ..." for each op kind's seconds divided by `per`; their sum goes
// to *sum and, when js is given, each share to (*js)[kind].
std::string opSplitText(const OpSeconds& ops, double per, double* sum, nlohmann::json* js = nullptr)
{
    std::string line;
    char buf[64];
    *sum = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
        const char* name = models::nn::opKindName(models::nn::OpKind(i));
        if (js) (*js)[name] = ops[i] / per;
        *sum += ops[i] / per;
        std::snprintf(buf, sizeof buf, " %s %.2f s", name, ops[i] / per);
        line += buf;
    }
    return line;
}

}  // namespace

nlohmann::json runJobBench(const std::filesystem::path& path, torch::Device device, torch::ScalarType dtype,
                           const std::function<void(const std::string&)>& log)
{
    diffusion::ModelLoadOptions lo;
    lo.device = device;
    lo.dtype = dtype;
    auto model = diffusion::SdModel::load(path, lo);
    nlohmann::json out;
    out["load_peak_rss_gib"] = gib(processMemory().at("VmHWM"));
    const bool peakReset = resetPeakRss();  // from here the peak is the jobs' own
    const double weights = weightBytes(*model->unet()) + weightBytes(*model->vae()) + weightBytes(*model->textEncoder());
    out["weights_gib"] = gib(weights);
    const bool nine = model->unet()->config().inChannels == 9;

    // A 512x512 photo-like input (smooth gradients) and a centred square mask.
    const int64_t px = 512;
    auto ys = torch::linspace(-1, 1, px).view({1, 1, px, 1}), xs = torch::linspace(-1, 1, px).view({1, 1, 1, px});
    torch::Tensor image = torch::cat({ys * 0.8 + xs * 0.1, (xs * ys) * 0.9, (torch::sin(xs * 3) * 0.7 + ys * 0.0)}, 1).clamp(-1, 1);
    torch::Tensor mask = torch::zeros({1, 1, px, px});
    mask.narrow(2, 128, 256).narrow(3, 128, 256).fill_(1.0);
    const diffusion::PipelineInputs in{image, mask};

    char buf[256];
    struct Case {
        const char* key;
        const char* scheduler;
        int steps;
        double guidance;
    };
    torch::Tensor lastLatents;  // the last job's, for the decode alone
    for (const Case& c : {Case{"job_512_20steps_s", "default", 20, 7.5}, Case{"job_512_lcm4_s", "lcm", 4, 1.0}}) {
        diffusion::PipelineParams p;
        p.mode = nine ? diffusion::PipelineMode::InpaintUnet : diffusion::PipelineMode::Blend;
        p.prompt = "a photo of a red cat sitting on a wooden table, highly detailed";
        p.scheduler = c.scheduler;
        p.steps = c.steps;
        p.guidance = c.guidance;
        p.strength = 1.0;
        diffusion::GeneratorRandomSource random(1234);
        std::vector<Clock::time_point> stepEnds;
        std::vector<long> stepFaults;
        std::vector<size_t> stepMaps;
        // The per-op split of the steps after the first (CPU only: CUDA calls return early).
        OpSeconds ops{};
        const bool split = device.is_cpu();
        const long faults0 = minorFaults();
        const auto start = Clock::now();
        const diffusion::PipelineOutput r = diffusion::runPipeline(*model, in, p, random, [&](const diffusion::StepInfo&) {
            if (device.is_cuda()) torch::cuda::synchronize();
            stepEnds.push_back(Clock::now());
            stepFaults.push_back(minorFaults());
            stepMaps.push_back(models::nn::cachedCpuBlocks().mapped);
            if (split && int(stepEnds.size()) == c.steps) {
                ops = models::nn::opProfileSeconds();
                models::nn::setOpProfiling(false);
            } else if (split && stepEnds.size() == 1) {
                models::nn::resetOpProfile();
                models::nn::setOpProfiling(true);
            }
        });
        models::nn::setOpProfiling(false);
        if (device.is_cuda()) torch::cuda::synchronize();
        const auto end = Clock::now();
        const long faultsEnd = minorFaults();
        if (r.status != diffusion::PipelineStatus::Ok || stepEnds.empty()) throw std::runtime_error("the job did not finish");
        const double total = seconds(start, end);
        lastLatents = r.latents;
        // Before the first step's end: text encoding, VAE encode(s), the first step itself.
        const double steps = seconds(stepEnds.front(), stepEnds.back()) / std::max<size_t>(1, stepEnds.size() - 1);
        const double first = seconds(start, stepEnds.front()) - steps;
        const double decode = seconds(stepEnds.back(), end);
        out[c.key] = total;
        const std::string k = std::string(c.key).substr(0, std::string(c.key).size() - 2);
        out[k + "_setup_s"] = first;
        out[k + "_step_s"] = steps;
        out[k + "_decode_s"] = decode;
        std::snprintf(buf, sizeof buf,
                      "%-44s %8.2f s  (before the steps %.2f: text encoder, VAE encode; %d steps x %.2f; decode %.2f)",
                      (std::string("whole job 512x512, ") + c.scheduler + ", " + std::to_string(c.steps) + " steps, cfg " +
                       (c.guidance > 1 ? "on" : "off"))
                          .c_str(),
                      total, first, c.steps, steps, decode);
        log(buf);
        std::snprintf(buf, sizeof buf,
                      "  minor page faults: to the first step's end %ld, a step %ld, decode %ld; large blocks mapped "
                      "afresh in the steps after the first %zu",
                      stepFaults.front() - faults0,
                      (stepFaults.back() - stepFaults.front()) / std::max<long>(1, long(stepFaults.size()) - 1),
                      faultsEnd - stepFaults.back(), stepMaps.back() - stepMaps.front());
        log(buf);
        if (split && stepEnds.size() > 1) {
            nlohmann::json js;
            double sum = 0;
            const std::string line = "  a step's split:" + opSplitText(ops, double(stepEnds.size() - 1), &sum, &js);
            js["other"] = steps - sum;
            std::snprintf(buf, sizeof buf, " other %.2f s (the scheduler, blending, copies, the framework)", steps - sum);
            log(line + buf);
            out[k + "_step_ops_s"] = js;
        }
    }
    // The loaded UNet alone at one CFG step's shape (batch 2, 64x64 latents, 77 context tokens),
    // after one warm-up call: the step time and split without the pipeline around it (after the
    // jobs, so that the first job starts as cold as a first job after a load does).
    if (device.is_cpu() && !model->isSdxl()) {
        c10::InferenceMode guard;
        const auto& uc = model->unet()->config();
        const auto o = torch::TensorOptions().dtype(dtype);
        const torch::Tensor lat = torch::randn({2, uc.inChannels, 64, 64}, o);
        const torch::Tensor ctx = torch::randn({2, 77, uc.crossAttentionDim[0]}, o);
        const torch::Tensor t = torch::full({2}, 999.0);
        (void)model->unet()->forward(lat, t, ctx);
        models::nn::resetOpProfile();
        models::nn::setOpProfiling(true);
        const auto a = Clock::now();
        (void)model->unet()->forward(lat, t, ctx);
        const double alone = seconds(a, Clock::now());
        models::nn::setOpProfiling(false);
        double sum = 0;
        const std::string line = opSplitText(models::nn::opProfileSeconds(), 1.0, &sum);
        std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (%s other %.2f s)", "the loaded UNet alone, batch 2, 64x64",
                      alone, line.c_str() + 1, alone - sum);
        log(buf);
        out["loaded_unet_b2_64x64_s"] = alone;
    }
    // The loaded VAE's decode of the last job's latents alone: once with the waiting activation
    // blocks given back first (every page faulted in again, as after a load), then with them kept
    // (as in a job: cpu_allocator.h).
    if (device.is_cpu() && lastLatents.defined()) {
        c10::InferenceMode guard;
        double t[2];
        long faults[2];
        for (int i = 0; i < 2; ++i) {
            if (i == 0) models::nn::releaseCachedCpuBlocks();
            const long f0 = minorFaults();
            const auto a = Clock::now();
            (void)diffusion::decodeLatents(*model, lastLatents);
            t[i] = seconds(a, Clock::now());
            faults[i] = minorFaults() - f0;
        }
        std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (%ld page faults); with the blocks given back first %.2f s (%ld)",
                      "the loaded VAE's decode alone, kept blocks", t[1], faults[1], t[0], faults[0]);
        log(buf);
        out["loaded_vae_decode_512_s"] = t[1];
        out["loaded_vae_decode_512_released_s"] = t[0];
        // And its encode of the job's image (the mean of the posterior), after that decode.
        const torch::Tensor x = image.to(model->device(), model->vaeDtype());
        const long f0 = minorFaults();
        const auto a = Clock::now();
        (void)model->vaeEncode(x).mean;
        const double enc = seconds(a, Clock::now());
        std::snprintf(buf, sizeof buf, "%-44s %8.2f s  (%ld page faults)", "the loaded VAE's encode alone, kept blocks",
                      enc, minorFaults() - f0);
        log(buf);
        out["loaded_vae_encode_512_s"] = enc;
    }
    const auto mem = processMemory();
    const double peak = mem.at("VmHWM");
    out["job_end_rss_anon_gib"] = gib(mem.at("RssAnon"));  // what stays resident after the jobs, by kind
    out["job_end_rss_file_gib"] = gib(mem.at("RssFile"));
    out["job_peak_rss_gib"] = gib(peak);
    out["job_peak_rss_over_weights"] = peak / weights;
    out["job_peak_rss_excludes_load"] = peakReset;
    out["job_model"] = path.string();
    out["job_pipeline"] = nine ? "inpaint-unet" : "blend";
    std::snprintf(buf, sizeof buf, "%-44s %8.2f GiB (%.2fx the weights' %.2f GiB; the load's peak %.2f GiB)",
                  peakReset ? "peak RSS during the jobs" : "peak RSS, load + jobs", gib(peak), peak / weights,
                  gib(weights), out["load_peak_rss_gib"].get<double>());
    log(buf);
    std::snprintf(buf, sizeof buf, "%-44s %8.2f GiB anonymous, %.2f GiB file-backed", "resident after the jobs",
                  gib(mem.at("RssAnon")), gib(mem.at("RssFile")));
    log(buf);
    return out;
}

}  // namespace inpaint::bench
