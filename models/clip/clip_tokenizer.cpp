// CLIP tokenizer; mirrors transformers 4.36 models/clip/tokenization_clip.py (CLIPTokenizer with
// the BasicTokenizer fallback used when ftfy is absent) and PreTrainedTokenizer.tokenize's
// added-token splitting. Step by step, as the Python does it:
//   1. text -> code points (invalid UTF-8 -> U+FFFD, which step 2 then drops, as Python's
//      BasicTokenizer drops U+FFFD);
//   2. split out added tokens (bos/eos/unk/pad and added_tokens_decoder entries), leftmost-longest;
//   3. per remaining piece, BasicTokenizer(strip_accents=False, do_split_on_punc=False): drop
//      NUL/U+FFFD/control/format characters, whitespace -> ' ', spaces around CJK ideographs,
//      NFC, split on whitespace, str.lower() each word;
//   4. the CLIP pattern over the words joined by ' ' (regex module, IGNORECASE);
//   5. byte-level BPE with "</w>" on each match; ids from vocab.json (unknown -> unk).
#include "models/clip/clip_tokenizer.h"

#include "models/clip/unicode_tables.h"
#include "models/clip/unicode_text.h"
#include "models/errors.h"
#include "models/io/json_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <limits>
#include <mutex>
#include <sstream>
#include <unordered_map>

namespace inpaint::models {

namespace {

namespace uc = unicode;

// transformers keeps merges [1 : 49152 - 256 - 2 + 1] of merges.txt: at most 48894 of them.
constexpr size_t kMaxMerges = 49152 - 256 - 2;

// The byte -> printable code point table of GPT-2/CLIP byte-level BPE (bytes_to_unicode).
std::array<std::string, 256> makeByteEncoder()
{
    std::array<char32_t, 256> cps{};
    std::array<bool, 256> direct{};
    for (int b = 33; b <= 126; ++b) direct[b] = true;
    for (int b = 161; b <= 172; ++b) direct[b] = true;
    for (int b = 174; b <= 255; ++b) direct[b] = true;
    int n = 0;
    for (int b = 0; b < 256; ++b) cps[b] = direct[b] ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    std::array<std::string, 256> out;
    for (int b = 0; b < 256; ++b) uc::appendUtf8(out[b], cps[b]);
    return out;
}

const std::array<std::string, 256>& byteEncoder()
{
    static const std::array<std::string, 256> table = makeByteEncoder();
    return table;
}

bool isCjkIdeograph(char32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

// BasicTokenizer: returns the words, already lower-cased.
std::vector<std::u32string> basicTokenize(std::u32string_view text)
{
    std::u32string cleaned;
    cleaned.reserve(text.size());
    for (char32_t c : text) {
        if (c == 0 || c == 0xFFFD) continue;
        const bool tabLike = c == U'\t' || c == U'\n' || c == U'\r';
        const uint8_t cls = uc::charClass(c);
        if (!tabLike && cls == uc::kControl) continue;
        if (tabLike || c == U' ' || cls == uc::kSpaceSeparator) {
            cleaned.push_back(U' ');
        } else if (isCjkIdeograph(c)) {
            cleaned.push_back(U' ');
            cleaned.push_back(c);
            cleaned.push_back(U' ');
        } else {
            cleaned.push_back(c);
        }
    }
    const std::u32string normalized = uc::nfc(cleaned);
    std::vector<std::u32string> words;
    size_t i = 0;
    while (i < normalized.size()) {
        while (i < normalized.size() && uc::isPythonSpace(normalized[i])) ++i;
        size_t j = i;
        while (j < normalized.size() && !uc::isPythonSpace(normalized[j])) ++j;
        if (j > i) words.push_back(uc::pythonLower(normalized.substr(i, j - i)));
        i = j;
    }
    return words;
}

// Case-insensitive match of an ASCII literal as the regex module does it: the only code point
// whose case folding reaches these letters besides themselves is U+017F (long s) for 's'.
bool matchesLiteral(std::u32string_view text, size_t pos, std::string_view lit)
{
    if (pos + lit.size() > text.size()) return false;
    for (size_t k = 0; k < lit.size(); ++k) {
        const char32_t c = text[pos + k];
        const char l = lit[k];
        const char32_t lowerC = (c >= 'A' && c <= 'Z') ? c + 32 : c;
        if (lowerC == static_cast<char32_t>(l)) continue;
        if (l == 's' && c == 0x017F) continue;
        return false;
    }
    return true;
}

// The CLIP split pattern
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// with IGNORECASE, as regex.findall: alternatives tried in order at each position.
std::vector<std::u32string> clipSplit(std::u32string_view text)
{
    static const std::string_view kLiterals[] = {"<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re",
                                                 "'ve", "'m", "'ll", "'d"};
    std::vector<std::u32string> out;
    size_t i = 0;
    const size_t n = text.size();
    auto isOtherSymbol = [](char32_t c) {
        // Under IGNORECASE the regex module keeps U+0345 (which case-folds to a letter) out of
        // the negated class too, so that character matches no alternative.
        return !uc::isPythonSpace(c) && !uc::isLetter(c) && !uc::isNumber(c) && c != 0x0345;
    };
    while (i < n) {
        bool matched = false;
        for (const auto lit : kLiterals) {
            if (matchesLiteral(text, i, lit)) {
                out.emplace_back(text.substr(i, lit.size()));
                i += lit.size();
                matched = true;
                break;
            }
        }
        if (matched) continue;
        const char32_t c = text[i];
        if (uc::isLetter(c)) {
            size_t j = i;
            while (j < n && uc::isLetter(text[j])) ++j;
            out.emplace_back(text.substr(i, j - i));
            i = j;
        } else if (uc::isNumber(c)) {
            out.emplace_back(text.substr(i, 1));
            ++i;
        } else if (isOtherSymbol(c)) {
            size_t j = i;
            while (j < n && isOtherSymbol(text[j])) ++j;
            out.emplace_back(text.substr(i, j - i));
            i = j;
        } else {
            ++i;  // whitespace (and U+0345): not part of any match
        }
    }
    return out;
}

// Hash allowing lookups by string_view without building a std::string.
struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// SAX consumer for vocab.json: accepts exactly one flat object of non-negative integer ids.
class VocabSax : public nlohmann::json_sax<nlohmann::json> {
public:
    explicit VocabSax(std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>& out) : m_out(out) {}
    std::string error;

    bool null() override { return fail("maps '" + m_key + "' to null"); }
    bool boolean(bool) override { return fail("maps '" + m_key + "' to a boolean"); }
    bool number_integer(number_integer_t v) override
    {
        if (v < 0) return fail("maps '" + m_key + "' to a negative id");
        return store(v);
    }
    bool number_unsigned(number_unsigned_t v) override
    {
        // Above 2^63 - 1 the id would wrap to a negative one.
        if (v > static_cast<number_unsigned_t>(std::numeric_limits<int64_t>::max()))
            return fail("maps '" + m_key + "' to an id above 2^63 - 1");
        return store(static_cast<int64_t>(v));
    }
    bool number_float(number_float_t, const string_t&) override { return fail("maps '" + m_key + "' to a non-integer"); }
    bool string(string_t&) override { return fail("maps '" + m_key + "' to a string, not an integer id"); }
    bool binary(binary_t&) override { return fail("holds binary data"); }
    bool start_object(std::size_t) override { return ++m_depth == 1 ? true : fail("is not a flat object of ids"); }
    bool key(string_t& k) override
    {
        m_key = k;
        return true;
    }
    bool end_object() override
    {
        --m_depth;
        return true;
    }
    bool start_array(std::size_t) override { return fail(m_depth == 0 ? "is not a JSON object" : "is not a flat object of ids"); }
    bool end_array() override { return true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override
    {
        return fail(std::string("is not valid JSON: ") + ex.what());
    }

private:
    bool store(int64_t v)
    {
        if (m_depth != 1) return fail("is not a JSON object");
        m_out[m_key] = v;  // a repeated key keeps its last id, as Python's json.load
        return true;
    }
    bool fail(const std::string& why)
    {
        if (error.empty()) error = why;
        return false;
    }
    std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>>& m_out;
    std::string m_key;
    int m_depth = 0;
};

// Vocabulary and merges (the expensive part, shared between tokenizers with the same files).
struct BpeModel {
    std::unordered_map<std::string, int64_t, StringHash, std::equal_to<>> encoder;
    // Symbols are interned so BPE works on integers.
    std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> symbolIds;
    std::vector<std::string> symbols;
    std::vector<int64_t> symbolVocabId;  // -1 if the symbol is not in the vocabulary
    std::array<int32_t, 256> byteSymbol{};
    std::array<int32_t, 256> byteSymbolEnd{};  // byte char + "</w>"
    // (left << 32 | right) -> (rank, merged symbol)
    std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> merges;

    int32_t intern(std::string_view s)
    {
        const auto it = symbolIds.find(s);
        if (it != symbolIds.end()) return it->second;
        const int32_t id = static_cast<int32_t>(symbols.size());
        symbolIds.emplace(std::string(s), id);
        symbols.emplace_back(s);
        const auto v = encoder.find(s);
        symbolVocabId.push_back(v == encoder.end() ? -1 : v->second);
        return id;
    }
};

std::shared_ptr<const BpeModel> buildBpe(const std::string& vocabJson, const std::string& mergesText,
                                         const std::string& what)
{
    auto m = std::make_shared<BpeModel>();
    // SAX parsing straight into the map: the vocabulary is a flat {token: id} object of ~49k
    // entries, and building a DOM first would double the load time.
    VocabSax sax(m->encoder);
    m->encoder.reserve(65536);
    bool parsed = false;
    try {
        parsed = nlohmann::json::sax_parse(vocabJson, &sax);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("The vocabulary (vocab.json) of " + what + " is not valid JSON: " + e.what());
    }
    if (!parsed) throw FormatError("The vocabulary (vocab.json) of " + what + " " + sax.error + ".");
    if (m->encoder.empty()) throw FormatError("The vocabulary (vocab.json) of " + what + " is empty.");
    const auto& bytes = byteEncoder();
    for (int b = 0; b < 256; ++b) {
        m->byteSymbol[b] = m->intern(bytes[b]);
        m->byteSymbolEnd[b] = m->intern(bytes[b] + "</w>");
    }
    // merges.txt: Python strips the text, splits it on '\n', drops the first line (the version
    // header) and keeps at most kMaxMerges lines; each line's rank is its index. A line that does
    // not split into exactly two parts can never match a pair but still takes its rank; a
    // duplicated pair keeps the rank of its last occurrence (dict semantics).
    const size_t begin = mergesText.find_first_not_of(" \t\r\n\f\v");
    std::vector<std::string_view> lines;
    if (begin != std::string::npos) {
        const size_t last = mergesText.find_last_not_of(" \t\r\n\f\v");
        const std::string_view body = std::string_view(mergesText).substr(begin, last - begin + 1);
        size_t pos = 0;
        while (true) {
            const size_t nl = body.find('\n', pos);
            lines.push_back(body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
            if (nl == std::string_view::npos) break;
            pos = nl + 1;
        }
    }
    m->merges.reserve(lines.size());
    m->symbolIds.reserve(lines.size() + 1024);
    m->symbols.reserve(lines.size() + 1024);
    m->symbolVocabId.reserve(lines.size() + 1024);
    for (size_t li = 1; li < lines.size() && li - 1 < kMaxMerges; ++li) {
        const std::string_view line = lines[li];
        std::string_view parts[3];
        size_t partCount = 0;
        size_t k = 0;
        while (k < line.size()) {
            while (k < line.size() && std::isspace(static_cast<unsigned char>(line[k]))) ++k;
            size_t e = k;
            while (e < line.size() && !std::isspace(static_cast<unsigned char>(line[e]))) ++e;
            if (e > k) {
                if (partCount < 3) parts[partCount] = line.substr(k, e - k);
                ++partCount;
            }
            k = e;
        }
        if (partCount != 2) continue;
        const int32_t a = m->intern(parts[0]);
        const int32_t b = m->intern(parts[1]);
        std::string joined;
        joined.reserve(parts[0].size() + parts[1].size());
        joined.append(parts[0]).append(parts[1]);
        const int32_t ab = m->intern(joined);
        m->merges[(static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b)] = {static_cast<int32_t>(li - 1), ab};
    }
    return m;
}

std::string readFile(const std::filesystem::path& p)
{
    std::ifstream in(p, std::ios::binary);
    if (!in) throw FormatError("Cannot read '" + p.string() + "'.");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::shared_ptr<const BpeModel> bundledBpe()
{
    static std::shared_ptr<const BpeModel> model;
    static std::once_flag once;
    std::call_once(once, [] { model = buildBpe(bundledClipVocabJson(), bundledClipMerges(), "the bundled CLIP vocabulary"); });
    return model;
}

// A special-token value of tokenizer_config.json / special_tokens_map.json: a string or an
// AddedToken object {"content": ...}; null means "none".
bool tokenContent(const nlohmann::json& v, std::string* out)
{
    if (v.is_string()) {
        *out = v.get<std::string>();
        return true;
    }
    if (v.is_object()) {
        const auto c = v.find("content");
        if (c != v.end() && c->is_string()) {
            *out = c->get<std::string>();
            return true;
        }
    }
    return false;
}

}  // namespace

struct ClipTokenizer::Impl {
    std::shared_ptr<const BpeModel> bpe;
    bool bundled = false;
    int64_t bos = 0, eos = 0, pad = 0, unk = 0;
    int maxLength = 77;
    // Added tokens as code points, longest first (leftmost-longest splitting), with their ids.
    std::vector<std::pair<std::u32string, int64_t>> added;
    std::string what;

    // Byte-level BPE of one regex match; appends vocabulary ids (or the tokens themselves).
    void bpeWord(const std::string& utf8, std::vector<int64_t>* ids, std::vector<std::string>* tokens) const
    {
        const BpeModel& m = *bpe;
        if (utf8 == "<|startoftext|>" || utf8 == "<|endoftext|>") {
            // transformers' bpe() cache returns these unchanged.
            if (tokens) tokens->push_back(utf8);
            if (ids) {
                const auto it = m.encoder.find(utf8);
                ids->push_back(it == m.encoder.end() ? unk : it->second);
            }
            return;
        }
        std::vector<int32_t> word;
        word.reserve(utf8.size());
        for (size_t i = 0; i < utf8.size(); ++i) {
            const auto b = static_cast<unsigned char>(utf8[i]);
            word.push_back(i + 1 == utf8.size() ? m.byteSymbolEnd[b] : m.byteSymbol[b]);
        }
        std::vector<int32_t> next;
        while (word.size() > 1) {
            // The lowest-ranked adjacent pair; none ranked -> done.
            int32_t bestRank = std::numeric_limits<int32_t>::max();
            uint64_t bestKey = 0;
            int32_t merged = -1;
            for (size_t i = 0; i + 1 < word.size(); ++i) {
                const uint64_t key = (static_cast<uint64_t>(word[i]) << 32) | static_cast<uint32_t>(word[i + 1]);
                const auto it = m.merges.find(key);
                if (it != m.merges.end() && it->second.first < bestRank) {
                    bestRank = it->second.first;
                    bestKey = key;
                    merged = it->second.second;
                }
            }
            if (merged < 0) break;
            const auto first = static_cast<int32_t>(bestKey >> 32);
            const auto second = static_cast<int32_t>(bestKey & 0xffffffffu);
            // Merge every occurrence, left to right, without overlaps.
            next.clear();
            for (size_t i = 0; i < word.size();) {
                if (word[i] == first && i + 1 < word.size() && word[i + 1] == second) {
                    next.push_back(merged);
                    i += 2;
                } else {
                    next.push_back(word[i]);
                    ++i;
                }
            }
            word.swap(next);
        }
        for (int32_t s : word) {
            if (tokens) tokens->push_back(m.symbols[static_cast<size_t>(s)]);
            if (ids) ids->push_back(m.symbolVocabId[static_cast<size_t>(s)] >= 0 ? m.symbolVocabId[static_cast<size_t>(s)] : unk);
        }
    }

    void run(const std::string& text, std::vector<int64_t>* ids, std::vector<std::string>* tokens) const
    {
        const std::u32string cps = uc::decodeUtf8(text);
        // Added-token split: leftmost, longest.
        size_t pieceStart = 0;
        auto flushPiece = [&](size_t endPos) {
            if (endPos <= pieceStart) return;
            const auto words = basicTokenize(std::u32string_view(cps).substr(pieceStart, endPos - pieceStart));
            std::u32string joined;
            for (size_t w = 0; w < words.size(); ++w) {
                if (w) joined.push_back(U' ');
                joined += words[w];
            }
            for (const auto& match : clipSplit(joined)) bpeWord(uc::encodeUtf8(match), ids, tokens);
        };
        size_t i = 0;
        while (i < cps.size()) {
            const std::pair<std::u32string, int64_t>* hit = nullptr;
            for (const auto& a : added) {
                if (a.first.size() <= cps.size() - i && cps.compare(i, a.first.size(), a.first) == 0) {
                    hit = &a;
                    break;  // sorted longest first
                }
            }
            if (!hit) {
                ++i;
                continue;
            }
            flushPiece(i);
            if (tokens) tokens->push_back(uc::encodeUtf8(hit->first));
            if (ids) ids->push_back(hit->second);
            i += hit->first.size();
            pieceStart = i;
        }
        flushPiece(cps.size());
    }
};

ClipTokenizer ClipTokenizer::fromData(const std::string& vocabJson, const std::string& mergesText,
                                      const Specials& specials, const std::string& whatForErrors)
{
    return fromModel(buildBpe(vocabJson, mergesText, whatForErrors), specials, whatForErrors, false);
}

ClipTokenizer ClipTokenizer::bundled()
{
    return fromModel(bundledBpe(), Specials{}, "the bundled CLIP tokenizer", true);
}

ClipTokenizer ClipTokenizer::fromModel(std::shared_ptr<const void> model, const Specials& specials,
                                       const std::string& what, bool isBundled)
{
    auto impl = std::make_shared<Impl>();
    impl->bpe = std::static_pointer_cast<const BpeModel>(model);
    impl->bundled = isBundled;
    impl->what = what;
    const auto& enc = impl->bpe->encoder;
    auto idOf = [&](const std::string& token, const char* role) -> int64_t {
        const auto it = enc.find(token);
        if (it == enc.end())
            throw FormatError("The " + std::string(role) + " token '" + token + "' of " + what +
                              " is not in its vocabulary.");
        return it->second;
    };
    impl->bos = idOf(specials.bos, "beginning-of-text");
    impl->eos = idOf(specials.eos, "end-of-text");
    impl->unk = idOf(specials.unk, "unknown");
    impl->pad = idOf(specials.pad, "padding");
    if (specials.modelMaxLength < 2)
        throw ConfigError("The model_max_length of " + what + " must be at least 2 (bos + eos).");
    impl->maxLength = specials.modelMaxLength;
    std::vector<std::pair<std::string, int64_t>> added = {
        {specials.bos, impl->bos}, {specials.eos, impl->eos}, {specials.unk, impl->unk}, {specials.pad, impl->pad}};
    for (const auto& t : specials.extraAdded) added.emplace_back(t, idOf(t, "added"));
    for (const auto& [content, id] : added) {
        if (content.empty()) continue;
        const std::u32string u = uc::decodeUtf8(content);
        const bool dup = std::any_of(impl->added.begin(), impl->added.end(), [&](const auto& a) { return a.first == u; });
        if (!dup) impl->added.emplace_back(u, id);
    }
    std::stable_sort(impl->added.begin(), impl->added.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    ClipTokenizer t;
    t.m_impl = std::move(impl);
    return t;
}

ClipTokenizer ClipTokenizer::fromFolder(const std::filesystem::path& dir)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw ConfigError("The tokenizer folder '" + dir.string() + "' does not exist.");

    Specials sp;
    nlohmann::json cfg = nlohmann::json::object();
    if (fs::is_regular_file(dir / "tokenizer_config.json", ec)) cfg = readConfigJson(dir / "tokenizer_config.json");
    if (!cfg.is_object()) throw FormatError("'" + (dir / "tokenizer_config.json").string() + "' is not a JSON object.");
    auto apply = [&sp](const nlohmann::json& j) {
        std::string v;
        if (const auto it = j.find("bos_token"); it != j.end() && tokenContent(*it, &v)) sp.bos = v;
        if (const auto it = j.find("eos_token"); it != j.end() && tokenContent(*it, &v)) sp.eos = v;
        if (const auto it = j.find("unk_token"); it != j.end() && tokenContent(*it, &v)) sp.unk = v;
        if (const auto it = j.find("pad_token"); it != j.end()) {
            // A null pad token: transformers could not pad at all; SD pipelines always pad, so the
            // end-of-text token is used (what the tokenizer's default pad_token is).
            if (tokenContent(*it, &v)) sp.pad = v;
            else if (it->is_null()) sp.pad = sp.eos;
        }
    };
    apply(cfg);
    const auto decoderIt = cfg.find("added_tokens_decoder");
    if (decoderIt != cfg.end() && decoderIt->is_object()) {
        // Current transformers format: the config lists every added token; special_tokens_map.json
        // is not consulted.
        for (auto it = decoderIt->begin(); it != decoderIt->end(); ++it) {
            std::string v;
            if (tokenContent(it.value(), &v)) sp.extraAdded.push_back(v);
        }
    } else if (fs::is_regular_file(dir / "special_tokens_map.json", ec)) {
        // Legacy path (what the SD checkpoints use): special_tokens_map.json overrides the config
        // (SD 2: the config says pad "<|endoftext|>", the map "!"; transformers pads with "!").
        const auto map = readConfigJson(dir / "special_tokens_map.json");
        if (!map.is_object())
            throw FormatError("'" + (dir / "special_tokens_map.json").string() + "' is not a JSON object.");
        apply(map);
    }
    if (const auto it = cfg.find("model_max_length"); it != cfg.end() && it->is_number()) {
        const double v = it->get<double>();
        // transformers writes a huge sentinel when there is no limit; CLIP's positions give 77.
        sp.modelMaxLength = (v >= 2 && v <= 1e6) ? static_cast<int>(v) : 77;
    }

    const bool hasVocab = fs::is_regular_file(dir / "vocab.json", ec);
    const bool hasMerges = fs::is_regular_file(dir / "merges.txt", ec);
    if (hasVocab != hasMerges)
        throw FormatError("The tokenizer folder '" + dir.string() + "' has " + (hasVocab ? "vocab.json" : "merges.txt") +
                          " but not " + (hasVocab ? "merges.txt" : "vocab.json") + ".");
    if (!hasVocab) return fromModel(bundledBpe(), sp, "the tokenizer in '" + dir.string() + "' (bundled vocabulary)", true);
    const std::string what = "the tokenizer in '" + dir.string() + "'";
    return fromModel(buildBpe(readFile(dir / "vocab.json"), readFile(dir / "merges.txt"), what), sp, what, false);
}

ClipTokenizer loadClipTokenizer(const std::filesystem::path& modelRoot)
{
    std::error_code ec;
    if (!std::filesystem::is_directory(modelRoot, ec))
        throw ConfigError("The model folder '" + modelRoot.string() + "' does not exist.");
    const auto dir = modelRoot / "tokenizer";
    if (std::filesystem::is_directory(dir, ec)) return ClipTokenizer::fromFolder(dir);
    return ClipTokenizer::bundled();
}

std::vector<std::string> ClipTokenizer::tokenize(const std::string& text) const
{
    std::vector<std::string> tokens;
    m_impl->run(text, nullptr, &tokens);
    return tokens;
}

std::vector<int64_t> ClipTokenizer::encodeUntruncated(const std::string& text) const
{
    std::vector<int64_t> ids;
    m_impl->run(text, &ids, nullptr);
    return ids;
}

std::vector<int64_t> ClipTokenizer::encode(const std::string& text, int maxLength) const
{
    const int len = maxLength < 0 ? m_impl->maxLength : maxLength;
    if (len < 2) throw ConfigError("A token sequence must hold at least bos and eos (length " + std::to_string(len) + ").");
    const auto ids = encodeUntruncated(text);
    std::vector<int64_t> out;
    out.reserve(static_cast<size_t>(len));
    out.push_back(m_impl->bos);
    const size_t keep = std::min(ids.size(), static_cast<size_t>(len - 2));
    out.insert(out.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep));
    out.push_back(m_impl->eos);
    out.resize(static_cast<size_t>(len), m_impl->pad);
    return out;
}

int64_t ClipTokenizer::bosId() const { return m_impl->bos; }
int64_t ClipTokenizer::eosId() const { return m_impl->eos; }
int64_t ClipTokenizer::padId() const { return m_impl->pad; }
int64_t ClipTokenizer::unkId() const { return m_impl->unk; }
int ClipTokenizer::maxLength() const { return m_impl->maxLength; }
size_t ClipTokenizer::vocabSize() const { return m_impl->bpe->encoder.size(); }
bool ClipTokenizer::usesBundledVocabulary() const { return m_impl->bundled; }

std::string ClipTokenizer::idToToken(int64_t id) const
{
    // A linear scan: only diagnostics and tests ask, and a reverse map would cost load time.
    for (const auto& [token, tokenId] : m_impl->bpe->encoder)
        if (tokenId == id) return token;
    return {};
}

}  // namespace inpaint::models
