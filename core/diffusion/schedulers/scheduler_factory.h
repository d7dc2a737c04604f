// Scheduler selection by CLI / UI name. Switching reproduces what a diffusers 0.25.1 user does:
// `pipe.scheduler = NewScheduler.from_config(pipe.scheduler.config, **overrides)` where
// pipe.scheduler is the checkpoint's own (scheduler/scheduler_config.json): keys the file set carry
// over, keys the source class filled in by default do not (see SchedulerConfig::fromConfig).
//
//   default          the checkpoint's `_class_name`, from its file as is
//   ddim             DDIMScheduler
//   pndm             PNDMScheduler
//   euler            EulerDiscreteScheduler
//   euler-a          EulerAncestralDiscreteScheduler
//   dpmpp-2m         DPMSolverMultistepScheduler(algorithm_type="dpmsolver++", solver_order=2)
//   dpmpp-2m-karras  same + use_karras_sigmas=True
//   lms              LMSDiscreteScheduler
#pragma once

#include "core/diffusion/schedulers/scheduler.h"
#include "core/diffusion/schedulers/scheduler_config.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace inpaint::diffusion {

// The names above, "default" first.
const std::vector<std::string>& schedulerNames();

struct SchedulerChoice {
    SchedulerKind kind;
    nlohmann::json overrides;  // from_config keyword arguments
};

// Maps a name (case-insensitive) to a class and overrides. Unknown name, or "default" with a
// checkpoint class this port does not implement: models::ConfigError listing the valid names.
SchedulerChoice resolveSchedulerName(const std::string& name, const SchedulerConfigSource& checkpoint);

// The effective configuration the named scheduler gets from the checkpoint's config.
SchedulerConfig schedulerConfigFor(const std::string& name, const SchedulerConfigSource& checkpoint);

std::unique_ptr<Scheduler> createScheduler(const SchedulerConfig& config);
std::unique_ptr<Scheduler> createScheduler(const std::string& name, const SchedulerConfigSource& checkpoint);
// `schedulerConfigJson` is the checkpoint's scheduler/scheduler_config.json.
std::unique_ptr<Scheduler> createScheduler(const std::string& name, const std::filesystem::path& schedulerConfigJson);

}  // namespace inpaint::diffusion
