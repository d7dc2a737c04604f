// Strict reading of a diffusers config.json object: every key must be either read, accepted as
// metadata, or pinned to the one value we implement; anything else is a ConfigError that names
// the key. Missing keys take diffusers' constructor defaults (given by the caller).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace inpaint::models::nn {

class ConfigReader {
public:
    // `what` prefixes every message, e.g. "unet config (…/unet/config.json)".
    ConfigReader(const nlohmann::json& config, std::string what);

    // Getters: an absent key gives `def`; an explicit null is an error (diffusers would pass None
    // on, which for these keys either fails or means something we do not implement).
    bool has(const std::string& key) const;  // present and not null
    int64_t getInt(const std::string& key, int64_t def);
    double getDouble(const std::string& key, double def);
    bool getBool(const std::string& key, bool def);
    std::string getString(const std::string& key, const std::string& def);
    std::vector<std::string> getStringList(const std::string& key, const std::vector<std::string>& def);
    std::vector<int64_t> getIntList(const std::string& key, const std::vector<int64_t>& def);
    // An int applied to every one of `n` entries, or a list of exactly `n` ints.
    std::vector<int64_t> getIntOrList(const std::string& key, int64_t def, size_t n);
    // For keys whose diffusers default is None: absent or null give nullopt.
    std::optional<int64_t> getOptionalInt(const std::string& key);

    // The key may be absent; if present its value must equal one of `allowed` (JSON equality,
    // numbers compared by value, so 1 == 1.0).
    void requireOneOf(const std::string& key, const std::vector<nlohmann::json>& allowed);
    // Keys that carry no meaning for the computation (sample_size, _class_name, ...).
    void acceptMetadata(const std::string& key);

    // Throws ConfigError naming every key nobody read. Keys starting with '_' are metadata.
    void finish() const;

    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    const std::string& what() const { return m_what; }

private:
    const nlohmann::json* find(const std::string& key);

    const nlohmann::json& m_config;
    std::string m_what;
    std::set<std::string> m_seen;
};

}  // namespace inpaint::models::nn
