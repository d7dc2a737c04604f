// The Unicode operations the CLIP tokenizer needs, matching Python 3 (the reference runs there):
// UTF-8 decoding, character classes, str.isspace, NFC (unicodedata.normalize) and str.lower().
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace inpaint::models::unicode {

// Decodes UTF-8. Invalid sequences (bad bytes, overlong forms, surrogates, > U+10FFFF, truncated
// sequences) become U+FFFD, one per maximal invalid subpart, as Python's errors="replace";
// `invalidCount` (if given) receives how many were replaced.
std::u32string decodeUtf8(std::string_view bytes, size_t* invalidCount = nullptr);
std::string encodeUtf8(std::u32string_view text);
void appendUtf8(std::string& out, char32_t cp);

uint8_t charClass(char32_t cp);        // a CharClass of unicode_tables.h
bool isLetter(char32_t cp);            // \p{L}
bool isNumber(char32_t cp);            // \p{N}
bool isPythonSpace(char32_t cp);       // str.isspace()
int combiningClass(char32_t cp);       // unicodedata.combining()

std::u32string nfc(std::u32string_view text);           // unicodedata.normalize("NFC", text)
std::u32string pythonLower(std::u32string_view text);   // str.lower(), final sigma included

}  // namespace inpaint::models::unicode
