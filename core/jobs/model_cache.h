// ModelCache: loaded models, kept between jobs on the worker thread: the most recently used ones
// whose parameters fit in a byte budget together (the newest is always kept). Before a load,
// older models are dropped so the new one (estimated from its weight files) fits beside the rest.
// Worker thread only; torch stays in the .cpp.
#pragma once

#include <QtGlobal>

#include <functional>
#include <memory>
#include <string>

namespace inpaint::diffusion {
class SdModel;
struct ModelLoadOptions;
}  // namespace inpaint::diffusion

namespace inpaint::jobs {

class ModelCache {
public:
    // budgetBytes <= 0: half of the machine's memory ($INPAINT_MODEL_CACHE_MB overrides).
    explicit ModelCache(qint64 budgetBytes = 0);
    ~ModelCache();
    ModelCache(const ModelCache&) = delete;
    ModelCache& operator=(const ModelCache&) = delete;

    qint64 budgetBytes() const;
    int size() const;
    qint64 usedBytes() const;

    // The model at `path` for these options, loaded (reporting stages) unless cached. A throw
    // from `progress` (a cancel) abandons the load and leaves the cache as it was before it.
    std::shared_ptr<diffusion::SdModel> get(const std::string& path, const diffusion::ModelLoadOptions& options,
                                            const std::function<void(const std::string& stage, double fraction)>& progress);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace inpaint::jobs
