// libFuzzer harness: scheduler/scheduler_config.json through the config JSON reader,
// SchedulerConfigSource::fromJson and, for every scheduler class, SchedulerConfig::fromConfig
// (diffusers' from_config) and toJson. Only the public functions are called.
#include "tests/fuzz/fuzz_util.h"

#include "core/diffusion/schedulers/scheduler_config.h"
#include "models/errors.h"
#include "models/io/json_config.h"

using namespace inpaint;
using diffusion::SchedulerKind;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    diffusion::SchedulerConfigSource source;
    try {
        const auto json = models::parseConfigJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
        source = diffusion::SchedulerConfigSource::fromJson(json, "fuzz input");
    } catch (const models::ModelError&) {
        return 0;
    }
    fuzz::sink(diffusion::schedulerKindFromClassName(source.className).has_value());
    for (const SchedulerKind kind : {SchedulerKind::Ddim, SchedulerKind::Pndm, SchedulerKind::EulerDiscrete,
                                     SchedulerKind::EulerAncestralDiscrete, SchedulerKind::DpmSolverMultistep,
                                     SchedulerKind::LmsDiscrete}) {
        try {
            const auto c = diffusion::SchedulerConfig::fromConfig(kind, source);
            fuzz::sink(c.toJson().size());
            fuzz::sink(diffusion::SchedulerConfig::carriedKeys(kind, source).size());
        } catch (const models::ModelError&) {
        }
    }
    return 0;
}
