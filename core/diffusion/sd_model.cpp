// SdModel: loads a diffusers folder into the torch modules of models/.
#include "core/diffusion/sd_model.h"

#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>

namespace inpaint::diffusion {

namespace fs = std::filesystem;

torch::Device parseDevice(const std::string& name)
{
    if (name == "cpu") return torch::kCPU;
    if (name == "cuda") {
        if (!torch::cuda::is_available())
            throw models::ConfigError("device 'cuda' was asked for, but this LibTorch build or machine has no CUDA device");
        return torch::Device(torch::kCUDA, 0);
    }
    if (name == "auto" || name.empty())
        return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
    throw models::ConfigError("unknown device '" + name + "' (use auto, cpu or cuda)");
}

torch::ScalarType parseDtype(const std::string& name, torch::Device device)
{
    if (name == "fp32" || name == "float32") return torch::kFloat32;
    if (name == "fp16" || name == "float16") {
        if (device.is_cpu())
            throw models::ConfigError("fp16 is not supported on the CPU (use fp32 or bf16)");
        return torch::kFloat16;
    }
    if (name == "bf16" || name == "bfloat16") return torch::kBFloat16;
    if (name == "auto" || name.empty()) return device.is_cuda() ? torch::kFloat16 : torch::kFloat32;
    throw models::ConfigError("unknown dtype '" + name + "' (use auto, fp32, fp16 or bf16)");
}

std::string dtypeName(torch::ScalarType t)
{
    switch (t) {
    case torch::kFloat32: return "fp32";
    case torch::kFloat16: return "fp16";
    case torch::kBFloat16: return "bf16";
    default: return c10::toString(t);
    }
}

struct SdModel::Nets {
    std::unique_ptr<models::ClipTokenizer> tokenizer;
    models::ClipTextModel textEncoder{nullptr};
    models::UNet2DConditionModel unet{nullptr};
    models::AutoencoderKL vae{nullptr};
};

SdModel::~SdModel() = default;

std::shared_ptr<SdModel> SdModel::load(const fs::path& root, const ModelLoadOptions& options, const LoadProgress& progress)
{
    auto report = [&](const char* stage, double f) {
        if (progress) progress(stage, f);
    };
    std::shared_ptr<SdModel> m(new SdModel());
    m->m_root = root;
    m->m_options = options;
    m->m_nets = std::make_unique<Nets>();
    const models::DiffusersFolder folder = models::DiffusersFolder::open(root);
    m->m_kind = folder.detectKind();
    for (const char* c : {"unet", "vae", "text_encoder", "scheduler"})
        if (!folder.hasComponent(c))
            throw models::ConfigError(root.string() + ": model_index.json has no '" + std::string(c) + "' component");

    c10::InferenceMode guard;
    report("tokenizer", 0.0);
    const fs::path tokDir = root / "tokenizer";
    m->m_nets->tokenizer = std::make_unique<models::ClipTokenizer>(
        fs::is_directory(tokDir) ? models::ClipTokenizer::fromFolder(tokDir) : models::ClipTokenizer::bundled());
    m->m_scheduler = SchedulerConfigSource::fromFile(folder.componentConfigPath("scheduler"));

    auto place = [&](torch::nn::Module& mod) { mod.to(options.device, options.dtype); mod.eval(); };

    report("text_encoder", 0.05);
    {
        m->m_nets->textEncoder =
            models::loadClipTextModel(folder, options.device, options.dtype, options.preferFp16Weights);
        m->m_nets->textEncoder->eval();
    }
    report("unet", 0.15);
    {
        auto cfg = models::UNet2DConditionConfig::fromJson(folder.componentConfig("unet"),
                                                           (root / "unet" / "config.json").string());
        m->m_nets->unet = models::UNet2DConditionModel(cfg);
        m->m_nets->unet->loadWeights(folder.loadWeights("unet", options.preferFp16Weights), (root / "unet").string());
        place(*m->m_nets->unet);
    }
    report("vae", 0.85);
    {
        auto cfg = models::AutoencoderKLConfig::fromJson(folder.componentConfig("vae"), (root / "vae" / "config.json").string());
        m->m_nets->vae = models::AutoencoderKL(cfg);
        m->m_nets->vae->loadWeights(folder.loadWeights("vae", options.preferFp16Weights), (root / "vae").string());
        place(*m->m_nets->vae);
    }
    report("done", 1.0);
    return m;
}

const models::ClipTokenizer& SdModel::tokenizer() const { return *m_nets->tokenizer; }
models::ClipTextModel& SdModel::textEncoder() { return m_nets->textEncoder; }
models::UNet2DConditionModel& SdModel::unet() { return m_nets->unet; }
models::AutoencoderKL& SdModel::vae() { return m_nets->vae; }

int64_t SdModel::unetInChannels() const { return m_nets->unet->config().inChannels; }
int64_t SdModel::latentChannels() const { return m_nets->vae->config().latentChannels; }
int64_t SdModel::vaeScaleFactor() const { return m_nets->vae->vaeScaleFactor(); }
int64_t SdModel::memoryBytes() const
{
    int64_t total = 0;
    for (torch::nn::Module* mod : {static_cast<torch::nn::Module*>(m_nets->unet.get()),
                                   static_cast<torch::nn::Module*>(m_nets->vae.get()),
                                   static_cast<torch::nn::Module*>(m_nets->textEncoder.get())}) {
        for (const auto& p : mod->parameters()) total += p.numel() * static_cast<int64_t>(p.element_size());
        for (const auto& b : mod->buffers()) total += b.numel() * static_cast<int64_t>(b.element_size());
    }
    return total;
}

int64_t SdModel::nativeSize() const
{
    const int64_t s = m_nets->unet->config().sampleSize;
    return s > 0 ? s * vaeScaleFactor() : 512;
}
double SdModel::scalingFactor() const { return m_nets->vae->scalingFactor(); }

torch::Tensor SdModel::tokenize(const std::string& text) const
{
    std::vector<int64_t> ids = m_nets->tokenizer->encode(text);
    return torch::tensor(ids, torch::kInt64).unsqueeze(0);
}

torch::Tensor SdModel::encodePrompt(const std::string& text)
{
    c10::InferenceMode guard;
    torch::Tensor ids = tokenize(text).to(m_options.device);
    return m_nets->textEncoder->forward(ids).lastHiddenState;
}

torch::Tensor SdModel::unetForward(const torch::Tensor& sample, double timestep, const torch::Tensor& encoderHiddenStates)
{
    c10::InferenceMode guard;
    torch::Tensor t = torch::full({sample.size(0)}, timestep, torch::TensorOptions().dtype(torch::kFloat32).device(m_options.device));
    return m_nets->unet->forward(sample.to(m_options.device, m_options.dtype), t,
                                 encoderHiddenStates.to(m_options.device, m_options.dtype));
}

models::LatentDistribution SdModel::vaeEncode(const torch::Tensor& image)
{
    c10::InferenceMode guard;
    return m_nets->vae->encode(image.to(m_options.device, m_options.dtype));
}

torch::Tensor SdModel::vaeDecode(const torch::Tensor& latents)
{
    c10::InferenceMode guard;
    return m_nets->vae->decode(latents.to(m_options.device, m_options.dtype));
}

}  // namespace inpaint::diffusion
