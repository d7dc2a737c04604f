// A small command-line option parser for the inpaint-cli subcommands. Each subcommand declares
// its options (flags, options with a value, optional positionals) and gets back values or one
// clear error line. Accepts "--name value" and "--name=value"; "--" ends the options.
#pragma once

#include "app/cli/commands.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace inpaint::cli {

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the work failed (bad file, inpainting error, cannot save)
constexpr int kExitUsage = 2;    // the command line is wrong

class ArgParser {
public:
    explicit ArgParser(std::string command);

    // Declarations; names include the leading dashes ("--image").
    ArgParser& flag(const std::string& name, const std::string& help);
    ArgParser& option(const std::string& name, const std::string& valueName, const std::string& help,
                      const std::string& defaultValue = {});
    // An option that may be given several times; values() returns them in order.
    ArgParser& repeatable(const std::string& name, const std::string& valueName, const std::string& help);
    ArgParser& positionals(const std::string& valueName, const std::string& help);

    // False on an unknown option, a missing value, a repeated option or an unexpected
    // positional; error() then says which.
    bool parse(const Args& args);
    const std::string& error() const { return m_error; }

    bool has(const std::string& name) const;          // given on the command line
    std::string value(const std::string& name) const;  // given value, else the default
    std::vector<std::string> values(const std::string& name) const;  // every value of a repeatable option
    const std::vector<std::string>& positionalValues() const { return m_positionals; }

    // Typed values with range checks; false with *error set ("--radius must be ...").
    bool intValue(const std::string& name, int min, int max, int* out, std::string* error) const;
    bool doubleValue(const std::string& name, double min, double max, double* out, std::string* error) const;
    bool uint64Value(const std::string& name, std::uint64_t* out, std::string* error) const;

    // Checks that each of `names` was given; false with *error naming the first missing one.
    bool require(const std::vector<std::string>& names, std::string* error) const;

    const std::string& command() const { return m_command; }
    std::string usage() const;  // several lines: synopsis and one line per option

private:
    struct Spec {
        std::string name;
        bool takesValue = false;
        std::string valueName;
        std::string help;
        std::string defaultValue;
        bool repeatable = false;
    };
    const Spec* find(const std::string& name) const;

    std::string m_command;
    std::vector<Spec> m_specs;
    bool m_allowPositionals = false;
    std::string m_positionalName;
    std::string m_positionalHelp;
    std::map<std::string, std::string> m_given;
    std::map<std::string, std::vector<std::string>> m_repeated;
    std::vector<std::string> m_positionals;
    std::string m_error;
};

// Prints "inpaint-cli: <message>" as exactly one line on stderr (newlines inside the message
// become spaces) and returns `code`.
int printError(const std::string& message, int code);

}  // namespace inpaint::cli
