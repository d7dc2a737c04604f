// Unicode helpers for the CLIP tokenizer over the generated tables (unicode_tables.cpp).
// NFC follows UAX #15 (canonical decomposition, canonical ordering, canonical composition) with
// the Hangul syllables done algorithmically; lower() follows CPython's str.lower, including the
// Final_Sigma rule of handle_capital_sigma().
#include "models/clip/unicode_text.h"

#include "models/clip/unicode_tables.h"

#include <algorithm>

namespace inpaint::models::unicode {

namespace {

constexpr char32_t kReplacement = 0xFFFD;

constexpr char32_t kHangulS = 0xAC00, kHangulL = 0x1100, kHangulV = 0x1161, kHangulT = 0x11A7;
constexpr int kHangulLCount = 19, kHangulVCount = 21, kHangulTCount = 28;
constexpr int kHangulNCount = kHangulVCount * kHangulTCount, kHangulSCount = kHangulLCount * kHangulNCount;

uint8_t lookupRange(const RangeValue* table, size_t n, char32_t cp)
{
    const RangeValue* end = table + n;
    const RangeValue* it = std::upper_bound(table, end, cp, [](char32_t c, const RangeValue& r) { return c < r.first; });
    if (it == table) return 0;
    --it;
    return (cp >= it->first && cp <= it->last) ? it->value : 0;
}

void decomposeInto(std::u32string& out, char32_t cp)
{
    if (cp >= kHangulS && cp < kHangulS + kHangulSCount) {
        const char32_t s = cp - kHangulS;
        out.push_back(kHangulL + s / kHangulNCount);
        out.push_back(kHangulV + (s % kHangulNCount) / kHangulTCount);
        if (s % kHangulTCount) out.push_back(kHangulT + s % kHangulTCount);
        return;
    }
    const DecompEntry* end = kDecompositions + kDecompositionCount;
    const DecompEntry* it =
        std::lower_bound(kDecompositions, end, cp, [](const DecompEntry& e, char32_t c) { return e.cp < c; });
    if (it != end && it->cp == cp) {
        out.append(kDecompositionData + it->offset, it->length);  // already the full decomposition
    } else {
        out.push_back(cp);
    }
}

char32_t composePair(char32_t a, char32_t b)
{
    // Hangul L+V -> LV, LV+T -> LVT.
    if (a >= kHangulL && a < kHangulL + kHangulLCount && b >= kHangulV && b < kHangulV + kHangulVCount)
        return kHangulS + ((a - kHangulL) * kHangulVCount + (b - kHangulV)) * kHangulTCount;
    if (a >= kHangulS && a < kHangulS + kHangulSCount && (a - kHangulS) % kHangulTCount == 0 && b > kHangulT &&
        b < kHangulT + kHangulTCount)
        return a + (b - kHangulT);
    const CompositionEntry* end = kCompositions + kCompositionCount;
    const CompositionEntry* it = std::lower_bound(kCompositions, end, std::make_pair(a, b),
                                                  [](const CompositionEntry& e, const std::pair<char32_t, char32_t>& k) {
                                                      return e.first != k.first ? e.first < k.first : e.second < k.second;
                                                  });
    if (it != end && it->first == a && it->second == b) return it->composite;
    return 0;
}

uint8_t caseClass(char32_t cp) { return lookupRange(kCaseRanges, kCaseRangeCount, cp); }

}  // namespace

std::u32string decodeUtf8(std::string_view bytes, size_t* invalidCount)
{
    std::u32string out;
    out.reserve(bytes.size());
    size_t invalid = 0;
    const size_t n = bytes.size();
    size_t i = 0;
    auto byteAt = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
    while (i < n) {
        const unsigned char b0 = byteAt(i);
        if (b0 < 0x80) {
            out.push_back(b0);
            ++i;
            continue;
        }
        int need = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        char32_t cp = 0;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
            cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            cp = b0 & 0x0F;
            if (b0 == 0xE0) lo = 0xA0;        // no overlong forms
            else if (b0 == 0xED) hi = 0x9F;   // no surrogates
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            cp = b0 & 0x07;
            if (b0 == 0xF0) lo = 0x90;
            else if (b0 == 0xF4) hi = 0x8F;   // <= U+10FFFF
        } else {
            out.push_back(kReplacement);
            ++invalid;
            ++i;
            continue;
        }
        size_t j = i + 1;
        bool ok = true;
        for (int k = 0; k < need; ++k, ++j) {
            const unsigned char lower = (k == 0) ? lo : 0x80, upper = (k == 0) ? hi : 0xBF;
            if (j >= n || byteAt(j) < lower || byteAt(j) > upper) {
                ok = false;
                break;
            }
            cp = (cp << 6) | (byteAt(j) & 0x3F);
        }
        if (!ok) {
            out.push_back(kReplacement);  // the maximal valid prefix becomes one U+FFFD
            ++invalid;
            i = j;
            continue;
        }
        out.push_back(cp);
        i = j;
    }
    if (invalidCount) *invalidCount = invalid;
    return out;
}

void appendUtf8(std::string& out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encodeUtf8(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) appendUtf8(out, c);
    return out;
}

uint8_t charClass(char32_t cp) { return lookupRange(kCharClassRanges, kCharClassRangeCount, cp); }
bool isLetter(char32_t cp) { return charClass(cp) == kLetter; }
bool isNumber(char32_t cp) { return charClass(cp) == kNumber; }

bool isPythonSpace(char32_t cp)
{
    return std::binary_search(kPythonSpaces, kPythonSpaces + kPythonSpaceCount, cp);
}

int combiningClass(char32_t cp) { return lookupRange(kCombiningClassRanges, kCombiningClassRangeCount, cp); }

std::u32string nfc(std::u32string_view text)
{
    // Fast path: ASCII is always NFC.
    if (std::all_of(text.begin(), text.end(), [](char32_t c) { return c < 0x80; })) return std::u32string(text);

    std::u32string d;
    d.reserve(text.size() + 8);
    for (char32_t c : text) decomposeInto(d, c);

    // Canonical ordering: stable sort of each run of non-starters by combining class.
    for (size_t i = 0; i < d.size();) {
        if (combiningClass(d[i]) == 0) {
            ++i;
            continue;
        }
        size_t j = i;
        while (j < d.size() && combiningClass(d[j]) != 0) ++j;
        std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                         [](char32_t a, char32_t b) { return combiningClass(a) < combiningClass(b); });
        i = j;
    }

    // Canonical composition. Between the last starter and the current character the kept
    // characters are in non-decreasing class order, so the last one decides blocking.
    std::u32string out;
    out.reserve(d.size());
    std::ptrdiff_t starter = -1;
    for (char32_t c : d) {
        const int cc = combiningClass(c);
        if (starter >= 0) {
            const bool adjacent = static_cast<std::ptrdiff_t>(out.size()) - 1 == starter;
            const int lastCc = adjacent ? 0 : combiningClass(out.back());
            if (adjacent || (lastCc != 0 && lastCc < cc)) {
                if (const char32_t comp = composePair(out[static_cast<size_t>(starter)], c)) {
                    out[static_cast<size_t>(starter)] = comp;
                    continue;
                }
            }
        }
        if (cc == 0) starter = static_cast<std::ptrdiff_t>(out.size());
        out.push_back(c);
    }
    return out;
}

std::u32string pythonLower(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char32_t c = text[i];
        if (c < 0x80) {
            out.push_back((c >= 'A' && c <= 'Z') ? c + 32 : c);
            continue;
        }
        if (c == 0x03A3) {
            // Final_Sigma: cased letter before (skipping case-ignorables) and none after.
            std::ptrdiff_t j = static_cast<std::ptrdiff_t>(i) - 1;
            while (j >= 0 && caseClass(text[static_cast<size_t>(j)]) == kCaseIgnorable) --j;
            bool finalSigma = j >= 0 && caseClass(text[static_cast<size_t>(j)]) == kCased;
            if (finalSigma) {
                size_t k = i + 1;
                while (k < text.size() && caseClass(text[k]) == kCaseIgnorable) ++k;
                finalSigma = k == text.size() || caseClass(text[k]) != kCased;
            }
            out.push_back(finalSigma ? 0x03C2 : 0x03C3);
            continue;
        }
        const LowerEntry* end = kLowerTable + kLowerCount;
        const LowerEntry* it =
            std::lower_bound(kLowerTable, end, c, [](const LowerEntry& e, char32_t k) { return e.cp < k; });
        if (it != end && it->cp == c) {
            for (char32_t l : it->lower)
                if (l) out.push_back(l);
        } else {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace inpaint::models::unicode
