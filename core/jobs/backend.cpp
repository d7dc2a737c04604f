// The default backend factory: classical without a model, diffusion with one.
#include "core/jobs/backend.h"

#include "core/jobs/classical_backend.h"
#include "core/jobs/diffusion_backend.h"
#include "core/jobs/model_cache.h"

namespace inpaint::jobs {

BackendFactory defaultBackendFactory()
{
    // One cache for the factory's lifetime: a loaded model is reused by the next job.
    auto cache = std::make_shared<ModelCache>();
    return [cache](const InpaintRequest& request, QString* error) -> std::unique_ptr<Backend> {
        if (isClassical(request.pipeline)) return std::make_unique<ClassicalBackend>();
        if (request.pipeline == PipelineKind::Auto && request.modelPath.isEmpty())
            return std::make_unique<ClassicalBackend>();
        if (!request.modelPath.isEmpty()) return std::make_unique<DiffusionBackend>(cache);
        if (error)
            *error = QStringLiteral("The %1 pipeline needs a Stable Diffusion model, and none is loaded; "
                                    "use classical-telea or classical-ns.")
                         .arg(name(request.pipeline));
        return nullptr;
    };
}

}  // namespace inpaint::jobs
