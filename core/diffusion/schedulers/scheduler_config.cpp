// Scheduler configuration parsing and diffusers' from_config key rule (see scheduler_config.h).
#include "core/diffusion/schedulers/scheduler_config.h"

#include "models/errors.h"
#include "models/io/json_config.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

namespace inpaint::diffusion {

using models::ConfigError;
using nlohmann::json;

namespace {

const std::vector<std::string> kCommonKeys = {"num_train_timesteps", "beta_start", "beta_end", "beta_schedule",
                                              "trained_betas"};

std::vector<std::string> withCommon(std::initializer_list<const char*> more)
{
    std::vector<std::string> keys = kCommonKeys;
    for (const char* k : more) keys.emplace_back(k);
    return keys;
}

std::string joinList(const std::vector<std::string>& items)
{
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    return out;
}

[[noreturn]] void badKey(const std::string& origin, SchedulerKind kind, const std::string& key,
                         const std::string& problem)
{
    throw ConfigError(origin + ": scheduler key '" + key + "' " + problem + " (for " + schedulerClassName(kind) +
                      ")");
}

std::string describe(const json& v)
{
    std::string s = v.dump();
    if (s.size() > 60) s = s.substr(0, 57) + "...";
    return s;
}

// Python's json writes non-finite floats as bare literals (read by readConfigJson as numbers); the
// reference JSON also spells them as strings. Both are accepted for float keys.
bool toDouble(const json& v, double& out)
{
    if (v.is_number()) {
        out = v.get<double>();
        return true;
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (s == "-Infinity" || s == "-inf") out = -std::numeric_limits<double>::infinity();
        else if (s == "Infinity" || s == "inf") out = std::numeric_limits<double>::infinity();
        else if (s == "NaN" || s == "nan") out = std::numeric_limits<double>::quiet_NaN();
        else return false;
        return true;
    }
    return false;
}

struct KeyReader {
    SchedulerKind kind;
    const std::string& origin;

    double getDouble(const std::string& key, const json& v) const
    {
        double d = 0;
        if (!toDouble(v, d)) badKey(origin, kind, key, "must be a number, got " + describe(v));
        return d;
    }
    int64_t getInt(const std::string& key, const json& v) const
    {
        if (v.is_number_integer()) return v.get<int64_t>();
        if (v.is_number_float()) {
            const double d = v.get<double>();
            if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) return static_cast<int64_t>(d);
        }
        badKey(origin, kind, key, "must be an integer, got " + describe(v));
    }
    bool getBool(const std::string& key, const json& v, bool nullIsFalse = false) const
    {
        if (v.is_boolean()) return v.get<bool>();
        if (nullIsFalse && v.is_null()) return false;  // Optional[bool] = None is falsy in diffusers
        badKey(origin, kind, key, "must be true or false, got " + describe(v));
    }
    std::string getString(const std::string& key, const json& v) const
    {
        if (v.is_string()) return v.get<std::string>();
        badKey(origin, kind, key, "must be a string, got " + describe(v));
    }
    std::optional<double> getOptDouble(const std::string& key, const json& v) const
    {
        if (v.is_null()) return std::nullopt;
        return getDouble(key, v);
    }
};

// Applies one (key, value) the class takes. Keys outside the class are never passed here.
void applyKey(SchedulerConfig& c, const std::string& key, const json& v, const KeyReader& r)
{
    if (key == "num_train_timesteps") c.numTrainTimesteps = r.getInt(key, v);
    else if (key == "beta_start") c.betaStart = r.getDouble(key, v);
    else if (key == "beta_end") c.betaEnd = r.getDouble(key, v);
    else if (key == "beta_schedule") c.betaSchedule = r.getString(key, v);
    else if (key == "trained_betas") {
        if (v.is_null()) {
            c.trainedBetas.reset();
        } else if (v.is_array()) {
            std::vector<double> betas;
            betas.reserve(v.size());
            for (const auto& b : v) betas.push_back(r.getDouble(key, b));
            c.trainedBetas = std::move(betas);
        } else {
            badKey(r.origin, r.kind, key, "must be null or a list of numbers, got " + describe(v));
        }
    }
    else if (key == "prediction_type") c.predictionType = r.getString(key, v);
    else if (key == "timestep_spacing") c.timestepSpacing = r.getString(key, v);
    else if (key == "steps_offset") c.stepsOffset = r.getInt(key, v);
    else if (key == "clip_sample") c.clipSample = r.getBool(key, v);
    else if (key == "clip_sample_range") c.clipSampleRange = r.getDouble(key, v);
    else if (key == "set_alpha_to_one") c.setAlphaToOne = r.getBool(key, v);
    else if (key == "thresholding") c.thresholding = r.getBool(key, v);
    else if (key == "dynamic_thresholding_ratio") c.dynamicThresholdingRatio = r.getDouble(key, v);
    else if (key == "sample_max_value") c.sampleMaxValue = r.getDouble(key, v);
    else if (key == "rescale_betas_zero_snr") c.rescaleBetasZeroSnr = r.getBool(key, v);
    else if (key == "skip_prk_steps") c.skipPrkSteps = r.getBool(key, v);
    else if (key == "interpolation_type") c.interpolationType = r.getString(key, v);
    else if (key == "use_karras_sigmas") c.useKarrasSigmas = r.getBool(key, v, true);
    else if (key == "sigma_min") c.sigmaMin = r.getOptDouble(key, v);
    else if (key == "sigma_max") c.sigmaMax = r.getOptDouble(key, v);
    else if (key == "timestep_type") c.timestepType = r.getString(key, v);
    else if (key == "solver_order") c.solverOrder = r.getInt(key, v);
    else if (key == "algorithm_type") c.algorithmType = r.getString(key, v);
    else if (key == "solver_type") c.solverType = r.getString(key, v);
    else if (key == "lower_order_final") c.lowerOrderFinal = r.getBool(key, v);
    else if (key == "euler_at_final") c.eulerAtFinal = r.getBool(key, v);
    else if (key == "use_lu_lambdas") c.useLuLambdas = r.getBool(key, v, true);
    else if (key == "lambda_min_clipped") c.lambdaMinClipped = r.getDouble(key, v);
    else if (key == "variance_type") {
        if (v.is_null()) c.varianceType.reset();
        else c.varianceType = r.getString(key, v);
    }
}

bool takes(SchedulerKind kind, const std::string& key)
{
    const auto& keys = schedulerInitKeys(kind);
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

void requireOneOf(const std::string& origin, SchedulerKind kind, const std::string& key, const std::string& value,
                  const std::vector<std::string>& allowed)
{
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        badKey(origin, kind, key, "has unsupported value '" + value + "' (supported: " + joinList(allowed) + ")");
}

json floatJson(double d)
{
    if (std::isinf(d)) return d < 0 ? json("-Infinity") : json("Infinity");
    if (std::isnan(d)) return json("NaN");
    return json(d);
}

}  // namespace

std::string schedulerClassName(SchedulerKind kind)
{
    switch (kind) {
    case SchedulerKind::Ddim: return "DDIMScheduler";
    case SchedulerKind::Pndm: return "PNDMScheduler";
    case SchedulerKind::EulerDiscrete: return "EulerDiscreteScheduler";
    case SchedulerKind::EulerAncestralDiscrete: return "EulerAncestralDiscreteScheduler";
    case SchedulerKind::DpmSolverMultistep: return "DPMSolverMultistepScheduler";
    case SchedulerKind::LmsDiscrete: return "LMSDiscreteScheduler";
    }
    return "?";
}

std::optional<SchedulerKind> schedulerKindFromClassName(const std::string& className)
{
    for (auto k : {SchedulerKind::Ddim, SchedulerKind::Pndm, SchedulerKind::EulerDiscrete,
                   SchedulerKind::EulerAncestralDiscrete, SchedulerKind::DpmSolverMultistep,
                   SchedulerKind::LmsDiscrete}) {
        if (schedulerClassName(k) == className) return k;
    }
    return std::nullopt;
}

const std::vector<std::string>& schedulerInitKeys(SchedulerKind kind)
{
    static const std::vector<std::string> ddim =
        withCommon({"clip_sample", "set_alpha_to_one", "steps_offset", "prediction_type", "thresholding",
                    "dynamic_thresholding_ratio", "clip_sample_range", "sample_max_value", "timestep_spacing",
                    "rescale_betas_zero_snr"});
    static const std::vector<std::string> pndm =
        withCommon({"skip_prk_steps", "set_alpha_to_one", "prediction_type", "timestep_spacing", "steps_offset"});
    static const std::vector<std::string> euler =
        withCommon({"prediction_type", "interpolation_type", "use_karras_sigmas", "sigma_min", "sigma_max",
                    "timestep_spacing", "timestep_type", "steps_offset", "rescale_betas_zero_snr"});
    static const std::vector<std::string> eulerA =
        withCommon({"prediction_type", "timestep_spacing", "steps_offset", "rescale_betas_zero_snr"});
    static const std::vector<std::string> dpm =
        withCommon({"solver_order", "prediction_type", "thresholding", "dynamic_thresholding_ratio",
                    "sample_max_value", "algorithm_type", "solver_type", "lower_order_final", "euler_at_final",
                    "use_karras_sigmas", "use_lu_lambdas", "lambda_min_clipped", "variance_type",
                    "timestep_spacing", "steps_offset"});
    static const std::vector<std::string> lms =
        withCommon({"use_karras_sigmas", "prediction_type", "timestep_spacing", "steps_offset"});
    switch (kind) {
    case SchedulerKind::Ddim: return ddim;
    case SchedulerKind::Pndm: return pndm;
    case SchedulerKind::EulerDiscrete: return euler;
    case SchedulerKind::EulerAncestralDiscrete: return eulerA;
    case SchedulerKind::DpmSolverMultistep: return dpm;
    case SchedulerKind::LmsDiscrete: return lms;
    }
    return ddim;
}

SchedulerConfigSource SchedulerConfigSource::fromFile(const std::filesystem::path& path)
{
    return fromJson(models::readConfigJson(path), path.string());
}

SchedulerConfigSource SchedulerConfigSource::fromJson(const json& j, const std::string& origin)
{
    if (!j.is_object()) throw ConfigError(origin + ": scheduler config must be a JSON object");
    SchedulerConfigSource src;
    src.origin = origin;
    src.keys = json::object();
    if (auto it = j.find("_class_name"); it != j.end()) {
        if (!it->is_string()) throw ConfigError(origin + ": scheduler key '_class_name' must be a string");
        src.className = it->get<std::string>();
    }
    // A dict that went through register_to_config lists the keys its class filled in by default;
    // extract_init_dict drops them. Saved files never have it, but honour it if present.
    std::set<std::string> usedDefaults;
    if (auto it = j.find("_use_default_values"); it != j.end() && it->is_array()) {
        for (const auto& k : *it)
            if (k.is_string()) usedDefaults.insert(k.get<std::string>());
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key().empty() || it.key()[0] == '_') continue;
        if (usedDefaults.count(it.key())) continue;
        src.keys[it.key()] = it.value();
    }
    return src;
}

SchedulerConfig SchedulerConfig::defaults(SchedulerKind kind)
{
    SchedulerConfig c;
    c.kind = kind;
    switch (kind) {
    case SchedulerKind::Ddim:
        c.timestepSpacing = "leading";
        c.setAlphaToOne = true;
        c.clipSample = true;
        break;
    case SchedulerKind::Pndm:
        c.timestepSpacing = "leading";
        c.setAlphaToOne = false;
        c.skipPrkSteps = false;
        break;
    case SchedulerKind::EulerDiscrete:
    case SchedulerKind::EulerAncestralDiscrete:
    case SchedulerKind::LmsDiscrete:
    case SchedulerKind::DpmSolverMultistep:
        c.timestepSpacing = "linspace";
        break;
    }
    return c;
}

SchedulerConfig SchedulerConfig::fromConfig(SchedulerKind kind, const SchedulerConfigSource& source,
                                            const json& overrides)
{
    SchedulerConfig c = defaults(kind);
    const std::string origin = source.origin.empty() ? std::string("scheduler config") : source.origin;
    const KeyReader reader{kind, origin};
    for (const auto& key : schedulerInitKeys(kind)) {
        if (overrides.is_object() && overrides.contains(key)) applyKey(c, key, overrides.at(key), reader);
        else if (source.keys.contains(key)) applyKey(c, key, source.keys.at(key), reader);
    }
    // DPMSolverMultistepScheduler.__init__ maps these legacy names (and re-registers them).
    if (kind == SchedulerKind::DpmSolverMultistep) {
        if (c.algorithmType == "deis") c.algorithmType = "dpmsolver++";
        if (c.solverType == "logrho" || c.solverType == "bh1" || c.solverType == "bh2") c.solverType = "midpoint";
    }
    // Zero-terminal-SNR changes the noise schedule the model was trained on: a class that cannot
    // reproduce it would silently sample a different process, so refuse instead of ignoring it.
    if (!takes(kind, "rescale_betas_zero_snr")) {
        const json* v = nullptr;
        if (overrides.is_object() && overrides.contains("rescale_betas_zero_snr"))
            v = &overrides.at("rescale_betas_zero_snr");
        else if (source.keys.contains("rescale_betas_zero_snr"))
            v = &source.keys.at("rescale_betas_zero_snr");
        if (v && v->is_boolean() && v->get<bool>())
            badKey(origin, kind, "rescale_betas_zero_snr",
                   "is true, which this scheduler does not support (use ddim, euler or euler-a)");
    }
    c.validate(origin);
    return c;
}

std::vector<std::string> SchedulerConfig::carriedKeys(SchedulerKind kind, const SchedulerConfigSource& source)
{
    std::vector<std::string> out;
    for (auto it = source.keys.begin(); it != source.keys.end(); ++it)
        if (!takes(kind, it.key())) out.push_back(it.key());
    return out;
}

void SchedulerConfig::validate(const std::string& origin) const
{
    if (numTrainTimesteps < 2 || numTrainTimesteps > 100000)
        badKey(origin, kind, "num_train_timesteps", "must be in [2, 100000], got " + std::to_string(numTrainTimesteps));
    if (trainedBetas) {
        if (static_cast<int64_t>(trainedBetas->size()) != numTrainTimesteps)
            badKey(origin, kind, "trained_betas",
                   "has " + std::to_string(trainedBetas->size()) + " values but num_train_timesteps is " +
                       std::to_string(numTrainTimesteps));
        for (double b : *trainedBetas)
            if (!(b >= 0.0 && b < 1.0)) badKey(origin, kind, "trained_betas", "values must be in [0, 1)");
    } else {
        requireOneOf(origin, kind, "beta_schedule", betaSchedule, {"linear", "scaled_linear", "squaredcos_cap_v2"});
        if (betaSchedule != "squaredcos_cap_v2") {
            if (!(betaStart >= 0.0 && betaStart < 1.0)) badKey(origin, kind, "beta_start", "must be in [0, 1)");
            if (!(betaEnd >= 0.0 && betaEnd < 1.0)) badKey(origin, kind, "beta_end", "must be in [0, 1)");
        }
    }
    requireOneOf(origin, kind, "timestep_spacing", timestepSpacing, {"linspace", "leading", "trailing"});
    if (stepsOffset < 0 || stepsOffset >= numTrainTimesteps)
        badKey(origin, kind, "steps_offset", "must be in [0, num_train_timesteps)");

    switch (kind) {
    case SchedulerKind::Ddim:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "sample", "v_prediction"});
        if (!(clipSampleRange > 0.0)) badKey(origin, kind, "clip_sample_range", "must be > 0");
        break;
    case SchedulerKind::Pndm:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "v_prediction"});
        break;
    case SchedulerKind::EulerDiscrete:
        requireOneOf(origin, kind, "prediction_type", predictionType,
                     {"epsilon", "v_prediction", "sample", "original_sample"});
        requireOneOf(origin, kind, "interpolation_type", interpolationType, {"linear", "log_linear"});
        requireOneOf(origin, kind, "timestep_type", timestepType, {"discrete", "continuous"});
        if (sigmaMin && !(*sigmaMin > 0.0)) badKey(origin, kind, "sigma_min", "must be > 0");
        if (sigmaMax && !(*sigmaMax > 0.0)) badKey(origin, kind, "sigma_max", "must be > 0");
        break;
    case SchedulerKind::EulerAncestralDiscrete:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "v_prediction"});
        break;
    case SchedulerKind::LmsDiscrete:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "v_prediction", "sample"});
        break;
    case SchedulerKind::DpmSolverMultistep:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "sample", "v_prediction"});
        requireOneOf(origin, kind, "algorithm_type", algorithmType,
                     {"dpmsolver", "dpmsolver++", "sde-dpmsolver", "sde-dpmsolver++", "deis"});
        requireOneOf(origin, kind, "solver_type", solverType, {"midpoint", "heun", "logrho", "bh1", "bh2"});
        if (solverOrder < 1 || solverOrder > 3) badKey(origin, kind, "solver_order", "must be 1, 2 or 3");
        if (varianceType)
            badKey(origin, kind, "variance_type",
                   "has unsupported value '" + *varianceType + "' (only null: learned variance is not supported)");
        if (std::isnan(lambdaMinClipped)) badKey(origin, kind, "lambda_min_clipped", "must not be NaN");
        if (solverOrder == 3 && (algorithmType == "sde-dpmsolver" || algorithmType == "sde-dpmsolver++"))
            badKey(origin, kind, "solver_order", "3 has no SDE update (diffusers 0.25.1 fails at the third step)");
        break;
    }
    if (thresholding && (kind == SchedulerKind::Ddim || kind == SchedulerKind::DpmSolverMultistep)) {
        if (!(dynamicThresholdingRatio > 0.0 && dynamicThresholdingRatio <= 1.0))
            badKey(origin, kind, "dynamic_thresholding_ratio", "must be in (0, 1]");
        if (!(sampleMaxValue >= 1.0)) badKey(origin, kind, "sample_max_value", "must be >= 1");
    }
}

json SchedulerConfig::toJson() const
{
    json j = json::object();
    for (const auto& key : schedulerInitKeys(kind)) {
        if (key == "num_train_timesteps") j[key] = numTrainTimesteps;
        else if (key == "beta_start") j[key] = betaStart;
        else if (key == "beta_end") j[key] = betaEnd;
        else if (key == "beta_schedule") j[key] = betaSchedule;
        else if (key == "trained_betas") j[key] = trainedBetas ? json(*trainedBetas) : json(nullptr);
        else if (key == "prediction_type") j[key] = predictionType;
        else if (key == "timestep_spacing") j[key] = timestepSpacing;
        else if (key == "steps_offset") j[key] = stepsOffset;
        else if (key == "clip_sample") j[key] = clipSample;
        else if (key == "clip_sample_range") j[key] = clipSampleRange;
        else if (key == "set_alpha_to_one") j[key] = setAlphaToOne;
        else if (key == "thresholding") j[key] = thresholding;
        else if (key == "dynamic_thresholding_ratio") j[key] = dynamicThresholdingRatio;
        else if (key == "sample_max_value") j[key] = sampleMaxValue;
        else if (key == "rescale_betas_zero_snr") j[key] = rescaleBetasZeroSnr;
        else if (key == "skip_prk_steps") j[key] = skipPrkSteps;
        else if (key == "interpolation_type") j[key] = interpolationType;
        else if (key == "use_karras_sigmas") j[key] = useKarrasSigmas;
        else if (key == "sigma_min") j[key] = sigmaMin ? json(*sigmaMin) : json(nullptr);
        else if (key == "sigma_max") j[key] = sigmaMax ? json(*sigmaMax) : json(nullptr);
        else if (key == "timestep_type") j[key] = timestepType;
        else if (key == "solver_order") j[key] = solverOrder;
        else if (key == "algorithm_type") j[key] = algorithmType;
        else if (key == "solver_type") j[key] = solverType;
        else if (key == "lower_order_final") j[key] = lowerOrderFinal;
        else if (key == "euler_at_final") j[key] = eulerAtFinal;
        else if (key == "use_lu_lambdas") j[key] = useLuLambdas;
        else if (key == "lambda_min_clipped") j[key] = floatJson(lambdaMinClipped);
        else if (key == "variance_type") j[key] = varianceType ? json(*varianceType) : json(nullptr);
    }
    return j;
}

}  // namespace inpaint::diffusion
