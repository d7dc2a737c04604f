// DiffusionBackend: the glue between a request (QImages, settings) and core/diffusion.
#include "core/jobs/diffusion_backend.h"

#include "core/diffusion/latent_preview.h"
#include "core/diffusion/pipeline.h"
#include "core/diffusion/sd_model.h"
#include "core/diffusion/schedulers/scheduler_factory.h"
#include "core/imaging/classical_inpaint.h"
#include "core/imaging/composite.h"
#include "core/imaging/mask_ops.h"
#include "core/imaging/region_plan.h"
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"

#include <torch/torch.h>

#include <QElapsedTimer>
#include <QFileInfo>

#include <unistd.h>

#include <algorithm>
#include <list>
#include <thread>

namespace inpaint::jobs {

using diffusion::SdModel;

struct ModelCache::Private {
    struct Entry {
        std::string key;
        std::shared_ptr<SdModel> model;
        qint64 bytes = 0;
    };
    qint64 budget = 0;
    std::list<Entry> entries;  // most recent first

    qint64 used() const
    {
        qint64 n = 0;
        for (const Entry& e : entries) n += e.bytes;
        return n;
    }

    static qint64 weightFileBytes(const std::string& path)
    {
        qint64 n = 0;
        try {
            const auto folder = models::DiffusersFolder::open(path);
            for (const char* c : {"unet", "vae", "text_encoder"})
                for (const auto& f : folder.weightFiles(c).files) n += static_cast<qint64>(std::filesystem::file_size(f));
        } catch (const std::exception&) {
            // The load itself reports what is wrong.
        }
        return n;
    }

    std::shared_ptr<SdModel> get(const std::string& path, const diffusion::ModelLoadOptions& o,
                                 const diffusion::LoadProgress& progress)
    {
        const std::string key = path + "|" + o.device.str() + "|" + diffusion::dtypeName(o.dtype);
        for (auto it = entries.begin(); it != entries.end(); ++it) {
            if (it->key == key) {
                entries.splice(entries.begin(), entries, it);
                return entries.front().model;
            }
        }
        // Make room first, so the new model and the old ones never exceed the budget together.
        const qint64 estimate = weightFileBytes(path);
        while (!entries.empty() && used() + estimate > budget) entries.pop_back();
        auto m = SdModel::load(path, o, progress);
        entries.push_front({key, m, static_cast<qint64>(m->memoryBytes())});
        while (entries.size() > 1 && used() > budget) entries.pop_back();
        return m;
    }
};

namespace {
qint64 defaultCacheBudget()
{
    bool ok = false;
    const qint64 mb = qEnvironmentVariableIntValue("INPAINT_MODEL_CACHE_MB", &ok);
    if (ok && mb > 0) return mb * 1024 * 1024;
    const long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGE_SIZE);
    if (pages > 0 && pageSize > 0) return static_cast<qint64>(pages) * pageSize / 2;
    return qint64(4) * 1024 * 1024 * 1024;
}
}  // namespace

ModelCache::ModelCache(qint64 budgetBytes) : m_d(std::make_unique<Private>())
{
    m_d->budget = budgetBytes > 0 ? budgetBytes : defaultCacheBudget();
}
ModelCache::~ModelCache() = default;
qint64 ModelCache::budgetBytes() const { return m_d->budget; }
int ModelCache::size() const { return static_cast<int>(m_d->entries.size()); }
qint64 ModelCache::usedBytes() const { return m_d->used(); }

QStringList schedulerNames()
{
    QStringList names;
    for (const std::string& n : diffusion::schedulerNames()) names << QString::fromStdString(n);
    return names;
}

QString describeEngine(const QString& device, const QString& dtype)
{
    try {
        const torch::Device d = diffusion::parseDevice(device.toStdString());
        const torch::ScalarType t = diffusion::parseDtype(dtype.toStdString(), d);
        const QString type = QString::fromStdString(diffusion::dtypeName(t));
        if (d.is_cuda()) return QStringLiteral("CUDA · %1").arg(type);
        return QStringLiteral("CPU · %1 · %2 threads").arg(type).arg(std::max(1u, std::thread::hardware_concurrency()));
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

void configureTorchThreads()
{
    const unsigned n = std::max(1u, std::thread::hardware_concurrency());
    if (torch::get_num_threads() != static_cast<int>(n)) torch::set_num_threads(static_cast<int>(n));
}

namespace {

torch::Tensor rgbToTensor(const QImage& rgb888)  // [1, 3, H, W] in [-1, 1], as VaeImageProcessor
{
    const int w = rgb888.width(), h = rgb888.height();
    torch::Tensor t = torch::empty({h, w, 3}, torch::kUInt8);
    for (int y = 0; y < h; ++y) std::memcpy(t[y].data_ptr<uint8_t>(), rgb888.constScanLine(y), static_cast<size_t>(w) * 3);
    return (t.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 255.0f) * 2.0f - 1.0f;
}

torch::Tensor maskToTensor(const QImage& grey8)  // [1, 1, H, W] in [0, 1]
{
    const int w = grey8.width(), h = grey8.height();
    torch::Tensor t = torch::empty({h, w}, torch::kUInt8);
    for (int y = 0; y < h; ++y) std::memcpy(t[y].data_ptr<uint8_t>(), grey8.constScanLine(y), static_cast<size_t>(w));
    return t.unsqueeze(0).unsqueeze(0).to(torch::kFloat32) / 255.0f;
}

QImage tensorToRgb(const torch::Tensor& img01)  // [1, 3, H, W] in [0, 1] -> RGB888, round(x * 255)
{
    torch::Tensor u8 = (img01[0].permute({1, 2, 0}) * 255.0f).round().clamp(0, 255).to(torch::kUInt8).contiguous();
    const int h = static_cast<int>(u8.size(0)), w = static_cast<int>(u8.size(1));
    QImage out(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y) std::memcpy(out.scanLine(y), u8[y].data_ptr<uint8_t>(), static_cast<size_t>(w) * 3);
    return out;
}

diffusion::PipelineParams paramsFor(const InpaintRequest& r, int64_t unetChannels, int64_t latentChannels)
{
    diffusion::PipelineParams p;
    PipelineKind kind = r.pipeline;
    if (kind == PipelineKind::Auto)
        kind = unetChannels == 2 * latentChannels + 1 ? PipelineKind::InpaintUnet : PipelineKind::Blend;
    p.mode = kind == PipelineKind::InpaintUnet ? diffusion::PipelineMode::InpaintUnet : diffusion::PipelineMode::Blend;
    if (r.blendTiming == QLatin1String("current")) p.blendTiming = diffusion::BlendTiming::Current;
    else if (r.blendTiming != QLatin1String("next"))
        throw models::ConfigError("unknown blend timing '" + r.blendTiming.toStdString() + "' (use next or current)");
    if (r.maskedContent == QLatin1String("latent-noise")) p.maskedContent = diffusion::MaskedContent::LatentNoise;
    else if (r.maskedContent != QLatin1String("original") && r.maskedContent != QLatin1String("fill"))
        throw models::ConfigError("unknown masked content '" + r.maskedContent.toStdString() +
                                  "' (use original, fill or latent-noise)");
    p.prompt = r.prompt.toStdString();
    if (!r.negativePrompt.isEmpty()) p.negativePrompt = r.negativePrompt.toStdString();
    p.scheduler = r.scheduler.toStdString();
    p.steps = r.steps;
    p.guidance = r.guidance;
    p.strength = r.strength;
    p.eta = r.eta;
    p.sharedNoise = r.sharedNoise;
    p.noiseSeed = r.seed;
    return p;
}

}  // namespace

DiffusionBackend::DiffusionBackend(std::shared_ptr<ModelCache> cache)
    : m_cache(cache ? std::move(cache) : std::make_shared<ModelCache>(1))
{
}

InpaintResult DiffusionBackend::run(const InpaintRequest& req, const StepSink& onStep, const std::atomic<bool>& cancel)
{
    QElapsedTimer timer;
    timer.start();
    InpaintResult result;
    result.jobId = req.id;
    configureTorchThreads();
    c10::InferenceMode inferenceMode;

    try {
        if (req.modelPath.isEmpty()) throw models::ConfigError("no model was given for the " +
                                                               pipelineName(req.pipeline).toStdString() + " pipeline");
        const QRect box = imaging::maskBoundingBox(req.mask);
        if (box.isEmpty()) {  // nothing to repaint: the image as it is, no model run
            result.image = req.image;
            result.status = JobStatus::Ok;
            result.seconds = timer.elapsed() / 1000.0;
            return result;
        }

        diffusion::ModelLoadOptions lo;
        lo.device = diffusion::parseDevice(req.device.toStdString());
        lo.dtype = diffusion::parseDtype(req.dtype.toStdString(), lo.device);
        if (cancel.load()) {
            result.status = JobStatus::Canceled;
            return result;
        }
        const QString modelName = QFileInfo(req.modelPath).fileName();
        std::shared_ptr<SdModel> model;
        try {
            model = m_cache->d()->get(req.modelPath.toStdString(), lo, [&](const std::string& stage, double fraction) {
                if (onStep && stage != "done")
                    onStep(StepReport{0, 0, {},
                                      QStringLiteral("Loading %1: %2 (%3 %)")
                                          .arg(modelName, QString::fromStdString(stage))
                                          .arg(int(fraction * 100))});
            });
        } catch (const models::ModelError& e) {
            throw models::ModelError("The model '" + modelName.toStdString() + "' could not be loaded: " + e.what() +
                                     " Pick another model, or check its folder with 'inpaint-cli info --model DIR'.");
        }
        diffusion::PipelineParams params = paramsFor(req, model->unetInChannels(), model->latentChannels());
        diffusion::validateParams(params);

        // Geometry: the VAE scale factor times the UNet's stride keeps every level's size whole.
        imaging::RegionOptions ro;
        ro.mode = req.region == QLatin1String("masked") ? imaging::RegionMode::Masked : imaging::RegionMode::Whole;
        if (req.region != QLatin1String("masked") && req.region != QLatin1String("whole"))
            throw models::ConfigError("unknown region '" + req.region.toStdString() + "' (use whole or masked)");
        ro.padding = std::max(0, req.regionPadding);
        ro.multiple = static_cast<int>(model->vaeScaleFactor());
        ro.nativeSize = static_cast<int>(model->nativeSize());
        const imaging::RegionPlan plan = imaging::planRegion(req.image.size(), box, ro);
        QImage work = imaging::extractWorkImage(req.image, plan);
        const QImage workMask = imaging::binarizeMask(imaging::extractWorkMask(req.mask, plan));
        if (req.maskedContent == QLatin1String("fill") && params.mode == diffusion::PipelineMode::Blend) {
            QString err;
            QImage filled = imaging::classicalInpaint(work, workMask, imaging::ClassicalMethod::Telea, 5, &err);
            if (filled.isNull()) throw models::ModelError("pre-filling the hole failed: " + err.toStdString());
            work = filled;
        }

        diffusion::PipelineInputs in{rgbToTensor(work), maskToTensor(workMask)};
        diffusion::GeneratorRandomSource random(req.seed);

        QString previewMode = req.previewMode;
        if (previewMode == QLatin1String("auto"))
            previewMode = lo.device.is_cuda() ? QStringLiteral("full") : QStringLiteral("approximate");
        const int64_t vsf = model->vaeScaleFactor();
        auto stepCb = [&](const diffusion::StepInfo& s) {
            QImage preview;
            if (previewMode != QLatin1String("none") && s.predictedClean.defined()) {
                torch::Tensor img = previewMode == QLatin1String("full") ? diffusion::decodeLatents(*model, s.predictedClean)
                                                                          : diffusion::approximateDecode(s.predictedClean, vsf);
                const QImage restored = imaging::restoreWorkImage(req.image, tensorToRgb(img), plan);
                preview = imaging::pasteBack(req.image, restored, req.mask);
            }
            if (onStep) onStep(StepReport{s.step, s.total, preview});
        };

        diffusion::PipelineOutput out = diffusion::runPipeline(*model, in, params, random, stepCb, &cancel);
        if (out.status == diffusion::PipelineStatus::Canceled) {
            result.status = JobStatus::Canceled;
            result.seconds = timer.elapsed() / 1000.0;
            return result;
        }
        if (!req.latentsOut.isEmpty())
            models::saveSafetensors(req.latentsOut.toStdString(), {{"latents", out.latents}});

        const QImage restored = imaging::restoreWorkImage(req.image, tensorToRgb(out.image), plan);
        if (req.pasteBack) {
            // The feathered band only reaches outward: inside the mask the result is all generated.
            QImage m = imaging::binarizeMask(req.mask);
            if (req.maskBlur > 0) imaging::unionInto(m, imaging::featherMask(m, req.maskBlur));
            result.image = imaging::pasteBack(req.image, restored, m);
        } else {
            result.image = restored;
        }
        result.status = JobStatus::Ok;
    } catch (const models::ModelError& e) {
        result.status = JobStatus::Failed;
        result.error = QString::fromStdString(e.what());
    } catch (const c10::Error& e) {
        result.status = JobStatus::Failed;
        const std::string msg = e.what_without_backtrace();
        result.error = msg.find("out of memory") != std::string::npos
                           ? QStringLiteral("The device ran out of memory; try the CPU, a smaller region or fp16.")
                           : QStringLiteral("The engine failed: %1").arg(QString::fromStdString(msg));
    }
    result.seconds = timer.elapsed() / 1000.0;
    return result;
}

}  // namespace inpaint::jobs
