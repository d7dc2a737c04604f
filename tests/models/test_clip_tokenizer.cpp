// CLIP tokenizer against transformers' CLIPTokenizer goldens (golden/tokenizer.*: every case must
// give identical ids, untruncated ids and BPE tokens), the ftfy goldens where ftfy does not change
// the result, SD2's "!" pad token, and bad input (empty vocabulary, invalid UTF-8, 10 000 chars).
#include "models/clip/clip_tokenizer.h"
#include "models/clip/unicode_text.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <limits>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

const fs::path kRef = inpaint::test::referenceDir();  // $INPAINT_TEST_DATA_DIR/reference
const fs::path kResources = fs::path(INPAINT_SOURCE_DIR) / "resources" / "clip";

// This process's scratch folder, removed at exit.
fs::path tempRoot()
{
    static const inpaint::test::ScratchDir d("inpaint_test_tokenizer");
    return d.path();
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
    for (const auto& c : inpaint::test::goldenCases(side, "", 31)) {
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
            EXPECT_MSG(ids == expectIds, section << "/" << name << ": got " << idsString(ids) << " expected "
                                                  << idsString(expectIds));
            EXPECT_MSG(fullUntrunc == expectUntrunc, section << "/" << name << " untruncated: got "
                                                             << idsString(fullUntrunc) << " expected "
                                                             << idsString(expectUntrunc));
            EXPECT_MSG(tokens == expectTokens, section << "/" << name << ": BPE tokens differ");
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

TEST_CASE(testGoldens)
{
    const auto t0 = std::chrono::steady_clock::now();
    const auto tok = ClipTokenizer::fromFolder(kRef / "models" / "tiny-sd" / "tokenizer");
    const double loadMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    std::printf("tokenizer load (bundled vocabulary): %.1f ms\n", loadMs);
    EXPECT(tok.usesBundledVocabulary());
    EXPECT_EQ(tok.vocabSize(), 49408u);
    EXPECT_EQ(tok.bosId(), 49406);
    EXPECT_EQ(tok.eosId(), 49407);
    EXPECT_EQ(tok.padId(), 49407);
    EXPECT_EQ(tok.maxLength(), 77);
    EXPECT_EQ(tok.idToToken(49406), std::string("<|startoftext|>"));

    const int n = compareGolden(tok, "tokenizer", true, nullptr);
    EXPECT_EQ(n, 31);
    std::printf("golden/tokenizer: %d of 31 cases identical (ids, untruncated ids, BPE tokens)\n", n);

    // The same with vocab.json/merges.txt present in the folder, and for the inpainting model.
    const auto full = ClipTokenizer::fromFolder(completeFolder("full", kRef / "models" / "tiny-sd" / "tokenizer"));
    EXPECT(!full.usesBundledVocabulary());
    EXPECT_EQ(compareGolden(full, "tokenizer", true, nullptr), 31);
    const auto inp = ClipTokenizer::fromFolder(kRef / "models" / "tiny-sd-inpaint" / "tokenizer");
    EXPECT_EQ(compareGolden(inp, "tokenizer", true, nullptr), 31);

    // ftfy goldens: must match wherever ftfy does not change the result (INDEX.md lists the six
    // cases it changes: ligatures, fullwidth, zero_width, cjk_chinese, cjk_japanese, curly_apostrophe).
    std::vector<std::string> differ;
    const int nf = compareGolden(tok, "tokenizer_ftfy", false, &differ);
    std::string list;
    for (const auto& d : differ) list += d + " ";
    std::printf("golden/tokenizer_ftfy: %d of 31 identical; differing (ftfy-only behaviour): %s\n", nf, list.c_str());
    EXPECT_EQ(nf, 25);
    const std::vector<std::string> expectDiffer = {"ligatures",   "fullwidth",    "zero_width",
                                                   "cjk_chinese", "cjk_japanese", "curly_apostrophe"};
    EXPECT(differ == expectDiffer);
}

TEST_CASE(testSd2PadToken)
{
    // SD 2: special_tokens_map.json's pad "!" wins over tokenizer_config.json's "<|endoftext|>".
    const auto tok = ClipTokenizer::fromFolder(kRef / "configs" / "stable-diffusion-2-inpainting" / "tokenizer");
    EXPECT_EQ(tok.padId(), 0);
    EXPECT_EQ(tok.idToToken(0), std::string("!"));
    const auto tokens = tok.tokenize("wow!!!");
    EXPECT(tokens == (std::vector<std::string>{"wow</w>", "!", "!", "!"}));
    const auto ids = tok.encode("wow!!!");
    EXPECT_EQ(ids.size(), 77u);
    EXPECT_EQ(ids[0], 49406);
    EXPECT_EQ(ids[1], tok.encodeUntruncated("wow")[0]);
    EXPECT_EQ(ids[2], 0);
    EXPECT_EQ(ids[4], 0);
    EXPECT_EQ(ids[5], 49407);
    EXPECT_EQ(ids[6], 0);
    EXPECT_EQ(ids[76], 0);
    // SD 1.5 keeps "!!!" as one BPE word and pads with <|endoftext|>.
    const auto sd1 = ClipTokenizer::fromFolder(kRef / "configs" / "stable-diffusion-v1-5" / "tokenizer");
    EXPECT(sd1.tokenize("wow!!!") == (std::vector<std::string>{"wow</w>", "!!!</w>"}));
    EXPECT_EQ(sd1.padId(), 49407);

    // Newer transformers format: added_tokens_decoder in the config, special_tokens_map ignored.
    const auto d = tempRoot() / "modern";
    fs::create_directories(d);
    std::ofstream(d / "tokenizer_config.json")
        << R"({"pad_token": "<|endoftext|>", "model_max_length": 1000000000000000019884624838656,)"
           R"( "added_tokens_decoder": {"49406": {"content": "<|startoftext|>"}, "49407": {"content": "<|endoftext|>"}}})";
    std::ofstream(d / "special_tokens_map.json") << R"({"pad_token": "!"})";
    const auto modern = ClipTokenizer::fromFolder(d);
    EXPECT_EQ(modern.padId(), 49407);
    EXPECT_EQ(modern.maxLength(), 77);  // the "no limit" sentinel falls back to CLIP's 77
}

TEST_CASE(testBadInput)
{
    const auto tok = ClipTokenizer::bundled();
    // Invalid UTF-8 becomes U+FFFD, which CLIP's clean-up drops (as transformers does with a
    // string decoded with errors="replace").
    EXPECT(tok.encode("a \xff\xfe cat") == tok.encode("a cat"));
    EXPECT(tok.encode("caf\xc3") == tok.encode("caf"));                 // truncated sequence at the end
    EXPECT(tok.encode("\xed\xa0\x80x") == tok.encode("x"));             // encoded surrogate
    EXPECT(tok.encode("\xc0\xaf") == tok.encode(""));                   // overlong '/'
    EXPECT(tok.encode(std::string("a\0b", 3)) == tok.encode("ab"));     // NUL removed
    size_t bad = 0;
    const auto cps = inpaint::models::unicode::decodeUtf8("\xe2\x82" "A\xf0\x9f\x98\x80\xff", &bad);
    EXPECT_EQ(bad, 2u);
    EXPECT(cps == (std::u32string{0xFFFD, U'A', 0x1F600, 0xFFFD}));

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
    EXPECT_EQ(ids.size(), 77u);
    EXPECT_EQ(ids[0], 49406);
    EXPECT_EQ(ids[76], 49407);
    EXPECT(untrunc.size() > 1000);
    EXPECT(std::equal(ids.begin() + 1, ids.begin() + 76, untrunc.begin()));
    EXPECT_EQ(giantIds.size(), 77u);
    EXPECT_EQ(giantIds[76], 49407);
    EXPECT(ms < 5000);

    // Explicit lengths.
    EXPECT_EQ(tok.encode("a cat", 10).size(), 10u);
    EXPECT_EQ(tok.encode("a a a a a a a a a a a a", 4)[3], 49407);
    EXPECT_THROWS(tok.encode("x", 1), ConfigError, "at least");

    // Broken vocabularies.
    const ClipTokenizer::Specials sp;
    EXPECT_THROWS(ClipTokenizer::fromData("{}", "#version: 0.2\n", sp, "test vocab"), FormatError, "is empty");
    EXPECT_THROWS(ClipTokenizer::fromData("[1]", "", sp, "test vocab"), FormatError, "not a JSON object");
    EXPECT_THROWS(ClipTokenizer::fromData("{\"a\": ", "", sp, "test vocab"), FormatError, "not valid JSON");
    EXPECT_THROWS(ClipTokenizer::fromData("{\"a\": \"x\"}", "", sp, "test vocab"), FormatError, "'a'");
    EXPECT_THROWS(ClipTokenizer::fromData("{\"a</w>\": 0}", "", sp, "test vocab"), FormatError, "<|startoftext|>");
    // Regression (tests/fuzz, corpus clip_tokenizer/regress_unsigned_id): an id above 2^63 - 1 wrapped
    // to a negative id (here the end-of-text id became -1).
    EXPECT_THROWS(ClipTokenizer::fromData(R"({"<|startoftext|>": 1, "<|endoftext|>": 18446744073709551615})", "", sp,
                                          "test vocab"),
                  FormatError, "above 2^63 - 1");
    EXPECT_EQ(ClipTokenizer::fromData(R"({"<|startoftext|>": 1, "<|endoftext|>": 9223372036854775807})", "", sp,
                                      "test vocab")
                  .eosId(),
              std::numeric_limits<int64_t>::max());
    // A minimal but valid vocabulary: characters only, no merges; unknown symbols -> unk.
    const auto tiny = ClipTokenizer::fromData(
        R"({"<|startoftext|>": 0, "<|endoftext|>": 1, "a": 2, "b</w>": 3, "ab</w>": 4})", "#version\na b</w>\n", sp, "tiny");
    EXPECT(tiny.encodeUntruncated("ab") == (std::vector<int64_t>{4}));
    EXPECT(tiny.encodeUntruncated("ba") == (std::vector<int64_t>{1, 1}));  // "b", "a</w>" not in vocab -> unk

    const auto half = tempRoot() / "half";
    fs::create_directories(half);
    fs::copy_file(kResources / "vocab.json", half / "vocab.json", fs::copy_options::overwrite_existing);
    EXPECT_THROWS(ClipTokenizer::fromFolder(half), FormatError, "merges.txt");
    const auto emptyVocab = tempRoot() / "emptyvocab";
    fs::create_directories(emptyVocab);
    std::ofstream(emptyVocab / "vocab.json") << "{}";
    std::ofstream(emptyVocab / "merges.txt") << "#version: 0.2\n";
    EXPECT_THROWS(ClipTokenizer::fromFolder(emptyVocab), FormatError, "is empty");
    EXPECT_THROWS(ClipTokenizer::fromFolder(tempRoot() / "nope"), ConfigError, "does not exist");

    // Model folders: with a tokenizer/ folder (SD2 pad) and without one (bundled SD 1.x).
    EXPECT_EQ(loadClipTokenizer(kRef / "configs" / "stable-diffusion-2-inpainting").padId(), 0);
    const auto noTok = tempRoot() / "model_without_tokenizer";
    fs::create_directories(noTok);
    const auto fallback = loadClipTokenizer(noTok);
    EXPECT(fallback.usesBundledVocabulary());
    EXPECT_EQ(fallback.padId(), 49407);
    EXPECT_THROWS(loadClipTokenizer(tempRoot() / "no_model"), ConfigError, "does not exist");
}

TEST_CASE(testUnicodeHelpers)
{
    using namespace inpaint::models::unicode;
    EXPECT(nfc(U"cafe\u0301") == U"caf\u00e9");
    EXPECT(nfc(U"\u1100\u1161\u11a8") == U"\uac01");              // Hangul L V T
    EXPECT(nfc(U"a\u0323\u0302") == U"\u1ead");                   // ậ via canonical ordering
    EXPECT(nfc(U"a\u0302\u0323") == U"\u1ead");
    EXPECT(nfc(U"\u212b") == U"\u00c5");                          // singleton decomposition
    EXPECT(nfc(U"\u0344") == U"\u0308\u0301");                    // composition exclusion
    EXPECT(pythonLower(U"\u03a3\u0391\u03a3") == U"\u03c3\u03b1\u03c2");  // final sigma
    EXPECT(pythonLower(U"\u0130") == U"i\u0307");
    EXPECT(pythonLower(U"ÀÉÎ ÇA") == U"àéî ça");
    EXPECT(isLetter(U'é') && isLetter(U'猫') && !isLetter(U'1') && isNumber(U'٣') && isNumber(U'½'));
    EXPECT(isPythonSpace(U'\u3000') && isPythonSpace(U'\u2028') && !isPythonSpace(U'\u200b'));
}

}  // namespace

TEST_MAIN()
