// Config JSON reader. Python's json module (which diffusers and transformers write with) emits
// the non-standard literals NaN, Infinity and -Infinity; standard JSON parsers reject them. They
// are swapped, outside string literals only, for marker strings before parsing and the markers
// are then turned back into the floating-point values they stand for, so a config value of
// -Infinity reads as -inf (not null, not an error).
#include "models/io/json_config.h"

#include "models/errors.h"

#include <cctype>
#include <fstream>
#include <limits>
#include <sstream>

namespace inpaint::models {

namespace {

// Control characters cannot appear raw in a JSON string, so no real config string can equal
// these (they are written escaped, and the escape survives parsing as a different string).
const std::string kNanMarker = "\x01inpaint-nan\x01";
const std::string kPosInfMarker = "\x01inpaint-inf\x01";
const std::string kNegInfMarker = "\x01inpaint--inf\x01";

bool startsWithWord(const std::string& s, size_t i, const char* word)
{
    const size_t n = std::char_traits<char>::length(word);
    if (s.compare(i, n, word) != 0) return false;
    // The literal must end there (so "NaNx" is left for the parser to reject).
    const size_t j = i + n;
    return j >= s.size() || !(std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_');
}

// Deeper nesting is refused: restoreMarkers() and nlohmann's dump() (used in error messages)
// recurse once per level, so a small file of brackets would otherwise overflow the stack.
// diffusers and transformers configs nest three levels deep.
constexpr int kMaxDepth = 64;

// Replaces the Python literals outside strings with quoted marker strings. Marker strings hold
// raw control characters, which JSON forbids in strings, so they are written escaped. Sets
// *tooDeep when arrays/objects nest deeper than kMaxDepth.
std::string replaceNonStandardLiterals(const std::string& text, bool* tooDeep)
{
    int depth = 0;
    auto quoted = [](const std::string& marker) {
        std::string q = "\"";
        for (char c : marker) q += (c == '\x01') ? std::string("\\u0001") : std::string(1, c);
        return q + "\"";
    };
    std::string out;
    out.reserve(text.size());
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            out.push_back(c);
            if (c == '\\' && i + 1 < text.size()) {
                out.push_back(text[++i]);
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        if (c == '[' || c == '{') {
            if (++depth > kMaxDepth) *tooDeep = true;
        } else if (c == ']' || c == '}') {
            --depth;
        }
        if (c == '"') {
            inString = true;
            out.push_back(c);
        } else if (startsWithWord(text, i, "NaN")) {
            out += quoted(kNanMarker);
            i += 2;
        } else if (startsWithWord(text, i, "Infinity")) {
            out += quoted(kPosInfMarker);
            i += 7;
        } else if (c == '-' && startsWithWord(text, i + 1, "Infinity")) {
            out += quoted(kNegInfMarker);
            i += 8;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void restoreMarkers(nlohmann::json& j)
{
    if (j.is_string()) {
        const auto& s = j.get_ref<const std::string&>();
        if (s == kNanMarker) j = std::numeric_limits<double>::quiet_NaN();
        else if (s == kPosInfMarker) j = std::numeric_limits<double>::infinity();
        else if (s == kNegInfMarker) j = -std::numeric_limits<double>::infinity();
    } else if (j.is_structured()) {
        for (auto& v : j) restoreMarkers(v);
    }
}

}  // namespace

nlohmann::json parseConfigJson(const std::string& text, const std::string& whatForErrors)
{
    nlohmann::json j;
    bool tooDeep = false;
    const std::string standard = replaceNonStandardLiterals(text, &tooDeep);
    if (tooDeep)
        throw FormatError("The JSON of " + whatForErrors + " nests arrays or objects more than " +
                          std::to_string(kMaxDepth) + " levels deep.");
    try {
        j = nlohmann::json::parse(standard);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("The JSON of " + whatForErrors + " is not valid: " + e.what());
    }
    restoreMarkers(j);
    return j;
}

nlohmann::json readConfigJson(const std::filesystem::path& path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw FormatError("The JSON file '" + path.string() + "' does not exist or is not a file.");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError("Cannot read the JSON file '" + path.string() + "'.");
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) throw FormatError("Reading the JSON file '" + path.string() + "' failed.");
    return parseConfigJson(ss.str(), "'" + path.string() + "'");
}

}  // namespace inpaint::models
