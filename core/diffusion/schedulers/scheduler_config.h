// Scheduler configuration with diffusers 0.25.1 semantics: the constructor arguments of each
// supported scheduler class, their per-class defaults, and the `Cls.from_config(other.config)`
// rule for which keys of a checkpoint's scheduler_config.json carry over into another class.
// Mirrors diffusers/configuration_utils.py (register_to_config, extract_init_dict) and the
// __init__ signatures of the seven scheduler classes.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace inpaint::diffusion {

enum class SchedulerKind {
    Ddim,                    // DDIMScheduler
    Pndm,                    // PNDMScheduler
    EulerDiscrete,           // EulerDiscreteScheduler
    EulerAncestralDiscrete,  // EulerAncestralDiscreteScheduler
    DpmSolverMultistep,      // DPMSolverMultistepScheduler
    LmsDiscrete,             // LMSDiscreteScheduler
    Lcm,                     // LCMScheduler
};

// "DDIMScheduler", ... (the diffusers class name).
std::string schedulerClassName(SchedulerKind kind);
// Inverse of schedulerClassName; nullopt for classes this port does not implement.
std::optional<SchedulerKind> schedulerKindFromClassName(const std::string& className);
// The constructor keyword arguments of the class (diffusers 0.25.1), i.e. the keys that
// from_config hands to it.
const std::vector<std::string>& schedulerInitKeys(SchedulerKind kind);

// A checkpoint's scheduler_config.json as diffusers sees it after `from_pretrained`: its class and
// the keys the file SET. Keys the file did not set were filled in by the source class's defaults and
// listed in `_use_default_values`; from_config drops those, so they never reach another class.
struct SchedulerConfigSource {
    std::string className;   // "_class_name" ("" when absent)
    nlohmann::json keys;     // object: every key the file set, "_"-prefixed keys removed
    std::string origin;      // file path or description, used in error messages

    // Throws models::FormatError (unreadable / not JSON) or models::ConfigError (not an object,
    // `_class_name` not a string).
    static SchedulerConfigSource fromFile(const std::filesystem::path& path);
    static SchedulerConfigSource fromJson(const nlohmann::json& json, const std::string& origin);
};

// The effective constructor arguments of one scheduler class. Fields that the class does not take
// keep their (unused) defaults. Names follow diffusers' keys in camelCase. Every key's JSON name,
// default and classes are one row of the key table in scheduler_config.cpp; a default-constructed
// SchedulerConfig holds DDIMScheduler's defaults.
struct SchedulerConfig {
    SchedulerKind kind = SchedulerKind::Ddim;

    // Shared by every class.
    int64_t numTrainTimesteps{};
    double betaStart{};
    double betaEnd{};
    std::string betaSchedule;                           // linear | scaled_linear | squaredcos_cap_v2
    std::optional<std::vector<double>> trainedBetas;    // overrides beta_* when set
    std::string predictionType;                         // epsilon | v_prediction | sample (per class)
    std::string timestepSpacing;                        // leading | trailing | linspace (class default)
    int64_t stepsOffset{};

    // DDIM (setAlphaToOne also PNDM, whose default is false).
    bool clipSample{};
    double clipSampleRange{};
    bool setAlphaToOne{};
    // DDIM and DPM-Solver.
    bool thresholding{};
    double dynamicThresholdingRatio{};
    double sampleMaxValue{};
    // DDIM, Euler, Euler a.
    bool rescaleBetasZeroSnr{};

    // PNDM.
    bool skipPrkSteps{};

    // Euler (useKarrasSigmas also LMS and DPM-Solver).
    std::string interpolationType;    // linear | log_linear
    bool useKarrasSigmas{};
    std::optional<double> sigmaMin;
    std::optional<double> sigmaMax;
    std::string timestepType;         // discrete | continuous

    // DPM-Solver multistep.
    int64_t solverOrder{};                       // 1..3
    std::string algorithmType;                   // dpmsolver | dpmsolver++ | sde-dpmsolver | sde-dpmsolver++
    std::string solverType;                      // midpoint | heun
    bool lowerOrderFinal{};
    bool eulerAtFinal{};
    bool useLuLambdas{};
    double lambdaMinClipped{};                   // -inf by default
    std::optional<std::string> varianceType;     // only null is supported
    // LCM.
    int64_t originalInferenceSteps{};            // the distillation schedule's length (50)
    double timestepScaling{};                    // c_skip / c_out time scale (10)

    // DDIMScheduler's defaults (= defaults(SchedulerKind::Ddim)).
    SchedulerConfig();

    // The class's own defaults (diffusers __init__ signature).
    static SchedulerConfig defaults(SchedulerKind kind);

    // `Cls.from_config(source_scheduler.config, **overrides)`: start from the class defaults, apply
    // every key that the source FILE set and that the class takes, then `overrides`. Keys the class
    // does not take are ignored, as diffusers does, except that `rescale_betas_zero_snr: true` for a
    // class without zero-SNR support is a ConfigError (the model was trained on another schedule).
    // Every value is type- and range-checked; a bad one is a models::ConfigError naming the key.
    static SchedulerConfig fromConfig(SchedulerKind kind, const SchedulerConfigSource& source,
                                      const nlohmann::json& overrides = nlohmann::json::object());

    // The source keys that fromConfig ignores for `kind` (diffusers keeps them in `scheduler.config`
    // as unused "hidden" entries).
    static std::vector<std::string> carriedKeys(SchedulerKind kind, const SchedulerConfigSource& source);

    // The constructor arguments of `kind` under diffusers' key names (lambda_min_clipped -inf is
    // written as the string "-Infinity", as the reference JSON does).
    nlohmann::json toJson() const;

    // Range/enum checks; fromConfig calls it. Throws models::ConfigError naming the key.
    void validate(const std::string& origin) const;
};

}  // namespace inpaint::diffusion
