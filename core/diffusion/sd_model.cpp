// SdModel: loads a diffusers folder into the torch modules of models/.
#include "core/diffusion/sd_model.h"
#include "models/nn/conv.h"

#include "models/nn/cpu_allocator.h"
#include "models/nn/bf16_probe.h"
#include "models/nn/cpu_features.h"

#include "core/diffusion/lora.h"

#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <cstdlib>

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

DtypeChoice chooseCpuDtype(const models::nn::Bf16Probe& p)
{
    if (p.ran && p.speedup >= models::nn::kBf16MinSpeedup)
        return {torch::kBFloat16, "auto: AVX-512 BF16, " + models::nn::describeProbe(p)};
    char min[16];
    std::snprintf(min, sizeof min, "%.1fx", models::nn::kBf16MinSpeedup);
    return {torch::kFloat32, "auto: AVX-512 BF16, but " + models::nn::describeProbe(p) + ", under the " + min +
                                 " that bf16's error is worth"};
}

namespace {

DtypeChoice cpuAuto()
{
    if (const char* pin = std::getenv("INPAINT_AUTO_DTYPE"); pin && *pin) {
        const std::string p = pin;
        if (p == "fp32") return {torch::kFloat32, "auto pinned to fp32 by INPAINT_AUTO_DTYPE"};
        if (p == "bf16") return {torch::kBFloat16, "auto pinned to bf16 by INPAINT_AUTO_DTYPE"};
    }
    if (!models::nn::cpuHasNativeBf16())
        return {torch::kFloat32, "auto: this CPU has no AVX-512 BF16 (" + models::nn::cpuIsaName() + "), bf16 would be slower"};
    // AVX-512 BF16 does not make bf16 fast everywhere (bf16_probe.h): measured once per process.
    const models::nn::Bf16Probe& p = models::nn::bf16SpeedProbe();
    return chooseCpuDtype(p);
}

}  // namespace

DtypeChoice resolveDtype(const std::string& name, torch::Device device)
{
    if (name == "fp32" || name == "float32") return {torch::kFloat32, "asked for"};
    if (name == "fp16" || name == "float16") {
        if (!device.is_cpu()) return {torch::kFloat16, "asked for"};
        DtypeChoice c = cpuAuto();
        c.why = "fp16 has no CPU kernels in LibTorch; running " + dtypeName(c.dtype) + " instead";
        c.fellBack = true;
        return c;
    }
    if (name == "bf16" || name == "bfloat16") {
        if (device.is_cpu() && !models::nn::cpuHasNativeBf16())
            return {torch::kBFloat16, "asked for; this CPU has no AVX-512 BF16, so bf16 is emulated and slower than fp32"};
        return {torch::kBFloat16, "asked for"};
    }
    if (name == "auto" || name.empty()) {
        if (device.is_cuda()) return {torch::kFloat16, "auto: CUDA"};
        return cpuAuto();
    }
    throw models::ConfigError("unknown dtype '" + name + "' (use auto, fp32, fp16 or bf16)");
}

torch::ScalarType parseDtype(const std::string& name, torch::Device device)
{
    return resolveDtype(name, device).dtype;
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
    std::unique_ptr<models::ClipTokenizer> tokenizer, tokenizer2;
    models::ClipTextModel textEncoder{nullptr}, textEncoder2{nullptr};
    models::UNet2DConditionModel unet{nullptr};
    models::AutoencoderKL vae{nullptr};
};

SdModel::~SdModel()
{
    m_loras.reset();  // holds the modules; before them
}

namespace {
// The bundled CLIP vocabulary with `pad` as the pad token (a model without a tokenizer folder).
std::unique_ptr<models::ClipTokenizer> bundledTokenizer(const std::string& pad)
{
    models::ClipTokenizer::Specials sp;
    sp.pad = pad;
    return std::make_unique<models::ClipTokenizer>(models::ClipTokenizer::fromData(
        models::bundledClipVocabJson(), models::bundledClipMerges(), sp, "the bundled CLIP vocabulary"));
}
}  // namespace

std::shared_ptr<SdModel> SdModel::load(const fs::path& root, const ModelLoadOptions& options, const LoadProgress& progress)
{
    auto report = [&](const char* stage, double f) {
        if (progress) progress(stage, f);
    };
    std::shared_ptr<SdModel> m(new SdModel());
    m->m_root = root;
    m->m_options = options;
    m->m_nets = std::make_unique<Nets>();
    c10::InferenceMode guard;
    const models::nn::HugePageScope hugePages;  // the weights on 2 MiB pages (when the allocator is installed)
    // The activation blocks the last jobs left waiting for reuse (cpu_allocator.h) go back to the
    // system: the load's peak is then the weights', not theirs on top.
    models::nn::releaseCachedCpuBlocks();

    // Every component as (config, weights under diffusers names): from the folder, or renamed
    // from the single file. The weights are views into the files' mappings until the strict
    // loads below copy them into the modules.
    models::ComponentSource unet, vae, text, text2;
    report("tokenizer", 0.0);
    if (models::isSingleFileCheckpoint(root)) {
        const auto file = models::SingleFileCheckpoint::open(root, options.singleFile);
        m->m_kind = file.kind();
        const fs::path tokDir = file.tokenizerDir();
        if (!tokDir.empty()) {
            m->m_nets->tokenizer = std::make_unique<models::ClipTokenizer>(models::ClipTokenizer::fromFolder(tokDir));
        } else {
            m->m_nets->tokenizer = bundledTokenizer(file.tokenizerPad());
        }
        m->m_scheduler = SchedulerConfigSource::fromJson(file.schedulerConfig(), root.string() + " (single file)");
        unet = file.unet();
        vae = file.vae();
        text = file.textEncoder();
        if (models::isSdxl(m->m_kind)) {
            // The second tokenizer (OpenCLIP bigG's, padding with "!") and text encoder
            // (CLIPTextModelWithProjection); force_zeros_for_empty_prompt keeps its default, true,
            // as from_single_file builds the pipeline.
            if (const fs::path tok2 = file.tokenizerDir2(); !tok2.empty()) {
                m->m_nets->tokenizer2 = std::make_unique<models::ClipTokenizer>(models::ClipTokenizer::fromFolder(tok2));
            } else {
                m->m_nets->tokenizer2 = bundledTokenizer(file.tokenizer2Pad());
            }
            text2 = file.textEncoder2();
        }
        m->m_description = "single file: " + models::describe(file.info()) + "; configs: " + file.configSource() +
                           "; prediction " + file.predictionType() + (file.emaUsed() ? "; EMA weights" : "");
    } else {
        const models::DiffusersFolder folder = models::DiffusersFolder::open(root);
        m->m_kind = folder.detectKind();
        const auto& index = folder.modelIndex();
        const bool sdxl = models::isSdxl(m->m_kind);
        if (sdxl) {
            // The refiner (stable-diffusion-xl-refiner-1.0) conditions on an aesthetic score instead
            // of the target size and has only the second text encoder: it re-noises and refines a
            // base model's output and is not trained to inpaint.
            const auto ra = index.find("requires_aesthetics_score");
            if (ra != index.end() && ra->is_boolean() && ra->get<bool>())
                throw models::ConfigError(root.string() + ": an SDXL refiner (requires_aesthetics_score: aesthetic-score "
                                          "conditioning, no first text encoder). It only refines an SDXL base model's "
                                          "output and is not supported: use an SDXL base or inpainting checkpoint");
            if (const auto fz = index.find("force_zeros_for_empty_prompt"); fz != index.end() && fz->is_boolean())
                m->m_forceZerosForEmptyPrompt = fz->get<bool>();
        }
        std::vector<std::string> needed{"unet", "vae", "text_encoder", "scheduler"};
        if (sdxl) needed.insert(needed.begin() + 3, "text_encoder_2");
        for (const auto& c : needed) {
            if (!folder.hasComponent(c))
                throw models::ConfigError(root.string() + ": model_index.json has no '" + c + "' component" +
                                          (sdxl && c.rfind("text_encoder", 0) == 0
                                               ? " (an SDXL model needs both text encoders, text_encoder and text_encoder_2)"
                                               : ""));
            if (!fs::is_directory(root / c))
                throw models::ConfigError(root.string() + ": the '" + c + "' folder is missing" +
                                          (sdxl && c.rfind("text_encoder", 0) == 0
                                               ? " (an SDXL model needs both text encoders, text_encoder and text_encoder_2)"
                                               : ""));
        }
        const fs::path tokDir = root / "tokenizer";
        m->m_nets->tokenizer = std::make_unique<models::ClipTokenizer>(
            fs::is_directory(tokDir) ? models::ClipTokenizer::fromFolder(tokDir) : models::ClipTokenizer::bundled());
        m->m_scheduler = SchedulerConfigSource::fromFile(folder.componentConfigPath("scheduler"));
        auto component = [&](const std::string& name) {
            models::ComponentSource c;
            c.config = folder.componentConfig(name);
            c.configWhat = folder.componentConfigPath(name).string();
            c.weights = folder.loadWeights(name, options.preferFp16Weights);
            c.weightsWhat = (root / name).string();
            return c;
        };
        unet = component("unet");
        vae = component("vae");
        text = component("text_encoder");
        text.weightsWhat = "the text encoder (" + folder.weightFiles("text_encoder", options.preferFp16Weights).files.front().string() + ")";
        if (sdxl) {
            const fs::path tok2 = root / "tokenizer_2";
            if (fs::is_directory(tok2)) {
                m->m_nets->tokenizer2 = std::make_unique<models::ClipTokenizer>(models::ClipTokenizer::fromFolder(tok2));
            } else {
                m->m_nets->tokenizer2 = bundledTokenizer("!");  // SDXL's tokenizer_2 pads with "!" (id 0)
            }
            text2 = component("text_encoder_2");
            text2.weightsWhat = "the second text encoder (" +
                                folder.weightFiles("text_encoder_2", options.preferFp16Weights).files.front().string() + ")";
            // As from_pretrained: the class in model_index.json decides about text_projection.
            const std::string cls = folder.componentClass("text_encoder_2");
            if (cls == "CLIPTextModel")
                throw models::ConfigError(root.string() + ": text_encoder_2 is a CLIPTextModel; SDXL needs a "
                                          "CLIPTextModelWithProjection (its pooled, projected output conditions the UNet)");
        }
        m->m_description = "diffusers folder";
    }
    if (!options.vae.empty()) {
        vae = models::loadVaeSource(options.vae, vae.config, vae.configWhat);
        m->m_description += "; VAE " + options.vae.filename().string();
    }

    // The UNet's added text/time conditioning must agree with the family found above (an SDXL UNet
    // in a folder of another shape, or the reverse, fails here before any weights are read).
    const auto unetConfig = models::UNet2DConditionConfig::fromJson(unet.config, unet.configWhat);
    if (unetConfig.hasTextTimeEmbedding() != models::isSdxl(m->m_kind))
        throw models::ConfigError(unet.configWhat + ": the UNet's addition_embed_type does not fit the model's family (" +
                                  models::toString(m->m_kind) + ")");
    // On the CPU the convolutions' packed weights are made here, once per load (conv.h).
    auto place = [&](torch::nn::Module& mod, torch::ScalarType dt) {
        mod.to(options.device, dt);
        mod.eval();
        models::nn::prepackConvs(mod);
    };
    report("text_encoder", 0.05);
    {
        const auto cfg = models::ClipTextConfig::fromJson(text.config, "text encoder config (" + text.configWhat + ")");
        m->m_nets->textEncoder = models::loadClipTextModel(cfg, std::move(text.weights), text.weightsWhat, options.device, options.dtype);
    }
    if (models::isSdxl(m->m_kind)) {
        auto cfg = models::ClipTextConfig::fromJson(text2.config, "second text encoder config (" + text2.configWhat + ")");
        cfg.withProjection = true;
        // The UNet's add_embedding takes the pooled projection and 6 sinusoidal time ids.
        const int64_t expected = 6 * unetConfig.additionTimeEmbedDim + cfg.projectionDim;
        if (unetConfig.projectionClassEmbeddingsInputDim != expected) {
            const bool refiner = unetConfig.projectionClassEmbeddingsInputDim == 5 * unetConfig.additionTimeEmbedDim + cfg.projectionDim;
            throw models::ConfigError(
                unet.configWhat + ": projection_class_embeddings_input_dim " +
                std::to_string(unetConfig.projectionClassEmbeddingsInputDim) + " does not fit 6 time ids x " +
                std::to_string(unetConfig.additionTimeEmbedDim) + " + the second text encoder's projection_dim " +
                std::to_string(cfg.projectionDim) + " = " + std::to_string(expected) +
                (refiner ? ": this is an SDXL refiner UNet (5 ids with an aesthetic score), which is not supported" : ""));
        }
        m->m_nets->textEncoder2 =
            models::loadClipTextModel(cfg, std::move(text2.weights), text2.weightsWhat, options.device, options.dtype);
    }
    report("unet", 0.15);
    {
        m->m_nets->unet = models::UNet2DConditionModel(unetConfig);
        m->m_nets->unet->loadWeights(unet.weights, unet.weightsWhat);
        unet.weights.clear();
        place(*m->m_nets->unet, options.dtype);
    }
    report("vae", 0.85);
    {
        auto cfg = models::AutoencoderKLConfig::fromJson(vae.config, vae.configWhat);
        // diffusers' upcast_vae: an fp16 pipeline runs a force_upcast VAE in fp32 (bf16 has fp32's
        // range and needs no upcast; diffusers does not upcast it either).
        m->m_vaeDtype = options.dtype == torch::kFloat16 && cfg.forceUpcast && models::isSdxl(m->m_kind)
                            ? torch::kFloat32
                            : options.dtype;
        m->m_nets->vae = models::AutoencoderKL(cfg);
        m->m_nets->vae->loadWeights(vae.weights, vae.weightsWhat);
        vae.weights.clear();
        place(*m->m_nets->vae, m->m_vaeDtype);
    }
    report("done", 1.0);
    return m;
}

const models::ClipTokenizer& SdModel::tokenizer() const { return *m_nets->tokenizer; }
models::ClipTextModel& SdModel::textEncoder() { return m_nets->textEncoder; }
bool SdModel::hasTextEncoder2() const { return !m_nets->textEncoder2.is_empty(); }
const models::ClipTokenizer& SdModel::tokenizer2() const
{
    if (!m_nets->tokenizer2) throw models::ConfigError(m_root.string() + " has no second tokenizer (not an SDXL model)");
    return *m_nets->tokenizer2;
}
models::ClipTextModel& SdModel::textEncoder2()
{
    if (!m_nets->textEncoder2) throw models::ConfigError(m_root.string() + " has no second text encoder (not an SDXL model)");
    return m_nets->textEncoder2;
}
models::UNet2DConditionModel& SdModel::unet() { return m_nets->unet; }
models::AutoencoderKL& SdModel::vae() { return m_nets->vae; }
LoraState& SdModel::loras()
{
    if (!m_loras) m_loras = std::make_unique<LoraState>(*this);
    return *m_loras;
}

int64_t SdModel::unetInChannels() const { return m_nets->unet->config().inChannels; }
int64_t SdModel::latentChannels() const { return m_nets->vae->config().latentChannels; }
int64_t SdModel::vaeScaleFactor() const { return m_nets->vae->vaeScaleFactor(); }
int64_t SdModel::memoryBytes() const
{
    int64_t total = 0;
    for (torch::nn::Module* mod : {static_cast<torch::nn::Module*>(m_nets->unet.get()),
                                   static_cast<torch::nn::Module*>(m_nets->vae.get()),
                                   static_cast<torch::nn::Module*>(m_nets->textEncoder.get()),
                                   m_nets->textEncoder2.is_empty()
                                       ? nullptr
                                       : static_cast<torch::nn::Module*>(m_nets->textEncoder2.get())}) {
        if (!mod) continue;  // SD 1.x / 2.x have no second text encoder
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

torch::Tensor SdModel::unetForward(const torch::Tensor& sample, double timestep, const torch::Tensor& encoderHiddenStates,
                                   const torch::Tensor& textEmbeds, const torch::Tensor& timeIds)
{
    c10::InferenceMode guard;
    torch::Tensor t = torch::full({sample.size(0)}, timestep, torch::TensorOptions().dtype(torch::kFloat32).device(m_options.device));
    models::UNetAddedCond added;
    added.textEmbeds = textEmbeds.to(m_options.device, m_options.dtype);
    added.timeIds = timeIds.to(m_options.device, torch::kFloat32);  // sizes stay exact (bf16 is not, above 256)
    return m_nets->unet->forward(sample.to(m_options.device, m_options.dtype), t,
                                 encoderHiddenStates.to(m_options.device, m_options.dtype), added);
}

VaeTiling parseVaeTiling(const std::string& name)
{
    if (name == "auto" || name.empty()) return VaeTiling::Auto;
    if (name == "on") return VaeTiling::On;
    if (name == "off") return VaeTiling::Off;
    throw models::ConfigError("unknown VAE tiling '" + name + "' (use auto, on or off)");
}

bool SdModel::tilesVae(int64_t height, int64_t width) const
{
    const int64_t tile = m_nets->vae->tileSampleSize();
    const bool larger = height > tile || width > tile;
    switch (m_vaeTiling) {
    case VaeTiling::On: return larger;
    case VaeTiling::Off: return false;
    case VaeTiling::Auto: break;
    }
    return larger && height * width > kAutoTilePixels;
}

int64_t SdModel::vaeDecodeBytes(int64_t height, int64_t width) const
{
    // The decoder's widest full-resolution tensors: the last level's input, upsampled from the
    // level before (SD: 256 channels at full size), about three of them alive at once (a resnet's
    // input, its normalised copy and its output). An estimate from the shapes, not yet checked
    // against a measured peak.
    const auto& ch = m_nets->vae->config().blockOutChannels;
    const int64_t widest = ch.size() >= 2 ? std::max(ch[0], ch[1]) : ch[0];
    return 3 * widest * height * width * static_cast<int64_t>(c10::elementSize(m_vaeDtype));
}

namespace {

// MemAvailable of /proc/meminfo in bytes; 0 when unknown (then nothing is refused).
int64_t availableMemory()
{
    std::FILE* f = std::fopen("/proc/meminfo", "r");
    if (!f) return 0;
    char line[256];
    int64_t kb = 0;
    while (std::fgets(line, sizeof line, f))
        if (std::sscanf(line, "MemAvailable: %ld kB", &kb) == 1) break;
    std::fclose(f);
    return kb * 1024;
}

}  // namespace

models::LatentDistribution SdModel::vaeEncode(const torch::Tensor& image)
{
    c10::InferenceMode guard;
    const torch::Tensor x = image.to(m_options.device, m_vaeDtype);
    if (tilesVae(x.size(2), x.size(3))) return m_nets->vae->tiledEncode(x);
    return m_nets->vae->encode(x);
}

torch::Tensor SdModel::vaeDecode(const torch::Tensor& latents)
{
    c10::InferenceMode guard;
    const torch::Tensor z = latents.to(m_options.device, m_vaeDtype);
    const int64_t f = m_nets->vae->vaeScaleFactor(), h = z.size(2) * f, w = z.size(3) * f;
    if (tilesVae(h, w)) return m_nets->vae->tiledDecode(z);
    if (m_options.device.is_cpu()) {
        const int64_t need = vaeDecodeBytes(h, w) * z.size(0), have = availableMemory();
        if (have > 0 && need > have) {
            // The largest square that fits: need scales with the pixel count.
            const auto side = static_cast<int64_t>(std::sqrt(double(h) * double(w) * double(have) / double(need))) / 8 * 8;
            throw models::ConfigError("decoding a " + std::to_string(w) + "x" + std::to_string(h) +
                                      " image untiled needs about " + std::to_string(need >> 20) + " MiB, and " +
                                      std::to_string(have >> 20) + " MiB are free: untiled, at most about " +
                                      std::to_string(side) + "x" + std::to_string(side) +
                                      " px fit here. Turn VAE tiling on (--vae-tiling on or auto).");
        }
    }
    return m_nets->vae->decode(z);
}

}  // namespace inpaint::diffusion
