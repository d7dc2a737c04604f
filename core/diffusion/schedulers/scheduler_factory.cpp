// Scheduler selection by name (see scheduler_factory.h).
#include "core/diffusion/schedulers/scheduler_factory.h"

#include "core/diffusion/schedulers/ddim_scheduler.h"
#include "core/diffusion/schedulers/dpm_solver_multistep_scheduler.h"
#include "core/diffusion/schedulers/euler_ancestral_scheduler.h"
#include "core/diffusion/schedulers/euler_discrete_scheduler.h"
#include "core/diffusion/schedulers/lcm_scheduler.h"
#include "core/diffusion/schedulers/lms_discrete_scheduler.h"
#include "core/diffusion/schedulers/pndm_scheduler.h"
#include "models/errors.h"

#include <algorithm>
#include <cctype>

namespace inpaint::diffusion {

namespace {

std::string validNames()
{
    std::string out;
    for (const auto& n : schedulerNames()) out += (out.empty() ? "" : ", ") + n;
    return out;
}

}  // namespace

const std::vector<std::string>& schedulerNames()
{
    static const std::vector<std::string> names = {"default", "ddim",     "pndm",           "euler",
                                                   "euler-a", "dpmpp-2m", "dpmpp-2m-karras", "lms",
                                                   "lcm"};
    return names;
}

SchedulerChoice resolveSchedulerName(const std::string& nameIn, const SchedulerConfigSource& checkpoint)
{
    std::string name = nameIn;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    using nlohmann::json;
    if (name == "default") {
        const auto kind = schedulerKindFromClassName(checkpoint.className);
        if (!kind) {
            throw models::ConfigError(
                (checkpoint.origin.empty() ? std::string("scheduler config") : checkpoint.origin) +
                ": the checkpoint's scheduler class '" + checkpoint.className +
                "' is not supported; choose a scheduler by name (" + validNames() + ")");
        }
        return {*kind, json::object()};
    }
    if (name == "ddim") return {SchedulerKind::Ddim, json::object()};
    if (name == "pndm") return {SchedulerKind::Pndm, json::object()};
    if (name == "euler") return {SchedulerKind::EulerDiscrete, json::object()};
    if (name == "euler-a") return {SchedulerKind::EulerAncestralDiscrete, json::object()};
    if (name == "lms") return {SchedulerKind::LmsDiscrete, json::object()};
    if (name == "lcm") return {SchedulerKind::Lcm, json::object()};
    if (name == "dpmpp-2m")
        return {SchedulerKind::DpmSolverMultistep, json{{"algorithm_type", "dpmsolver++"}, {"solver_order", 2}}};
    if (name == "dpmpp-2m-karras")
        return {SchedulerKind::DpmSolverMultistep,
                json{{"algorithm_type", "dpmsolver++"}, {"solver_order", 2}, {"use_karras_sigmas", true}}};
    throw models::ConfigError("unknown scheduler '" + nameIn + "'; valid names: " + validNames());
}

SchedulerConfig schedulerConfigFor(const std::string& name, const SchedulerConfigSource& checkpoint)
{
    const auto choice = resolveSchedulerName(name, checkpoint);
    return SchedulerConfig::fromConfig(choice.kind, checkpoint, choice.overrides);
}

std::unique_ptr<Scheduler> createScheduler(const SchedulerConfig& config)
{
    config.validate("scheduler config");
    switch (config.kind) {
    case SchedulerKind::Ddim: return std::make_unique<DdimScheduler>(config);
    case SchedulerKind::Pndm: return std::make_unique<PndmScheduler>(config);
    case SchedulerKind::EulerDiscrete: return std::make_unique<EulerDiscreteScheduler>(config);
    case SchedulerKind::EulerAncestralDiscrete: return std::make_unique<EulerAncestralScheduler>(config);
    case SchedulerKind::DpmSolverMultistep: return std::make_unique<DpmSolverMultistepScheduler>(config);
    case SchedulerKind::LmsDiscrete: return std::make_unique<LmsDiscreteScheduler>(config);
    case SchedulerKind::Lcm: return std::make_unique<LcmScheduler>(config);
    }
    throw models::ConfigError("unknown scheduler kind");
}

std::unique_ptr<Scheduler> createScheduler(const std::string& name, const SchedulerConfigSource& checkpoint)
{
    return createScheduler(schedulerConfigFor(name, checkpoint));
}

std::unique_ptr<Scheduler> createScheduler(const std::string& name, const std::filesystem::path& schedulerConfigJson)
{
    return createScheduler(name, SchedulerConfigSource::fromFile(schedulerConfigJson));
}

}  // namespace inpaint::diffusion
