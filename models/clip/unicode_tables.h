// Unicode property tables for the CLIP tokenizer, generated from Python's unicodedata by
// models/clip/gen_unicode_tables.py (so the tokenizer sees characters as Python does).
#pragma once

#include <cstddef>
#include <cstdint>

namespace inpaint::models::unicode {

struct RangeValue {
    char32_t first;
    char32_t last;
    uint8_t value;
};

struct LowerEntry {
    char32_t cp;
    char32_t lower[3];  // 0-terminated when shorter
};

struct DecompEntry {
    char32_t cp;
    uint32_t offset;  // into kDecompositionData
    uint8_t length;
};

struct CompositionEntry {
    char32_t first;
    char32_t second;
    char32_t composite;
};

// Character classes (kCharClassRanges values; 0 = punctuation, symbols, Zl/Zp).
enum CharClass : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kMark = 3, kControl = 4, kSpaceSeparator = 5 };
// Case classes for the final-sigma rule of str.lower() (kCaseRanges values).
enum CaseClass : uint8_t { kNotCased = 0, kCaseIgnorable = 1, kCased = 2 };

extern const char* const kUnicodeVersion;
extern const RangeValue kCharClassRanges[];
extern const size_t kCharClassRangeCount;
extern const RangeValue kCaseRanges[];
extern const size_t kCaseRangeCount;
extern const RangeValue kCombiningClassRanges[];
extern const size_t kCombiningClassRangeCount;
extern const char32_t kPythonSpaces[];
extern const size_t kPythonSpaceCount;
extern const LowerEntry kLowerTable[];
extern const size_t kLowerCount;
extern const char32_t kDecompositionData[];
extern const DecompEntry kDecompositions[];
extern const size_t kDecompositionCount;
extern const CompositionEntry kCompositions[];
extern const size_t kCompositionCount;

}  // namespace inpaint::models::unicode
