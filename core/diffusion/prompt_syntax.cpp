// A1111 prompt syntax: a hand-written scanner equal to the regular expressions of
// modules/prompt_parser.py (re_attention, re_break) and modules/extra_networks.py (re_extra_net),
// run on UTF-8 bytes; Unicode classes come from models/clip/unicode_text.h.
#include "core/diffusion/prompt_syntax.h"

#include "models/clip/unicode_text.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace inpaint::diffusion {

namespace {

namespace uni = models::unicode;

constexpr double kRoundMultiplier = 1.1;
constexpr double kSquareMultiplier = 1.0 / 1.1;

// The code point starting at byte `pos` and its length in bytes. A byte that does not start a
// valid sequence is one unit of its own, classified as U+FFFD (neither word nor space): Python
// strings never hold such bytes, so any consistent choice will do.
char32_t codePointAt(const std::string& s, size_t pos, size_t* length)
{
    const auto b0 = static_cast<unsigned char>(s[pos]);
    *length = 1;
    if (b0 < 0x80) return b0;
    int n = 0;
    char32_t cp = 0;
    if ((b0 & 0xE0) == 0xC0) {
        n = 1;
        cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 2;
        cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 3;
        cp = b0 & 0x07;
    } else {
        return 0xFFFD;
    }
    if (pos + static_cast<size_t>(n) >= s.size()) return 0xFFFD;
    for (int i = 1; i <= n; ++i) {
        const auto b = static_cast<unsigned char>(s[pos + static_cast<size_t>(i)]);
        if ((b & 0xC0) != 0x80) return 0xFFFD;
        cp = (cp << 6) | (b & 0x3F);
    }
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    *length = static_cast<size_t>(n) + 1;
    return cp;
}

// The code point that ends just before byte `pos` (pos > 0).
char32_t codePointBefore(const std::string& s, size_t pos)
{
    size_t start = pos - 1;
    for (int back = 0; back < 3 && start > 0 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80; ++back)
        --start;
    size_t len = 0;
    const char32_t cp = codePointAt(s, start, &len);
    if (start + len == pos) return cp;
    return 0xFFFD;  // a stray continuation byte
}

bool isWordChar(char32_t cp)
{
    return cp == U'_' || uni::isLetter(cp) || uni::isNumber(cp);
}

// Bytes of the Python whitespace code point at `pos`, 0 when there is none.
size_t spaceAt(const std::string& s, size_t pos)
{
    if (pos >= s.size()) return 0;
    size_t len = 0;
    const char32_t cp = codePointAt(s, pos, &len);
    return uni::isPythonSpace(cp) ? len : 0;
}

// re.split(r"\s*\bBREAK\b\s*", text)
std::vector<std::string> splitOnBreak(const std::string& t)
{
    std::vector<std::string> parts;
    size_t partStart = 0;  // start of the current part (= end of the previous match)
    size_t search = 0;
    while (true) {
        size_t p = t.find("BREAK", search);
        bool found = false;
        while (p != std::string::npos) {
            const bool before = p == 0 || !isWordChar(codePointBefore(t, p));
            size_t len = 0;
            const bool after = p + 5 == t.size() || !isWordChar(codePointAt(t, p + 5, &len));
            if (before && after) {
                found = true;
                break;
            }
            p = t.find("BREAK", p + 1);
        }
        if (!found) break;
        // The match starts at the whitespace run right before BREAK (not before the search start).
        size_t ms = p;
        while (ms > search) {
            size_t s0 = ms - 1;
            while (s0 > search && (static_cast<unsigned char>(t[s0]) & 0xC0) == 0x80) --s0;
            size_t len = 0;
            const char32_t cp = codePointAt(t, s0, &len);
            if (s0 + len != ms || !uni::isPythonSpace(cp)) break;
            ms = s0;
        }
        size_t me = p + 5;
        while (const size_t n = spaceAt(t, me)) me += n;
        parts.push_back(t.substr(partStart, ms - partStart));
        partStart = me;
        search = me;
    }
    parts.push_back(t.substr(partStart));
    return parts;
}

bool isAttentionSpecial(char c)
{
    return c == '\\' || c == '(' || c == ')' || c == '[' || c == ']' || c == ':';
}

// Python float() of [+-]?[.0-9]+ and of general strings (see parsePythonFloat).
std::optional<double> decimalToDouble(const std::string& clean)
{
    // `clean`: [+-]? mantissa [eE [+-]? digits], validated by the caller.
    const char* begin = clean.data();
    const char* end = clean.data() + clean.size();
    bool negative = false;
    if (begin != end && (*begin == '+' || *begin == '-')) {
        negative = *begin == '-';
        ++begin;
    }
    double value = 0.0;
    const auto r = std::from_chars(begin, end, value, std::chars_format::general);
    if (r.ec == std::errc::result_out_of_range) {
        // Python rounds to inf or to 0 instead of raising. A mantissa with a nonzero digit before
        // the exponent that overflows is large unless the exponent is negative.
        const auto e = clean.find_first_of("eE");
        const bool negativeExponent = e != std::string::npos && e + 1 < clean.size() && clean[e + 1] == '-';
        bool nonzeroLeading = false;
        for (const char* c = begin; c != end && *c != '.' && *c != 'e' && *c != 'E'; ++c)
            if (*c >= '1' && *c <= '9') nonzeroLeading = true;
        value = (nonzeroLeading && !negativeExponent) ? std::numeric_limits<double>::infinity() : 0.0;
    } else if (r.ec != std::errc() || r.ptr != end) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

std::string stripPythonSpace(const std::string& s)
{
    size_t a = 0;
    while (const size_t n = spaceAt(s, a)) a += n;
    size_t b = s.size();
    while (b > a) {
        size_t s0 = b - 1;
        while (s0 > a && (static_cast<unsigned char>(s[s0]) & 0xC0) == 0x80) --s0;
        size_t len = 0;
        const char32_t cp = codePointAt(s, s0, &len);
        if (s0 + len != b || !uni::isPythonSpace(cp)) break;
        b = s0;
    }
    return s.substr(a, b - a);
}

// Digits with single '_' between digits ("1_000"); appends the digits to `out`. False if the
// run at `i` is not of that form. Empty runs are allowed (returns true, appends nothing).
bool takeDigits(const std::string& s, size_t& i, std::string& out, size_t* count)
{
    *count = 0;
    while (i < s.size()) {
        if (std::isdigit(static_cast<unsigned char>(s[i]))) {
            out += s[i++];
            ++*count;
        } else if (s[i] == '_' && *count > 0 && i + 1 < s.size() &&
                   std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            ++i;
        } else {
            break;
        }
    }
    return true;
}

std::string lowerAscii(std::string s)
{
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

std::optional<double> parsePythonFloat(const std::string& text)
{
    const std::string s = stripPythonSpace(text);
    size_t i = 0;
    std::string clean;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
    const std::string rest = lowerAscii(s.substr(i));
    if (rest == "inf" || rest == "infinity")
        return clean == "-" ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    if (rest == "nan") return std::numeric_limits<double>::quiet_NaN();
    size_t intDigits = 0, fracDigits = 0, expDigits = 0;
    takeDigits(s, i, clean, &intDigits);
    if (i < s.size() && s[i] == '.') {
        clean += s[i++];
        takeDigits(s, i, clean, &fracDigits);
    }
    if (intDigits + fracDigits == 0) return std::nullopt;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        clean += s[i++];
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) clean += s[i++];
        takeDigits(s, i, clean, &expDigits);
        if (expDigits == 0) return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    return decimalToDouble(clean);
}

std::optional<int64_t> parsePythonInt(const std::string& text)
{
    const std::string s = stripPythonSpace(text);
    size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    std::string digits;
    size_t count = 0;
    takeDigits(s, i, digits, &count);
    if (count == 0 || i != s.size()) return std::nullopt;
    // Magnitude up to 2^63 so that INT64_MIN fits.
    uint64_t v = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
    constexpr uint64_t kMaxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (!negative && v > kMaxPositive) return std::nullopt;
    if (negative && v > kMaxPositive + 1) return std::nullopt;
    if (negative) return v == kMaxPositive + 1 ? std::numeric_limits<int64_t>::min() : -static_cast<int64_t>(v);
    return static_cast<int64_t>(v);
}

std::vector<PromptPart> parsePromptAttention(const std::string& s)
{
    std::vector<PromptPart> res;
    std::vector<size_t> round;
    std::vector<size_t> square;

    const auto multiplyRange = [&res](size_t start, double multiplier) {
        for (size_t p = start; p < res.size(); ++p) res[p].weight *= multiplier;
    };
    const auto appendText = [&res](const std::string& text) {
        const auto parts = splitOnBreak(text);
        for (size_t i = 0; i < parts.size(); ++i) {
            if (i > 0) res.push_back({"BREAK", -1.0});
            res.push_back({parts[i], 1.0});
        }
    };

    size_t i = 0;
    const size_t n = s.size();
    while (i < n) {
        const char c = s[i];
        if (c == '\\') {
            // \( \) \[ \] \\ are the character itself; a lone backslash is dropped (text[1:] = "").
            if (i + 1 < n && (s[i + 1] == '(' || s[i + 1] == ')' || s[i + 1] == '[' || s[i + 1] == ']' ||
                              s[i + 1] == '\\')) {
                res.push_back({std::string(1, s[i + 1]), 1.0});
                i += 2;
            } else {
                res.push_back({"", 1.0});
                i += 1;
            }
            continue;
        }
        if (c == '(') {
            round.push_back(res.size());
            ++i;
            continue;
        }
        if (c == '[') {
            square.push_back(res.size());
            ++i;
            continue;
        }
        if (c == ':') {
            // :\s*([+-]?[.\d]+)\s*\)
            size_t j = i + 1;
            while (const size_t sp = spaceAt(s, j)) j += sp;
            const size_t numberStart = j;
            if (j < n && (s[j] == '+' || s[j] == '-')) ++j;
            const size_t digitsStart = j;
            while (j < n && (s[j] == '.' || (s[j] >= '0' && s[j] <= '9'))) ++j;
            const size_t numberEnd = j;
            bool matched = numberEnd > digitsStart;
            if (matched) {
                while (const size_t sp = spaceAt(s, j)) j += sp;
                matched = j < n && s[j] == ')';
            }
            if (!matched) {
                appendText(":");
                ++i;
                continue;
            }
            const size_t end = j + 1;
            if (!round.empty()) {
                const std::string number = s.substr(numberStart, numberEnd - numberStart);
                const auto w = decimalToDouble(number);
                // float() refuses "1.2.3", ".", "+.": A1111 fails on such a prompt.
                if (!w || number.find('.') != number.rfind('.'))
                    throw PromptError("The prompt weight '" + number + "' in '" + s.substr(i, end - i) +
                                      "' is not a number.");
                multiplyRange(round.back(), *w);
                round.pop_back();
            } else {
                appendText(s.substr(i, end - i));
            }
            i = end;
            continue;
        }
        if (c == ')') {
            if (!round.empty()) {
                multiplyRange(round.back(), kRoundMultiplier);
                round.pop_back();
            } else {
                appendText(")");
            }
            ++i;
            continue;
        }
        if (c == ']') {
            if (!square.empty()) {
                multiplyRange(square.back(), kSquareMultiplier);
                square.pop_back();
            } else {
                appendText("]");
            }
            ++i;
            continue;
        }
        size_t j = i;
        while (j < n && !isAttentionSpecial(s[j])) ++j;
        appendText(s.substr(i, j - i));
        i = j;
    }

    for (const size_t pos : round) multiplyRange(pos, kRoundMultiplier);
    for (const size_t pos : square) multiplyRange(pos, kSquareMultiplier);

    if (res.empty()) res.push_back({"", 1.0});

    size_t k = 0;
    while (k + 1 < res.size()) {
        if (res[k].weight == res[k + 1].weight) {
            res[k].text += res[k + 1].text;
            res.erase(res.begin() + static_cast<std::ptrdiff_t>(k) + 1);
        } else {
            ++k;
        }
    }
    return res;
}

const std::string* ExtraNetwork::namedValue(const std::string& key) const
{
    for (const auto& [k, v] : named)
        if (k == key) return &v;
    return nullptr;
}

ExtractedNetworks extractExtraNetworks(const std::string& prompt)
{
    ExtractedNetworks out;
    const size_t n = prompt.size();
    size_t i = 0;
    while (i < n) {
        if (prompt[i] == '<') {
            // <(\w+):([^>]+)>
            size_t j = i + 1;
            while (j < n) {
                size_t len = 0;
                const char32_t cp = codePointAt(prompt, j, &len);
                if (!isWordChar(cp)) break;
                j += len;
            }
            if (j > i + 1 && j < n && prompt[j] == ':') {
                const size_t argsStart = j + 1;
                const size_t close = prompt.find('>', argsStart);
                if (close != std::string::npos && close > argsStart) {
                    ExtraNetwork net;
                    net.kind = prompt.substr(i + 1, j - i - 1);
                    const std::string args = prompt.substr(argsStart, close - argsStart);
                    size_t a = 0;
                    while (true) {
                        const size_t b = args.find(':', a);
                        net.items.push_back(args.substr(a, b == std::string::npos ? std::string::npos : b - a));
                        if (b == std::string::npos) break;
                        a = b + 1;
                    }
                    for (const auto& item : net.items) {
                        const size_t eq = item.find('=');
                        // item.split('=', 2) has exactly two parts: one '='.
                        if (eq != std::string::npos && item.find('=', eq + 1) == std::string::npos) {
                            std::string key = item.substr(0, eq), value = item.substr(eq + 1);
                            bool replaced = false;
                            for (auto& kv : net.named)
                                if (kv.first == key) {
                                    kv.second = value;
                                    replaced = true;
                                }
                            if (!replaced) net.named.emplace_back(std::move(key), std::move(value));
                        } else {
                            net.positional.push_back(item);
                        }
                    }
                    out.networks.push_back(std::move(net));
                    i = close + 1;
                    continue;
                }
            }
        }
        out.text += prompt[i];
        ++i;
    }
    return out;
}

LoraNetwork loraFromExtraNetwork(const ExtraNetwork& network)
{
    const std::string tag = "<" + network.kind + ":" + [&] {
        std::string s;
        for (size_t i = 0; i < network.items.size(); ++i) s += (i ? ":" : "") + network.items[i];
        return s;
    }() + ">";
    if (network.positional.empty()) throw PromptError("The tag " + tag + " has no LoRA name.");
    const auto number = [&tag](const std::string& text, const char* what) {
        const auto v = parsePythonFloat(text);
        if (!v) throw PromptError("The " + std::string(what) + " multiplier '" + text + "' of " + tag + " is not a number.");
        return *v;
    };
    const auto integer = [&tag](const std::string& text) {
        const auto v = parsePythonInt(text);
        if (!v) throw PromptError("The dyn value '" + text + "' of " + tag + " is not an integer.");
        return *v;
    };
    LoraNetwork l;
    l.name = network.positional[0];
    l.te = network.positional.size() > 1 ? number(network.positional[1], "te") : 1.0;
    if (const auto* v = network.namedValue("te")) l.te = number(*v, "te");
    l.unet = network.positional.size() > 2 ? number(network.positional[2], "unet") : l.te;
    if (const auto* v = network.namedValue("unet")) l.unet = number(*v, "unet");
    if (network.positional.size() > 3) l.dyn = integer(network.positional[3]);
    if (const auto* v = network.namedValue("dyn")) l.dyn = integer(*v);
    return l;
}

std::vector<LoraNetwork> loraNetworks(const std::vector<ExtraNetwork>& networks)
{
    std::vector<LoraNetwork> out;
    for (const auto& n : networks)
        if (n.kind == "lora") out.push_back(loraFromExtraNetwork(n));
    return out;
}

}  // namespace inpaint::diffusion
