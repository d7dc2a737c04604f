// The inpaint-cli option parser (see args.h).
#include "app/cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace inpaint::cli {

ArgParser::ArgParser(std::string command) : m_command(std::move(command)) {}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help)
{
    m_specs.push_back({name, false, {}, help, {}});
    return *this;
}

ArgParser& ArgParser::option(const std::string& name, const std::string& valueName, const std::string& help,
                             const std::string& defaultValue)
{
    m_specs.push_back({name, true, valueName, help, defaultValue});
    return *this;
}

ArgParser& ArgParser::repeatable(const std::string& name, const std::string& valueName, const std::string& help)
{
    m_specs.push_back({name, true, valueName, help, {}, true});
    return *this;
}

ArgParser& ArgParser::positionals(const std::string& valueName, const std::string& help)
{
    m_allowPositionals = true;
    m_positionalName = valueName;
    m_positionalHelp = help;
    return *this;
}

const ArgParser::Spec* ArgParser::find(const std::string& name) const
{
    for (const Spec& s : m_specs)
        if (s.name == name) return &s;
    return nullptr;
}

bool ArgParser::parse(const Args& args)
{
    m_given.clear();
    m_repeated.clear();
    m_positionals.clear();
    m_error.clear();
    const std::string where = "inpaint-cli " + m_command + ": ";
    bool optionsDone = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (optionsDone || a.size() < 2 || a[0] != '-' || a == "-") {
            if (!m_allowPositionals) {
                m_error = where + "unexpected argument '" + a + "'";
                return false;
            }
            m_positionals.push_back(a);
            continue;
        }
        if (a == "--") {
            optionsDone = true;
            continue;
        }
        std::string name = a;
        std::string inlineValue;
        bool hasInline = false;
        if (const auto eq = a.find('='); eq != std::string::npos) {
            name = a.substr(0, eq);
            inlineValue = a.substr(eq + 1);
            hasInline = true;
        }
        if (name == "-h") name = "--help";
        const Spec* spec = find(name);
        if (!spec) {
            m_error = where + "unknown option '" + name + "'";
            return false;
        }
        if (m_given.count(name) && !spec->repeatable) {
            m_error = where + "option '" + name + "' is given more than once";
            return false;
        }
        if (!spec->takesValue) {
            if (hasInline) {
                m_error = where + "option '" + name + "' takes no value";
                return false;
            }
            m_given[name] = {};
            continue;
        }
        if (hasInline) {
            m_given[name] = inlineValue;
            m_repeated[name].push_back(inlineValue);
            continue;
        }
        // A following "--something" is taken as a forgotten value, not as the value itself
        // (write --name=--value for the rare value that starts with two dashes).
        if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
            m_error = where + "option '" + name + "' needs a value (" + spec->valueName + ")";
            return false;
        }
        m_given[name] = args[++i];
        m_repeated[name].push_back(m_given[name]);
    }
    return true;
}

bool ArgParser::has(const std::string& name) const
{
    return m_given.count(name) > 0;
}

std::string ArgParser::value(const std::string& name) const
{
    if (auto it = m_given.find(name); it != m_given.end()) return it->second;
    if (const Spec* s = find(name)) return s->defaultValue;
    return {};
}

std::vector<std::string> ArgParser::values(const std::string& name) const
{
    if (auto it = m_repeated.find(name); it != m_repeated.end()) return it->second;
    return {};
}

bool ArgParser::intValue(const std::string& name, int min, int max, int* out, std::string* error) const
{
    const std::string v = value(name);
    errno = 0;
    char* end = nullptr;
    const long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || errno == ERANGE || n < min || n > max) {
        if (error)
            *error = "inpaint-cli " + m_command + ": " + name + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + " (got '" + v + "')";
        return false;
    }
    *out = int(n);
    return true;
}

bool ArgParser::doubleValue(const std::string& name, double min, double max, double* out, std::string* error) const
{
    const std::string v = value(name);
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(d) || d < min || d > max) {
        std::ostringstream s;
        s << "inpaint-cli " << m_command << ": " << name << " must be a number from " << min << " to " << max
          << " (got '" << v << "')";
        if (error) *error = s.str();
        return false;
    }
    *out = d;
    return true;
}

bool ArgParser::uint64Value(const std::string& name, std::uint64_t* out, std::string* error) const
{
    const std::string v = value(name);
    errno = 0;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || *end != '\0' || errno == ERANGE) {
        if (error)
            *error = "inpaint-cli " + m_command + ": " + name + " must be a whole number from 0 to 18446744073709551615 (got '" + v + "')";
        return false;
    }
    *out = n;
    return true;
}

bool ArgParser::require(const std::vector<std::string>& names, std::string* error) const
{
    for (const std::string& n : names) {
        if (!has(n)) {
            const Spec* s = find(n);
            if (error)
                *error = "inpaint-cli " + m_command + ": missing " + n + (s && s->takesValue ? " " + s->valueName : "") +
                         " (see 'inpaint-cli " + m_command + " --help')";
            return false;
        }
    }
    return true;
}

std::string ArgParser::usage() const
{
    std::ostringstream s;
    s << "usage: inpaint-cli " << m_command << " [options]";
    if (m_allowPositionals) s << " " << m_positionalName << "...";
    s << "\n";
    for (const Spec& spec : m_specs) {
        std::string left = "  " + spec.name + (spec.takesValue ? " " + spec.valueName : "");
        if (left.size() < 24) left.resize(24, ' ');
        else left += "  ";
        s << left << spec.help;
        if (!spec.defaultValue.empty()) s << " (default " << spec.defaultValue << ")";
        s << "\n";
    }
    if (m_allowPositionals) {
        std::string left = "  " + m_positionalName;
        if (left.size() < 24) left.resize(24, ' ');
        s << left << m_positionalHelp << "\n";
    }
    return s.str();
}

int printError(const std::string& message, int code)
{
    std::string line = message;
    for (char& c : line)
        if (c == '\n' || c == '\r') c = ' ';
    if (line.rfind("inpaint-cli", 0) != 0) line = "inpaint-cli: " + line;
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
    return code;
}

}  // namespace inpaint::cli
