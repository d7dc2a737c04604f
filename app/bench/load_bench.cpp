// inpaint-bench --load (see load_bench.h).
#include "load_bench.h"
#include "process_memory.h"

#include "core/diffusion/sd_model.h"

#include <chrono>
#include <cstdio>

namespace inpaint::bench {


nlohmann::json runLoadBench(const std::filesystem::path& model, torch::Device device, torch::ScalarType dtype, int runs,
                            const std::function<void(const std::string&)>& log)
{
    nlohmann::json result;
    const auto before = processMemory();
    result["model"] = model.string();
    result["rss_before_bytes"] = before.at("VmRSS");
    nlohmann::json loads = nlohmann::json::array();
    char buf[512];
    for (int i = 0; i < runs; ++i) {
        diffusion::ModelLoadOptions options;
        options.device = device;
        options.dtype = dtype;
        const auto start = std::chrono::steady_clock::now();
        auto m = diffusion::SdModel::load(model, options);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const auto after = processMemory();
        loads.push_back({{"seconds", s},
                         {"rss_bytes", after.at("VmRSS")},
                         {"rss_anon_bytes", after.at("RssAnon")},
                         {"rss_file_bytes", after.at("RssFile")}});
        std::snprintf(buf, sizeof buf,
                      "load %d: %.2f s; resident %.2f GiB (weights in the modules %.2f GiB, mapped file pages %.2f GiB)",
                      i + 1, s, gib(after.at("VmRSS")), gib(after.at("RssAnon")), gib(after.at("RssFile")));
        log(buf);
        m.reset();  // the next load starts from nothing but the page cache
    }
    const auto end = processMemory();
    result["loads"] = loads;
    result["peak_rss_bytes"] = end.at("VmHWM");
    std::snprintf(buf, sizeof buf, "peak resident %.2f GiB (before loading %.2f GiB)", gib(end.at("VmHWM")),
                  gib(before.at("VmRSS")));
    log(buf);
    return result;
}

}  // namespace inpaint::bench
