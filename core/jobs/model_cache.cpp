// ModelCache (see model_cache.h).
#include "core/jobs/model_cache.h"

#include "core/diffusion/sd_model.h"
#include "models/io/diffusers_folder.h"

#include <torch/torch.h>

#include <unistd.h>

#include <filesystem>
#include <list>

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

qint64 weightFileBytes(const std::string& path)
{
    qint64 n = 0;
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec)) {  // a single file (fp16 files grow when upcast; close enough)
        const auto size = std::filesystem::file_size(path, ec);
        return ec ? 0 : static_cast<qint64>(size);
    }
    try {
        const auto folder = models::DiffusersFolder::open(path);
        for (const char* c : {"unet", "vae", "text_encoder"})
            for (const auto& f : folder.weightFiles(c).files) n += static_cast<qint64>(std::filesystem::file_size(f));
    } catch (const std::exception&) {
        // The load itself reports what is wrong.
    }
    return n;
}

}  // namespace

ModelCache::ModelCache(qint64 budgetBytes) : d(std::make_unique<Private>())
{
    d->budget = budgetBytes > 0 ? budgetBytes : defaultCacheBudget();
}
ModelCache::~ModelCache() = default;
qint64 ModelCache::budgetBytes() const { return d->budget; }
int ModelCache::size() const { return static_cast<int>(d->entries.size()); }
qint64 ModelCache::usedBytes() const { return d->used(); }

std::shared_ptr<SdModel> ModelCache::get(const std::string& path, const diffusion::ModelLoadOptions& o,
                                         const std::function<void(const std::string&, double)>& progress)
{
    const auto& f = o.singleFile;
    const std::string key = path + "|" + o.device.str() + "|" + diffusion::dtypeName(o.dtype) + "|vae=" + o.vae.string() +
                            "|yaml=" + f.originalConfig.string() + "|config=" + f.configDir.string() +
                            "|pred=" + f.predictionType.value_or("") + "|ema=" + (f.ema.value_or(false) ? "1" : "0") +
                            "|size=" + std::to_string(f.imageSize);
    for (auto it = d->entries.begin(); it != d->entries.end(); ++it) {
        if (it->key == key) {
            d->entries.splice(d->entries.begin(), d->entries, it);
            return d->entries.front().model;
        }
    }
    // Make room first, so the new model and the old ones never exceed the budget together.
    const qint64 estimate = weightFileBytes(path);
    while (!d->entries.empty() && d->used() + estimate > d->budget) d->entries.pop_back();
    auto m = SdModel::load(path, o, progress);
    d->entries.push_front({key, m, static_cast<qint64>(m->memoryBytes())});
    while (d->entries.size() > 1 && d->used() > d->budget) d->entries.pop_back();
    return m;
}

}  // namespace inpaint::jobs
