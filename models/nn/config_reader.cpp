// Strict diffusers config reading (see config_reader.h).
#include "models/nn/config_reader.h"

#include "models/errors.h"

#include <cmath>

namespace inpaint::models::nn {

namespace {

bool jsonValueEquals(const nlohmann::json& a, const nlohmann::json& b)
{
    if (a.is_number() && b.is_number())
        return a.get<double>() == b.get<double>();
    return a == b;
}

bool isInteger(const nlohmann::json& v)
{
    if (v.is_number_integer())
        return true;
    if (v.is_number_float()) {
        const double d = v.get<double>();
        return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15;
    }
    return false;
}

}  // namespace

ConfigReader::ConfigReader(const nlohmann::json& config, std::string what) : m_config(config), m_what(std::move(what))
{
    if (!m_config.is_object())
        throw ConfigError(m_what + ": not a JSON object");
}

void ConfigReader::fail(const std::string& key, const std::string& message) const
{
    throw ConfigError(m_what + ": key '" + key + "' " + message);
}

const nlohmann::json* ConfigReader::find(const std::string& key)
{
    m_seen.insert(key);
    auto it = m_config.find(key);
    if (it == m_config.end())
        return nullptr;
    return &*it;
}

bool ConfigReader::has(const std::string& key) const
{
    auto it = m_config.find(key);
    return it != m_config.end() && !it->is_null();
}

int64_t ConfigReader::getInt(const std::string& key, int64_t def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!isInteger(*v))
        fail(key, "must be an integer, got " + v->dump());
    return v->is_number_integer() ? v->get<int64_t>() : static_cast<int64_t>(v->get<double>());
}

double ConfigReader::getDouble(const std::string& key, double def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!v->is_number())
        fail(key, "must be a number, got " + v->dump());
    return v->get<double>();
}

bool ConfigReader::getBool(const std::string& key, bool def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!v->is_boolean())
        fail(key, "must be true or false, got " + v->dump());
    return v->get<bool>();
}

std::string ConfigReader::getString(const std::string& key, const std::string& def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!v->is_string())
        fail(key, "must be a string, got " + v->dump());
    return v->get<std::string>();
}

std::vector<std::string> ConfigReader::getStringList(const std::string& key, const std::vector<std::string>& def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!v->is_array() || v->empty())
        fail(key, "must be a non-empty list of strings, got " + v->dump());
    std::vector<std::string> out;
    for (const auto& e : *v) {
        if (!e.is_string())
            fail(key, "must be a list of strings, got " + v->dump());
        out.push_back(e.get<std::string>());
    }
    return out;
}

std::vector<int64_t> ConfigReader::getIntList(const std::string& key, const std::vector<int64_t>& def)
{
    const auto* v = find(key);
    if (!v)
        return def;
    if (!v->is_array() || v->empty())
        fail(key, "must be a non-empty list of integers, got " + v->dump());
    std::vector<int64_t> out;
    for (const auto& e : *v) {
        if (!isInteger(e))
            fail(key, "must be a list of integers, got " + v->dump());
        out.push_back(e.is_number_integer() ? e.get<int64_t>() : static_cast<int64_t>(e.get<double>()));
    }
    return out;
}

std::vector<int64_t> ConfigReader::getIntOrList(const std::string& key, int64_t def, size_t n)
{
    const auto* v = find(key);
    if (!v)
        return std::vector<int64_t>(n, def);
    if (isInteger(*v))
        return std::vector<int64_t>(n, v->is_number_integer() ? v->get<int64_t>()
                                                              : static_cast<int64_t>(v->get<double>()));
    if (!v->is_array())
        fail(key, "must be an integer or a list of integers, got " + v->dump());
    std::vector<int64_t> out = getIntList(key, {});
    if (out.size() != n)
        fail(key, "must have " + std::to_string(n) + " entries (one per block), got " + v->dump());
    return out;
}

std::optional<int64_t> ConfigReader::getOptionalInt(const std::string& key)
{
    const auto* v = find(key);
    if (!v || v->is_null())
        return std::nullopt;
    return getInt(key, 0);
}

void ConfigReader::requireOneOf(const std::string& key, const std::vector<nlohmann::json>& allowed)
{
    m_seen.insert(key);
    auto it = m_config.find(key);
    if (it == m_config.end())
        return;
    for (const auto& a : allowed) {
        if (jsonValueEquals(*it, a))
            return;
    }
    std::string list;
    for (const auto& a : allowed)
        list += (list.empty() ? "" : ", ") + a.dump();
    fail(key, "= " + it->dump() + " is not supported (supported: " + list + ")");
}

void ConfigReader::acceptMetadata(const std::string& key)
{
    m_seen.insert(key);
}

void ConfigReader::finish() const
{
    std::string unknown;
    for (auto it = m_config.begin(); it != m_config.end(); ++it) {
        if (!it.key().empty() && it.key()[0] == '_')
            continue;
        if (!m_seen.count(it.key()))
            unknown += (unknown.empty() ? "'" : ", '") + it.key() + "'";
    }
    if (!unknown.empty())
        throw ConfigError(m_what + ": unsupported key(s) " + unknown);
}

}  // namespace inpaint::models::nn
