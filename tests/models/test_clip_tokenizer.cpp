// CLIP tokenizer against transformers' CLIPTokenizer goldens (golden/tokenizer.*: every case must
// give identical ids, untruncated ids and BPE tokens), the ftfy goldens where ftfy does not change
// the result, SD2's "!" pad token, and bad input (empty vocabulary, invalid UTF-8, 10 000 chars).
#include "models/clip/clip_tokenizer.h"
#include "models/clip/unicode_text.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "tests/models/check.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";
const fs::path kResources = fs::path(INPAINT_SOURCE_DIR) / "resources" / "clip";

fs::path tempRoot()
{
    static const fs::path d = [] {
        auto p = fs::temp_directory_path() / ("inpaint_test_tokenizer_" + std::to_string(::getpid()));
        fs::create_directories(p);
        return p;
    }();
    return d;
}

std::string fromHex(const std::string& hex)
{
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

std::vector<int64_t> toVector(const torch::Tensor& t)
{
    const auto c = t.contiguous().to(torch::kInt64).flatten();
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

std::string idsString(const std::vector<int64_t>& v)
{
    std::string s;
    for (auto x : v) s += std::to_string(x) + " ";
    return s;
}

// Golden comparison of one section; returns how many cases matched exactly.
int compareGolden(const ClipTokenizer& tok, const std::string& section, bool strict, std::vector<std::string>* mismatched)
{
    std::ifstream js(kRef / "golden" / (section + ".json"));
    const auto side = nlohmann::json::parse(js);
    const auto file = SafetensorsFile::open(kRef / "golden" / (section + ".safetensors"));
    int matched = 0;
    for (const auto& c : side["cases"]) {
        const std::string name = c["name"];
        const std::string prompt = fromHex(c["params"]["prompt_utf8_hex"].get<std::string>());
        const auto expectIds = toVector(file->tensor(name + "/input_ids"));
        const auto expectUntrunc = toVector(file->tensor(name + "/untruncated_ids"));
        const auto ids = tok.encode(prompt);
        const auto untrunc = tok.encodeUntruncated(prompt);
        const auto tokens = tok.tokenize(prompt);
        std::vector<int64_t> fullUntrunc{tok.bosId()};
        fullUntrunc.insert(fullUntrunc.end(), untrunc.begin(), untrunc.end());
        fullUntrunc.push_back(tok.eosId());
        std::vector<std::string> expectTokens;
        for (const auto& t : c["params"]["bpe_tokens"]) expectTokens.push_back(t.get<std::string>());
        const bool ok = ids == expectIds && fullUntrunc == expectUntrunc && tokens == expectTokens;
        if (ok) ++matched;
        else if (mismatched) mismatched->push_back(name);
        if (strict) {
            VERIFY_MSG(ids == expectIds, section << "/" << name << ": got " << idsString(ids) << " expected "
                                                  << idsString(expectIds));
            VERIFY_MSG(fullUntrunc == expectUntrunc, section << "/" << name << " untruncated: got "
                                                             << idsString(fullUntrunc) << " expected "
                                                             << idsString(expectUntrunc));
            VERIFY_MSG(tokens == expectTokens, section << "/" << name << ": BPE tokens differ");
        }
    }
    return matched;
}

// A complete tokenizer folder (vocab + merges copied from the bundled resources) with the given
// special-token files.
fs::path completeFolder(const std::string& name, const fs::path& configFrom)
{
    const auto d = tempRoot() / name;
    fs::create_directories(d);
    fs::copy_file(kResources / "vocab.json", d / "vocab.json", fs::copy_options::overwrite_existing);
    fs::copy_file(kResources / "merges.txt", d / "merges.txt", fs::copy_options::overwrite_existing);
    for (const char* f : {"tokenizer_config.json", "special_tokens_map.json"})
        if (fs::exists(configFrom / f)) fs::copy_file(configFrom / f, d / f, fs::copy_options::overwrite_existing);
    return d;
}

void testGoldens()
{
    const auto t0 = std::chrono::steady_clock::now();
    const auto tok = ClipTokenizer::fromFolder(kRef / "models" / "tiny-sd" / "tokenizer");
    const double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("tokenizer load (bundled vocabulary): %.1f ms\n", loadMs);
    VERIFY(tok.usesBundledVocabulary());
    VERIFY_EQ(tok.vocabSize(), 49408u);
    VERIFY_EQ(tok.bosId(), 49406);
    VERIFY_EQ(tok.eosId(), 49407);
    VERIFY_EQ(tok.padId(), 49407);
    VERIFY_EQ(tok.maxLength(), 77);
    VERIFY_EQ(tok.idToToken(49406), std::string("<|startoftext|>"));

    const int n = compareGolden(tok, "tokenizer", true, nullptr);
    VERIFY_EQ(n, 31);
    std::printf("golden/tokenizer: %d of 31 cases identical (ids, untruncated ids, BPE tokens)\n", n);

    // The same with vocab.json/merges.txt present in the folder, and for the inpainting model.
    const auto full = ClipTokenizer::fromFolder(completeFolder("full", kRef / "models" / "tiny-sd" / "tokenizer"));
    VERIFY(!full.usesBundledVocabulary());
    VERIFY_EQ(compareGolden(full, "tokenizer", true, nullptr), 31);
    const auto inp = ClipTokenizer::fromFolder(kRef / "models" / "tiny-sd-inpaint" / "tokenizer");
    VERIFY_EQ(compareGolden(inp, "tokenizer", true, nullptr), 31);

    // ftfy goldens: must match wherever ftfy does not change the result (INDEX.md lists the six
    // cases it changes: ligatures, fullwidth, zero_width, cjk_chinese, cjk_japanese, curly_apostrophe).
    std::vector<std::string> differ;
    const int nf = compareGolden(tok, "tokenizer_ftfy", false, &differ);
    std::string list;
    for (const auto& d : differ) list += d + " ";
    std::printf("golden/tokenizer_ftfy: %d of 31 identical; differing (ftfy-only behaviour): %s\n", nf, list.c_str());
    VERIFY_EQ(nf, 25);
    const std::vector<std::string> expectDiffer = {"ligatures",   "fullwidth",    "zero_width",
                                                   "cjk_chinese", "cjk_japanese", "curly_apostrophe"};
    VERIFY(differ == expectDiffer);
}

void testSd2PadToken()
{
    // SD 2: special_tokens_map.json's pad "!" wins over tokenizer_config.json's "<|endoftext|>".
    const auto tok = ClipTokenizer::fromFolder(kRef / "configs" / "stable-diffusion-2-inpainting" / "tokenizer");
    VERIFY_EQ(tok.padId(), 0);
    VERIFY_EQ(tok.idToToken(0), std::string("!"));
    const auto tokens = tok.tokenize("wow!!!");
    VERIFY(tokens == (std::vector<std::string>{"wow</w>", "!", "!", "!"}));
    const auto ids = tok.encode("wow!!!");
    VERIFY_EQ(ids.size(), 77u);
    VERIFY_EQ(ids[0], 49406);
    VERIFY_EQ(ids[1], tok.encodeUntruncated("wow")[0]);
    VERIFY_EQ(ids[2], 0);
    VERIFY_EQ(ids[4], 0);
    VERIFY_EQ(ids[5], 49407);
    VERIFY_EQ(ids[6], 0);
    VERIFY_EQ(ids[76], 0);
    // SD 1.5 keeps "!!!" as one BPE word and pads with <|endoftext|>.
    const auto sd1 = ClipTokenizer::fromFolder(kRef / "configs" / "stable-diffusion-v1-5" / "tokenizer");
    VERIFY(sd1.tokenize("wow!!!") == (std::vector<std::string>{"wow</w>", "!!!</w>"}));
    VERIFY_EQ(sd1.padId(), 49407);

    // Newer transformers format: added_tokens_decoder in the config, special_tokens_map ignored.
    const auto d = tempRoot() / "modern";
    fs::create_directories(d);
    std::ofstream(d / "tokenizer_config.json")
        << R"({"pad_token": "<|endoftext|>", "model_max_length": 1000000000000000019884624838656,)"
           R"( "added_tokens_decoder": {"49406": {"content": "<|startoftext|>"}, "49407": {"content": "<|endoftext|>"}}})";
    std::ofstream(d / "special_tokens_map.json") << R"({"pad_token": "!"})";
    const auto modern = ClipTokenizer::fromFolder(d);
    VERIFY_EQ(modern.padId(), 49407);
    VERIFY_EQ(modern.maxLength(), 77);  // the "no limit" sentinel falls back to CLIP's 77
}

void testBadInput()
{
    const auto tok = ClipTokenizer::bundled();
    // Invalid UTF-8 becomes U+FFFD, which CLIP's clean-up drops (as transformers does with a
    // string decoded with errors="replace").
    VERIFY(tok.encode("a \xff\xfe cat") == tok.encode("a cat"));
    VERIFY(tok.encode("caf\xc3") == tok.encode("caf"));                 // truncated sequence at the end
    VERIFY(tok.encode("\xed\xa0\x80x") == tok.encode("x"));             // encoded surrogate
    VERIFY(tok.encode("\xc0\xaf") == tok.encode(""));                   // overlong '/'
    VERIFY(tok.encode(std::string("a\0b", 3)) == tok.encode("ab"));     // NUL removed
    size_t bad = 0;
    const auto cps = inpaint::models::unicode::decodeUtf8("\xe2\x82" "A\xf0\x9f\x98\x80\xff", &bad);
    VERIFY_EQ(bad, 2u);
    VERIFY(cps == (std::u32string{0xFFFD, U'A', 0x1F600, 0xFFFD}));

    // 10 000 characters: mixed words, one giant word, and symbols.
    std::string longPrompt;
    const char* words[] = {"a ", "photo, ", "of ", "café ", "🐱 ", "東京 ", "x1y2 ", "don't "};
    for (int i = 0; longPrompt.size() < 10000; ++i) longPrompt += words[i % 8];
    const auto t0 = std::chrono::steady_clock::now();
    const auto ids = tok.encode(longPrompt);
    const auto untrunc = tok.encodeUntruncated(longPrompt);
    const std::string giant(10000, 'q');
    const auto giantIds = tok.encode(giant + " " + std::string(10000, '!'));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("10 000-char prompts: %.1f ms\n", ms);
    VERIFY_EQ(ids.size(), 77u);
    VERIFY_EQ(ids[0], 49406);
    VERIFY_EQ(ids[76], 49407);
    VERIFY(untrunc.size() > 1000);
    VERIFY(std::equal(ids.begin() + 1, ids.begin() + 76, untrunc.begin()));
    VERIFY_EQ(giantIds.size(), 77u);
    VERIFY_EQ(giantIds[76], 49407);
    VERIFY(ms < 5000);

    // Explicit lengths.
    VERIFY_EQ(tok.encode("a cat", 10).size(), 10u);
    VERIFY_EQ(tok.encode("a a a a a a a a a a a a", 4)[3], 49407);
    VERIFY_THROWS(ConfigError, tok.encode("x", 1), "at least");

    // Broken vocabularies.
    const ClipTokenizer::Specials sp;
    VERIFY_THROWS(FormatError, ClipTokenizer::fromData("{}", "#version: 0.2\n", sp, "test vocab"), "is empty");
    VERIFY_THROWS(FormatError, ClipTokenizer::fromData("[1]", "", sp, "test vocab"), "not a JSON object");
    VERIFY_THROWS(FormatError, ClipTokenizer::fromData("{\"a\": ", "", sp, "test vocab"), "not valid JSON");
    VERIFY_THROWS(FormatError, ClipTokenizer::fromData("{\"a\": \"x\"}", "", sp, "test vocab"), "'a'");
    VERIFY_THROWS(FormatError, ClipTokenizer::fromData("{\"a</w>\": 0}", "", sp, "test vocab"), "<|startoftext|>");
    // A minimal but valid vocabulary: characters only, no merges; unknown symbols -> unk.
    const auto tiny = ClipTokenizer::fromData(
        R"({"<|startoftext|>": 0, "<|endoftext|>": 1, "a": 2, "b</w>": 3, "ab</w>": 4})", "#version\na b</w>\n", sp, "tiny");
    VERIFY(tiny.encodeUntruncated("ab") == (std::vector<int64_t>{4}));
    VERIFY(tiny.encodeUntruncated("ba") == (std::vector<int64_t>{1, 1}));  // "b", "a</w>" not in vocab -> unk

    const auto half = tempRoot() / "half";
    fs::create_directories(half);
    fs::copy_file(kResources / "vocab.json", half / "vocab.json", fs::copy_options::overwrite_existing);
    VERIFY_THROWS(FormatError, ClipTokenizer::fromFolder(half), "merges.txt");
    const auto emptyVocab = tempRoot() / "emptyvocab";
    fs::create_directories(emptyVocab);
    std::ofstream(emptyVocab / "vocab.json") << "{}";
    std::ofstream(emptyVocab / "merges.txt") << "#version: 0.2\n";
    VERIFY_THROWS(FormatError, ClipTokenizer::fromFolder(emptyVocab), "is empty");
    VERIFY_THROWS(ConfigError, ClipTokenizer::fromFolder(tempRoot() / "nope"), "does not exist");

    // Model folders: with a tokenizer/ folder (SD2 pad) and without one (bundled SD 1.x).
    VERIFY_EQ(loadClipTokenizer(kRef / "configs" / "stable-diffusion-2-inpainting").padId(), 0);
    const auto noTok = tempRoot() / "model_without_tokenizer";
    fs::create_directories(noTok);
    const auto fallback = loadClipTokenizer(noTok);
    VERIFY(fallback.usesBundledVocabulary());
    VERIFY_EQ(fallback.padId(), 49407);
    VERIFY_THROWS(ConfigError, loadClipTokenizer(tempRoot() / "no_model"), "does not exist");
}

void testUnicodeHelpers()
{
    using namespace inpaint::models::unicode;
    VERIFY(nfc(U"cafe\u0301") == U"caf\u00e9");
    VERIFY(nfc(U"\u1100\u1161\u11a8") == U"\uac01");              // Hangul L V T
    VERIFY(nfc(U"a\u0323\u0302") == U"\u1ead");                   // ậ via canonical ordering
    VERIFY(nfc(U"a\u0302\u0323") == U"\u1ead");
    VERIFY(nfc(U"\u212b") == U"\u00c5");                          // singleton decomposition
    VERIFY(nfc(U"\u0344") == U"\u0308\u0301");                    // composition exclusion
    VERIFY(pythonLower(U"\u03a3\u0391\u03a3") == U"\u03c3\u03b1\u03c2");  // final sigma
    VERIFY(pythonLower(U"\u0130") == U"i\u0307");
    VERIFY(pythonLower(U"ÀÉÎ ÇA") == U"àéî ça");
    VERIFY(isLetter(U'é') && isLetter(U'猫') && !isLetter(U'1') && isNumber(U'٣') && isNumber(U'½'));
    VERIFY(isPythonSpace(U'\u3000') && isPythonSpace(U'\u2028') && !isPythonSpace(U'\u200b'));
}

}  // namespace

int main()
{
    const auto run = [](const char* name, void (*fn)()) {
        try {
            fn();
        } catch (const std::exception& e) {
            inpaint::test::fail(__FILE__, __LINE__, std::string(name) + " threw: " + e.what());
        }
    };
    run("goldens", testGoldens);
    run("sd2Pad", testSd2PadToken);
    run("badInput", testBadInput);
    run("unicode", testUnicodeHelpers);
    std::error_code ec;
    fs::remove_all(tempRoot(), ec);
    return inpaint::test::checkReport("test_clip_tokenizer");
}
