// DiffusionBackend: the glue between a job's work region and core/diffusion.
#include "core/jobs/diffusion_backend.h"

#include "core/diffusion/latent_preview.h"
#include "core/diffusion/lora.h"
#include "core/diffusion/pipeline.h"
#include "core/diffusion/prompt_conditioning.h"
#include "core/diffusion/prompt_syntax.h"
#include "core/diffusion/sd_model.h"
#include "core/imaging/classical_inpaint.h"
#include "core/jobs/model_cache.h"
#include "core/jobs/model_files.h"
#include "core/jobs/tensor_image.h"
#include "models/clip/clip_text_model.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "models/nn/cancel.h"
#include "models/vae/autoencoder_tiny.h"

#include <torch/torch.h>

#include <QFileInfo>

#include <filesystem>
#include <stdexcept>

namespace inpaint::jobs {

using diffusion::SdModel;

namespace {

diffusion::PipelineParams paramsFor(const InpaintRequest& r, const SdModel& model)
{
    diffusion::PipelineParams p;
    PipelineKind kind = r.pipeline;
    if (kind == PipelineKind::Auto)
        kind = model.unetInChannels() == 2 * model.latentChannels() + 1 ? PipelineKind::InpaintUnet : PipelineKind::Blend;
    p.mode = kind == PipelineKind::InpaintUnet ? diffusion::PipelineMode::InpaintUnet
             : kind == PipelineKind::Img2Img   ? diffusion::PipelineMode::Img2Img
                                               : diffusion::PipelineMode::Blend;
    p.blendTiming = r.blendTiming == BlendTiming::Current ? diffusion::BlendTiming::Current : diffusion::BlendTiming::Next;
    // Fill is a pre-filled image (run() does it); the pipeline sees it as the original.
    p.maskedContent = r.maskedContent == MaskedContent::LatentNoise ? diffusion::MaskedContent::LatentNoise
                                                                    : diffusion::MaskedContent::Original;
    p.prompt = r.prompt.toStdString();
    if (!r.negativePrompt.isEmpty()) p.negativePrompt = r.negativePrompt.toStdString();
    p.scheduler = r.scheduler.toStdString();
    p.steps = r.steps;
    p.guidance = r.guidance;
    p.strength = r.strength;
    p.eta = r.eta;
    p.sharedNoise = r.sharedNoise;
    p.noiseSeed = r.seed;
    p.clipSkip = r.clipSkip;
    p.softInpaint = r.softInpaint;
    // diffusers' (height, width) and (top, left).
    if (r.originalSize) p.originalSize = std::array<int64_t, 2>{r.originalSize->height(), r.originalSize->width()};
    if (r.cropsTopLeft) p.cropsCoordsTopLeft = std::array<int64_t, 2>{r.cropsTopLeft->y(), r.cropsTopLeft->x()};
    if (r.targetSize) p.targetSize = std::array<int64_t, 2>{r.targetSize->height(), r.targetSize->width()};
    return p;
}

namespace fs = std::filesystem;

std::vector<fs::path> paths(const QStringList& dirs)
{
    std::vector<fs::path> out;
    for (const QString& d : dirs) out.emplace_back(d.toStdString());
    return out;
}

// The LoRA set of a job: the panel's (or --lora) list, then the prompt's tags.
std::vector<diffusion::LoraSpec> loraSpecsFor(const InpaintRequest& r)
{
    std::vector<diffusion::LoraSpec> out;
    for (const LoraUse& l : r.loras) {
        QString file = l.file;
        if (isBareName(file)) {  // a recipe's "Lora: name:w": looked up as the prompt's tags are
            QString error;
            file = findLora(file, searchFolders(r.loraDirs, r.modelPath, QStringLiteral("loras")),
                            QStringLiteral("The recipe names the LoRA '%1'").arg(file), &error);
            if (file.isEmpty()) throw models::ConfigError(error.toStdString());
        }
        out.push_back({file.toStdString(), l.weight, l.weight});
    }
    const auto tags = diffusion::loraNetworks(diffusion::extractExtraNetworks(r.prompt.toStdString()).networks);
    if (!tags.empty()) {
        const QStringList folders = searchFolders(r.loraDirs, r.modelPath, QStringLiteral("loras"));
        for (const auto& t : tags) {
            const QString name = QString::fromStdString(t.name);
            QString error;
            const QString file = findLora(name, folders, QStringLiteral("The prompt names <lora:%1>").arg(name), &error);
            if (file.isEmpty()) throw models::ConfigError(error.toStdString());
            out.push_back({file.toStdString(), t.te, t.unet});
        }
    }
    return out;
}

// c10::Error's what() carries a C++ backtrace; the person gets one sentence.
[[noreturn]] void rethrowEngineError(const c10::Error& e)
{
    const std::string msg = e.what_without_backtrace();
    if (msg.find("out of memory") != std::string::npos)
        throw std::runtime_error("The device ran out of memory; try the CPU, a smaller region or fp16.");
    throw std::runtime_error("The engine failed: " + msg);
}

}  // namespace

DiffusionBackend::DiffusionBackend(std::shared_ptr<ModelCache> cache)
    : m_cache(cache ? std::move(cache) : std::make_shared<ModelCache>(1))
{
}

DiffusionBackend::~DiffusionBackend() = default;

WorkNeeds DiffusionBackend::prepare(const InpaintRequest& req, const StatusSink& onStatus, const std::atomic<bool>& cancel)
{
    noteEngineCall("DiffusionBackend::prepare");
    configureTorchThreads();
    c10::InferenceMode inferenceMode;
    try {
        diffusion::ModelLoadOptions lo;
        lo.device = diffusion::parseDevice(name(req.device).toStdString());
        const diffusion::DtypeChoice precision = diffusion::resolveDtype(name(req.dtype).toStdString(), lo.device);
        lo.dtype = precision.dtype;
        m_cuda = lo.device.is_cuda();
        m_engine = QStringLiteral("%1 %2 (%3)")
                       .arg(m_cuda ? QStringLiteral("cuda") : QStringLiteral("cpu"),
                            QString::fromStdString(diffusion::dtypeName(lo.dtype)), QString::fromStdString(precision.why));
        if (precision.fellBack && onStatus) onStatus(QString::fromStdString(precision.why));
        lo.singleFile.originalConfig = req.originalConfig.toStdString();
        lo.singleFile.configDir = req.configDir.toStdString();
        if (!req.predictionType.isEmpty()) lo.singleFile.predictionType = req.predictionType.toStdString();
        lo.singleFile.ema = req.ema;
        (void)loraSpecsFor(req);  // a LoRA that cannot be found fails now, not after the model loaded
        lo.vae = req.vaePath.toStdString();
        if (isBareName(req.vaePath)) {  // a recipe's "VAE: file": vae/ beside the model, or its folder
            InpaintRequest named = req;
            named.loras.clear();
            QString error;
            if (!resolveNamedFiles(&named, &error)) throw models::ConfigError(error.toStdString());
            lo.vae = named.vaePath.toStdString();
        }
        const QString modelName = QFileInfo(req.modelPath).fileName();
        if (req.tinyVaePath.isEmpty()) {
            m_tinyVae.reset();
            m_tinyVaeKey.clear();
        } else if (const std::string key = req.tinyVaePath.toStdString() + "|" + lo.device.str() + "|" +
                                           diffusion::dtypeName(lo.dtype);
                   key != m_tinyVaeKey) {
            try {
                m_tinyVae = models::AutoencoderTinyImpl::loadFolder(req.tinyVaePath.toStdString(), lo.device, lo.dtype);
                m_tinyVaeKey = key;
            } catch (const models::ModelError& e) {
                throw models::ModelError("The tiny VAE '" + req.tinyVaePath.toStdString() + "' could not be loaded: " +
                                         e.what());
            }
        }
        try {
            // Stages arrive between the components; a cancel there abandons the load.
            m_model = m_cache->get(req.modelPath.toStdString(), lo, [&](const std::string& stage, double fraction) {
                if (cancel.load()) throw models::Cancelled();
                if (onStatus && stage != "done")
                    onStatus(QStringLiteral("Loading %1: %2 (%3 %)")
                                 .arg(modelName, QString::fromStdString(stage))
                                 .arg(int(fraction * 100)));
            });
        } catch (const models::ModelError& e) {
            throw models::ModelError("The model '" + modelName.toStdString() + "' could not be loaded: " + e.what() +
                                     " Pick another model, or check its folder with 'inpaint-cli info --model DIR'.");
        }
    } catch (const c10::Error& e) {
        rethrowEngineError(e);
    }
    WorkNeeds needs;
    needs.multiple = static_cast<int>(m_model->vaeScaleFactor());
    needs.nativeSize = static_cast<int>(m_model->nativeSize());
    needs.engine = m_engine;
    needs.family = QString::fromStdString(models::familyName(m_model->kind()));
    return needs;
}

QImage DiffusionBackend::run(const InpaintRequest& req, const QImage& workImage, const QImage& workMask,
                             const WorkPreviewSink& onStep, const std::atomic<bool>& cancel)
{
    noteEngineCall("DiffusionBackend::run");
    if (!m_model) throw std::logic_error("DiffusionBackend::run before prepare");
    configureTorchThreads();
    c10::InferenceMode inferenceMode;
    const models::CancelScope cancelScope(&cancel);  // checked between the UNet's and VAE's blocks
    // The activation blocks of this job stay mapped for the next one (cpu_allocator.h: at most its
    // cache limit; SdModel::load gives them back).
    SdModel& model = *m_model;
    try {
        diffusion::PipelineParams params = paramsFor(req, model);
        // LoRAs merged into the weights (a no-op when the set is the one already merged), and the
        // textual-inversion embeddings the prompt may name.
        model.loras().apply(loraSpecsFor(req));
        diffusion::EmbeddingDatabase embeddings;
        diffusion::SdxlEmbeddings sdxlEmbeddings;
        if (const auto dirs = paths(searchFolders(req.embeddingDirs, req.modelPath, QStringLiteral("embeddings")));
            !dirs.empty()) {
            if (model.isSdxl()) {
                // SDXL embeddings carry clip_l and clip_g vectors; SD 1.x/2.x files in the same
                // folders are skipped (they fit the other family), as A1111 lists them as skipped.
                std::vector<std::string> skipped;
                sdxlEmbeddings = diffusion::loadSdxlEmbeddings(dirs, model.textEncoder()->config().hiddenSize,
                                                               model.textEncoder2()->config().hiddenSize, &skipped);
            } else {
                embeddings = diffusion::loadEmbeddings(dirs, model.textEncoder()->config().hiddenSize);
            }
        }
        params.embeddings = model.isSdxl() ? &sdxlEmbeddings.clipL : &embeddings;
        params.embeddings2 = model.isSdxl() ? &sdxlEmbeddings.clipG : nullptr;
        model.setVaeTiling(req.vaeTiling == VaeTiling::On    ? diffusion::VaeTiling::On
                           : req.vaeTiling == VaeTiling::Off ? diffusion::VaeTiling::Off
                                                             : diffusion::VaeTiling::Auto);
        if (req.tinyDecoder) {
            if (!m_tinyVae)
                throw models::ConfigError("the final decode by the tiny VAE needs one: give its folder (--tiny-vae DIR)");
            params.finalDecoder = [this](const torch::Tensor& latents) { return diffusion::tinyDecode(*m_tinyVae, latents); };
        }
        QImage image = workImage;
        if (req.maskedContent == MaskedContent::Fill && params.mode == diffusion::PipelineMode::Blend) {
            QString err;
            image = imaging::classicalInpaint(workImage, workMask, imaging::ClassicalMethod::Telea, 5, &err);
            if (image.isNull()) throw models::ModelError("pre-filling the hole failed: " + err.toStdString());
        }
        const diffusion::PipelineInputs in{rgbToTensor(image), maskToTensor(workMask)};
        diffusion::GeneratorRandomSource random(req.seed);

        PreviewMode preview = req.previewMode;
        // Auto: the tiny VAE when one is installed, on the CPU from latents pooled 2x2 (a TAESD
        // decode at 512² costs about 9 % of a bf16 CFG step on the 2-core EPYC at full size, a
        // quarter of that at half size; inpaint-bench); else approximate on the CPU (0.03 %), where
        // a full decode costs more than a step, and the full decode on CUDA.
        if (preview == PreviewMode::Auto)
            preview = m_tinyVae ? (m_cuda ? PreviewMode::Tiny : PreviewMode::TinyHalf)
                                : !m_cuda ? PreviewMode::Approximate : PreviewMode::Full;
        const bool tiny = preview == PreviewMode::Tiny || preview == PreviewMode::TinyHalf;
        if (tiny && !m_tinyVae) preview = PreviewMode::Approximate;  // prepare() said why
        const int64_t vsf = model.vaeScaleFactor();
        auto stepCb = [&](const diffusion::StepInfo& s) {
            QImage shown;
            // The last step's preview is the decoded result itself (runJob shows it): no decode here.
            if (preview != PreviewMode::None && s.step < s.total && s.predictedClean.defined())
                shown = tensorToRgb(preview == PreviewMode::Full ? diffusion::decodeLatents(model, s.predictedClean)
                                    : preview == PreviewMode::Tiny     ? diffusion::tinyDecode(*m_tinyVae, s.predictedClean)
                                    : preview == PreviewMode::TinyHalf ? diffusion::tinyDecode(*m_tinyVae, s.predictedClean, 2)
                                                                       : diffusion::approximateDecode(s.predictedClean, vsf));
            if (onStep) onStep(s.step, s.total, shown);
        };

        const diffusion::PipelineOutput out = diffusion::runPipeline(model, in, params, random, stepCb, &cancel);
        if (out.status == diffusion::PipelineStatus::Canceled) throw models::Cancelled();
        if (!req.latentsOut.isEmpty()) models::saveSafetensors(req.latentsOut.toStdString(), {{"latents", out.latents}});
        return tensorToRgb(out.image);
    } catch (const c10::Error& e) {
        rethrowEngineError(e);
    }
}

}  // namespace inpaint::jobs
