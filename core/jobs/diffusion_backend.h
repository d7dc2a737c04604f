// DiffusionBackend: the blend / inpaint-unet pipelines as a job backend. prepare() loads the model
// through the shared ModelCache; run() turns the work image and mask (WorkRegion) into tensors,
// runs the pipeline with step previews, and returns the decoded work-size image. Torch stays
// inside the .cpp files.
#pragma once

#include "core/jobs/backend.h"
#include "core/jobs/engine_info.h"

#include <memory>
#include <string>

namespace inpaint::models {
class AutoencoderTinyImpl;
}
namespace inpaint::diffusion {
class SdModel;
}

namespace inpaint::jobs {

class ModelCache;

class DiffusionBackend final : public Backend {
public:
    explicit DiffusionBackend(std::shared_ptr<ModelCache> cache = {});
    ~DiffusionBackend() override;
    WorkNeeds prepare(const InpaintRequest& request, const StatusSink& onStatus, const std::atomic<bool>& cancel) override;
    QImage run(const InpaintRequest& request, const QImage& workImage, const QImage& workMask,
               const WorkPreviewSink& onStep, const std::atomic<bool>& cancel) override;

private:
    std::shared_ptr<ModelCache> m_cache;
    std::shared_ptr<diffusion::SdModel> m_model;
    bool m_cuda = false;
    QString m_engine;  // "cpu bf16 (auto: ...)", set by prepare
    // The tiny VAE for previews, kept while the path, device and dtype stay the same.
    std::shared_ptr<models::AutoencoderTinyImpl> m_tinyVae;
    std::string m_tinyVaeKey;
};

}  // namespace inpaint::jobs
