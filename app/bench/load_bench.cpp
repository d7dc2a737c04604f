// inpaint-bench --load (see load_bench.h).
#include "load_bench.h"

#include "core/diffusion/sd_model.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

namespace inpaint::bench {

namespace {

// VmRSS, RssAnon, RssFile, VmHWM of this process in bytes (/proc/self/status).
std::map<std::string, double> memoryNow()
{
    std::map<std::string, double> out;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        for (const char* key : {"VmRSS", "RssAnon", "RssFile", "VmHWM"}) {
            const std::string k = std::string(key) + ":";
            if (line.rfind(k, 0) == 0) {
                std::istringstream v(line.substr(k.size()));
                double kb = 0;
                v >> kb;
                out[key] = kb * 1024.0;
            }
        }
    }
    return out;
}

double gib(double bytes) { return bytes / (1024.0 * 1024.0 * 1024.0); }

}  // namespace

nlohmann::json runLoadBench(const std::filesystem::path& model, torch::Device device, torch::ScalarType dtype, int runs,
                            const std::function<void(const std::string&)>& log)
{
    nlohmann::json result;
    const auto before = memoryNow();
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
        const auto after = memoryNow();
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
    const auto end = memoryNow();
    result["loads"] = loads;
    result["peak_rss_bytes"] = end.at("VmHWM");
    std::snprintf(buf, sizeof buf, "peak resident %.2f GiB (before loading %.2f GiB)", gib(end.at("VmHWM")),
                  gib(before.at("VmRSS")));
    log(buf);
    return result;
}

}  // namespace inpaint::bench
