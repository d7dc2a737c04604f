// DiffusionBackend: runs the blend / inpaint-unet pipelines for a request: plans the region,
// converts pixels to tensors, runs the pipeline with previews, and pastes the result back so
// unmasked pixels stay bit-identical. Torch stays inside the .cpp.
#pragma once

#include "core/jobs/backend.h"

#include <QString>
#include <QStringList>
#include <memory>

namespace inpaint::jobs {

// Loaded models, kept between jobs on the worker thread: the most recently used ones whose
// parameters fit in `budgetBytes` together (the newest is always kept). Before a load, older
// models are dropped so the new one (estimated from its weight files) fits beside the rest.
class ModelCache {
public:
    // budgetBytes <= 0: half of the machine's memory ($INPAINT_MODEL_CACHE_MB overrides).
    explicit ModelCache(qint64 budgetBytes = 0);
    qint64 budgetBytes() const;
    int size() const;
    qint64 usedBytes() const;
    ~ModelCache();
    ModelCache(const ModelCache&) = delete;
    ModelCache& operator=(const ModelCache&) = delete;
    struct Private;
    Private* d() { return m_d.get(); }

private:
    std::unique_ptr<Private> m_d;
};

class DiffusionBackend final : public Backend {
public:
    explicit DiffusionBackend(std::shared_ptr<ModelCache> cache = {});
    InpaintResult run(const InpaintRequest& request, const StepSink& onStep,
                      const std::atomic<bool>& cancel) override;

private:
    std::shared_ptr<ModelCache> m_cache;
};

// The scheduler names the engine understands ("default" first), for the CLI and the prompt panel.
QStringList schedulerNames();

// What the engine will run on for these preferences, for the status bar: "CPU · fp32 · 2 threads",
// "CUDA · fp16", or the reason they cannot be used ("CUDA asked for, but ...").
QString describeEngine(const QString& device, const QString& dtype);

// Sets LibTorch's intra-op threads to the machine's cores (LibTorch defaults to 1 here).
void configureTorchThreads();

}  // namespace inpaint::jobs
