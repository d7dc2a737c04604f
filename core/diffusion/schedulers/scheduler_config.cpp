// Scheduler configuration parsing and diffusers' from_config key rule (see scheduler_config.h).
// Every constructor key of the six classes is one row of keyTable(): reading a JSON value,
// filling in a class's defaults, applying from_config and writing toJson() all walk that table.
#include "core/diffusion/schedulers/scheduler_config.h"

#include "models/errors.h"
#include "models/io/json_config.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <variant>

namespace inpaint::diffusion {

using models::ConfigError;
using nlohmann::json;

namespace {

using C = SchedulerConfig;

constexpr std::array kAllKinds = {SchedulerKind::Ddim,          SchedulerKind::Pndm,
                                  SchedulerKind::EulerDiscrete, SchedulerKind::EulerAncestralDiscrete,
                                  SchedulerKind::DpmSolverMultistep, SchedulerKind::LmsDiscrete,
                                  SchedulerKind::Lcm};

// Which classes take a key: one bit per SchedulerKind.
constexpr unsigned bit(SchedulerKind k) { return 1u << static_cast<unsigned>(k); }
constexpr unsigned DDIM = bit(SchedulerKind::Ddim);
constexpr unsigned PNDM = bit(SchedulerKind::Pndm);
constexpr unsigned EULER = bit(SchedulerKind::EulerDiscrete);
constexpr unsigned EULER_A = bit(SchedulerKind::EulerAncestralDiscrete);
constexpr unsigned DPM = bit(SchedulerKind::DpmSolverMultistep);
constexpr unsigned LMS = bit(SchedulerKind::LmsDiscrete);
constexpr unsigned LCM = bit(SchedulerKind::Lcm);
constexpr unsigned ALL = DDIM | PNDM | EULER | EULER_A | DPM | LMS | LCM;

// The member a key sets. Its type decides how a JSON value is read and written:
//   int64_t    an integer (an integral float such as 1000.0 too)
//   double     a number, or "Infinity" / "-Infinity" / "NaN" (also without the capital)
//   bool       true / false (null too, as false, with NullIsFalse)
//   string     a string
//   optional   null, or the value as above; optional<vector<double>> is null or a list of numbers
using Member = std::variant<int64_t C::*, double C::*, bool C::*, std::string C::*, std::optional<double> C::*,
                            std::optional<std::string> C::*, std::optional<std::vector<double>> C::*>;

enum KeyFlags : unsigned {
    NoFlags = 0,
    NullIsFalse = 1,        // Optional[bool] = None in the signature: None is falsy in diffusers
    NonFiniteAsString = 2,  // toJson writes +-inf / NaN as "Infinity" / "-Infinity" / "NaN" strings
};

struct ClassDefault {
    SchedulerKind kind;
    json value;
};

struct Key {
    const char* name;                        // diffusers' keyword argument
    Member member;
    json defaultValue;                       // the __init__ default, as JSON
    unsigned takenBy;                        // classes whose __init__ has the argument
    std::vector<ClassDefault> classDefaults; // classes whose default differs from defaultValue
    unsigned flags = NoFlags;
};

// The __init__ signatures of DDIMScheduler, PNDMScheduler, EulerDiscreteScheduler,
// EulerAncestralDiscreteScheduler, DPMSolverMultistepScheduler, LMSDiscreteScheduler and LCMScheduler
// (diffusers 0.25.1), merged: one row per keyword argument.
const std::vector<Key>& keyTable()
{
    using K = SchedulerKind;
    static const std::vector<Key> table = {
        // name                       member                         default        taken by
        {"num_train_timesteps",        &C::numTrainTimesteps,         1000,          ALL, {}},
        {"beta_start",                 &C::betaStart,                 0.0001,        ALL, {{K::Lcm, 0.00085}}},
        {"beta_end",                   &C::betaEnd,                   0.02,          ALL, {{K::Lcm, 0.012}}},
        {"beta_schedule",              &C::betaSchedule,              "linear",      ALL, {{K::Lcm, "scaled_linear"}}},
        {"trained_betas",              &C::trainedBetas,              nullptr,       ALL, {}},
        {"prediction_type",            &C::predictionType,            "epsilon",     ALL, {}},
        {"timestep_spacing",           &C::timestepSpacing,           "linspace",    ALL,
         {{K::Ddim, "leading"}, {K::Pndm, "leading"}, {K::Lcm, "leading"}}},
        {"steps_offset",               &C::stepsOffset,               0,             ALL, {}},
        {"clip_sample",                &C::clipSample,                true,          DDIM | LCM, {{K::Lcm, false}}},
        {"clip_sample_range",          &C::clipSampleRange,           1.0,           DDIM | LCM, {}},
        {"set_alpha_to_one",           &C::setAlphaToOne,             true,          DDIM | PNDM | LCM,
         {{K::Pndm, false}}},
        {"thresholding",               &C::thresholding,              false,         DDIM | DPM | LCM, {}},
        {"dynamic_thresholding_ratio", &C::dynamicThresholdingRatio,  0.995,         DDIM | DPM | LCM, {}},
        {"sample_max_value",           &C::sampleMaxValue,            1.0,           DDIM | DPM | LCM, {}},
        {"rescale_betas_zero_snr",     &C::rescaleBetasZeroSnr,       false,         DDIM | EULER | EULER_A | LCM, {}},
        {"skip_prk_steps",             &C::skipPrkSteps,              false,         PNDM, {}},
        {"interpolation_type",         &C::interpolationType,         "linear",      EULER, {}},
        {"use_karras_sigmas",          &C::useKarrasSigmas,           false,         EULER | DPM | LMS, {},
         NullIsFalse},
        {"sigma_min",                  &C::sigmaMin,                  nullptr,       EULER, {}},
        {"sigma_max",                  &C::sigmaMax,                  nullptr,       EULER, {}},
        {"timestep_type",              &C::timestepType,              "discrete",    EULER, {}},
        {"solver_order",               &C::solverOrder,               2,             DPM, {}},
        {"algorithm_type",             &C::algorithmType,             "dpmsolver++", DPM, {}},
        {"solver_type",                &C::solverType,                "midpoint",    DPM, {}},
        {"lower_order_final",          &C::lowerOrderFinal,           true,          DPM, {}},
        {"euler_at_final",             &C::eulerAtFinal,              false,         DPM, {}},
        {"use_lu_lambdas",             &C::useLuLambdas,              false,         DPM, {}, NullIsFalse},
        {"lambda_min_clipped",         &C::lambdaMinClipped,          "-Infinity",   DPM, {}, NonFiniteAsString},
        {"variance_type",              &C::varianceType,              nullptr,       DPM, {}},
        {"original_inference_steps",   &C::originalInferenceSteps,    50,            LCM, {}},
        {"timestep_scaling",           &C::timestepScaling,           10.0,          LCM, {}},
    };
    return table;
}

const Key* findKey(const std::string& name)
{
    for (const Key& k : keyTable())
        if (name == k.name) return &k;
    return nullptr;
}

bool takes(SchedulerKind kind, const std::string& name)
{
    const Key* k = findKey(name);
    return k && (k->takenBy & bit(kind));
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

json floatJson(double d)
{
    if (std::isinf(d)) return d < 0 ? json("-Infinity") : json("Infinity");
    if (std::isnan(d)) return json("NaN");
    return json(d);
}

// Reads one JSON value into the member of `key`, by the member's type; a bad value is a
// ConfigError naming the key and the class.
struct KeyReader {
    SchedulerKind kind;
    const std::string& origin;
    const Key& key;

    [[noreturn]] void fail(const std::string& expected, const json& v) const
    {
        badKey(origin, kind, key.name, "must be " + expected + ", got " + describe(v));
    }
    void operator()(const json& v, int64_t& out) const
    {
        if (v.is_number_integer()) {
            out = v.get<int64_t>();
            return;
        }
        if (v.is_number_float()) {
            const double d = v.get<double>();
            if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9.0e15) {
                out = static_cast<int64_t>(d);
                return;
            }
        }
        fail("an integer", v);
    }
    void operator()(const json& v, double& out) const
    {
        if (!toDouble(v, out)) fail("a number", v);
    }
    void operator()(const json& v, bool& out) const
    {
        if (v.is_boolean()) out = v.get<bool>();
        else if ((key.flags & NullIsFalse) && v.is_null()) out = false;
        else fail("true or false", v);
    }
    void operator()(const json& v, std::string& out) const
    {
        if (!v.is_string()) fail("a string", v);
        out = v.get<std::string>();
    }
    template <class T>
    void operator()(const json& v, std::optional<T>& out) const
    {
        if (v.is_null()) {
            out.reset();
            return;
        }
        T value{};
        (*this)(v, value);
        out = std::move(value);
    }
    void operator()(const json& v, std::vector<double>& out) const
    {
        if (!v.is_array()) fail("null or a list of numbers", v);
        out.clear();
        out.reserve(v.size());
        for (const auto& item : v) {
            double d = 0;
            (*this)(item, d);
            out.push_back(d);
        }
    }
};

void readKey(SchedulerConfig& c, const Key& key, const json& v, SchedulerKind kind, const std::string& origin)
{
    const KeyReader read{kind, origin, key};
    std::visit([&](auto member) { read(v, c.*member); }, key.member);
}

struct KeyWriter {
    const Key& key;
    json operator()(int64_t v) const { return v; }
    json operator()(double v) const { return (key.flags & NonFiniteAsString) ? floatJson(v) : json(v); }
    json operator()(bool v) const { return v; }
    json operator()(const std::string& v) const { return v; }
    json operator()(const std::vector<double>& v) const { return v; }
    template <class T>
    json operator()(const std::optional<T>& v) const
    {
        return v ? (*this)(*v) : json(nullptr);
    }
};

json writeKey(const SchedulerConfig& c, const Key& key)
{
    return std::visit([&](auto member) { return KeyWriter{key}(c.*member); }, key.member);
}

// Every member to the default of `kind` (also the members the class does not take).
void applyDefaults(SchedulerConfig& c, SchedulerKind kind)
{
    c.kind = kind;
    for (const Key& key : keyTable()) {
        const json* v = &key.defaultValue;
        for (const ClassDefault& d : key.classDefaults)
            if (d.kind == kind) v = &d.value;
        readKey(c, key, *v, kind, "scheduler defaults");
    }
}

void requireOneOf(const std::string& origin, SchedulerKind kind, const std::string& key, const std::string& value,
                  const std::vector<std::string>& allowed)
{
    if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        badKey(origin, kind, key, "has unsupported value '" + value + "' (supported: " + joinList(allowed) + ")");
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
    case SchedulerKind::Lcm: return "LCMScheduler";
    }
    return "?";
}

std::optional<SchedulerKind> schedulerKindFromClassName(const std::string& className)
{
    for (auto k : kAllKinds)
        if (schedulerClassName(k) == className) return k;
    return std::nullopt;
}

const std::vector<std::string>& schedulerInitKeys(SchedulerKind kind)
{
    static const auto perKind = [] {
        std::array<std::vector<std::string>, kAllKinds.size()> keys;
        for (auto k : kAllKinds)
            for (const Key& key : keyTable())
                if (key.takenBy & bit(k)) keys[static_cast<size_t>(k)].push_back(key.name);
        return keys;
    }();
    return perKind[static_cast<size_t>(kind)];
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

SchedulerConfig::SchedulerConfig() { applyDefaults(*this, SchedulerKind::Ddim); }

SchedulerConfig SchedulerConfig::defaults(SchedulerKind kind)
{
    SchedulerConfig c;
    if (kind != SchedulerKind::Ddim) applyDefaults(c, kind);
    return c;
}

SchedulerConfig SchedulerConfig::fromConfig(SchedulerKind kind, const SchedulerConfigSource& source,
                                            const json& overrides)
{
    SchedulerConfig c = defaults(kind);
    const std::string origin = source.origin.empty() ? std::string("scheduler config") : source.origin;
    // The value from_config hands to the class for `name`: the override, else the file's.
    auto given = [&](const std::string& name) -> const json* {
        if (overrides.is_object() && overrides.contains(name)) return &overrides.at(name);
        if (source.keys.contains(name)) return &source.keys.at(name);
        return nullptr;
    };
    for (const Key& key : keyTable())
        if (key.takenBy & bit(kind))
            if (const json* v = given(key.name)) readKey(c, key, *v, kind, origin);
    // DPMSolverMultistepScheduler.__init__ maps these legacy names (and re-registers them).
    if (kind == SchedulerKind::DpmSolverMultistep) {
        if (c.algorithmType == "deis") c.algorithmType = "dpmsolver++";
        if (c.solverType == "logrho" || c.solverType == "bh1" || c.solverType == "bh2") c.solverType = "midpoint";
    }
    // Zero-terminal-SNR changes the noise schedule the model was trained on: a class that cannot
    // reproduce it would silently sample a different process, so refuse instead of ignoring it.
    if (!takes(kind, "rescale_betas_zero_snr")) {
        const json* v = given("rescale_betas_zero_snr");
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
    case SchedulerKind::Lcm:
        requireOneOf(origin, kind, "prediction_type", predictionType, {"epsilon", "sample", "v_prediction"});
        if (!(clipSampleRange > 0.0)) badKey(origin, kind, "clip_sample_range", "must be > 0");
        if (originalInferenceSteps < 1 || originalInferenceSteps > numTrainTimesteps)
            badKey(origin, kind, "original_inference_steps", "must be in [1, num_train_timesteps]");
        if (!(timestepScaling > 0.0) || !std::isfinite(timestepScaling))
            badKey(origin, kind, "timestep_scaling", "must be a positive number");
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
    for (const Key& key : keyTable())
        if (key.takenBy & bit(kind)) j[key.name] = writeKey(*this, key);
    return j;
}

}  // namespace inpaint::diffusion
