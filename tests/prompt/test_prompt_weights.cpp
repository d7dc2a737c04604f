// A1111 prompt syntax and conditioning against golden/prompt_weights.* (every case: extra-network
// tags, parsed parts and float64 weights, per-part token ids, chunk ids and multipliers, token
// count, comma-backtrack moves, z before and after the emphasis), A1111's parser doctests, CLIP
// skip against transformers' hidden states (golden/text_encoder.*), textual inversion against
// diffusers' load_textual_inversion prompt embeddings (golden/single_file.* ti_pt /
// ti_safetensors), chunk-boundary and padding rules, and bad input.
//
// Tolerance: the goldens are float32 outputs of magnitude <= 3.7 (INDEX-prompt_weights.md,
// max_abs_value_of_outputs), bit-identical across reruns and thread counts there; our kernels
// differ in op order, so 1e-5 absolute (~3e-6 relative of the largest value). A real error (a
// wrong weight, a missed chunk, the emphasis mean not restored) moves values by > 1e-3.
#include "core/diffusion/prompt_conditioning.h"
#include "core/diffusion/prompt_syntax.h"
#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <map>

namespace fs = std::filesystem;
using namespace inpaint;
using namespace inpaint::diffusion;

namespace {

#if __has_include("models/io/torch_checkpoint.h")
constexpr bool kPtReadable = true;   // the pickle reader is in the tree: .pt embeddings load
#else
constexpr bool kPtReadable = false;
#endif

const fs::path kRef = test::referenceDir();
constexpr double kTol = 1e-5;
test::WorstCase g_worst;

struct Model {
    models::ClipTokenizer tokenizer;
    models::ClipTextModel encoder{nullptr};
};

Model& model(const std::string& name)
{
    static std::map<std::string, Model> models;
    auto it = models.find(name);
    if (it == models.end()) {
        const auto folder = models::DiffusersFolder::open(kRef / "models" / name);
        Model m{models::loadClipTokenizer(kRef / "models" / name), models::loadClipTextModel(folder)};
        it = models.emplace(name, std::move(m)).first;
    }
    return it->second;
}

bool closeTo(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& label, double tol = kTol)
{
    double d = test::kInf;
    const bool ok = test::tensorsClose(actual.to(torch::kFloat32), expected.to(torch::kFloat32), test::Tolerance(tol),
                                       label, &d);
    g_worst.record(label, d);
    return ok;
}

std::vector<int64_t> row(const torch::Tensor& t, int64_t i)
{
    const auto r = t[i].contiguous().to(torch::kLong);
    return {r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + r.numel()};
}

std::vector<PromptPart> partsOf(const nlohmann::json& j)
{
    std::vector<PromptPart> out;
    for (const auto& p : j) out.push_back({p.at(0).get<std::string>(), p.at(1).get<double>()});
    return out;
}

std::string show(const std::vector<PromptPart>& parts)
{
    std::string s;
    char buf[64];
    for (const auto& p : parts) {
        std::snprintf(buf, sizeof buf, "%.17g", p.weight);
        s += "['" + p.text + "', " + buf + "] ";
    }
    return s;
}

}  // namespace

// A1111's own doctests of parse_prompt_attention (recorded in the golden's JSON).
TEST_CASE(parser_a1111_doctests)
{
    const auto side = test::loadGoldenJson("prompt_weights");
    const auto& tests = side.at("parser_selftest_a1111_doctests");
    int n = 0;
    for (const auto& t : tests) {
        const auto got = parsePromptAttention(t.at("input").get<std::string>());
        const auto expected = partsOf(t.at("expected"));
        EXPECT_MSG(got == expected, t.at("input").get<std::string>() << ": got " << show(got) << " expected " << show(expected));
        ++n;
    }
    EXPECT_MSG(n >= 6, "only " << n << " doctests in the golden");
}

// Every case of golden/prompt_weights: syntax, tokens, chunks and the conditioning.
TEST_CASE(golden_cases)
{
    torch::InferenceMode guard;
    const auto side = test::loadGoldenJson("prompt_weights");
    const auto golden = test::openGolden("prompt_weights");
    auto& m = model("tiny-sd");
    const auto& settings = side.at("settings");
    EXPECT_EQ(m.tokenizer.bosId(), settings.at("id_start").get<int64_t>());
    EXPECT_EQ(m.tokenizer.eosId(), settings.at("id_end").get<int64_t>());
    EXPECT_EQ(m.tokenizer.padId(), settings.at("id_pad").get<int64_t>());

    for (const auto& c : test::goldenCases(side, "", 17)) {
        const std::string name = c.at("name");
        const auto& p = c.at("params");
        const std::string prompt = p.at("prompt");
        std::cout << "case " << name << std::endl;

        // Extra networks.
        const auto nets = extractExtraNetworks(prompt);
        EXPECT_EQ(nets.text, p.value("text_after_extra_networks", prompt));
        std::map<std::string, std::vector<const ExtraNetwork*>> byKind;
        for (const auto& n : nets.networks) byKind[n.kind].push_back(&n);
        const auto expectedNets = p.value("extra_networks", nlohmann::json::object());
        EXPECT_EQ(byKind.size(), expectedNets.size());
        for (const auto& [kind, list] : expectedNets.items()) {
            REQUIRE(byKind.count(kind) && byKind[kind].size() == list.size());
            for (size_t i = 0; i < list.size(); ++i) {
                const auto& got = *byKind[kind][i];
                EXPECT(got.items == list[i].at("items").get<std::vector<std::string>>());
                EXPECT(got.positional == list[i].at("positional").get<std::vector<std::string>>());
                const auto named = list[i].at("named").get<std::map<std::string, std::string>>();
                EXPECT_EQ(got.named.size(), named.size());
                for (const auto& [k, v] : named) EXPECT_MSG(got.namedValue(k) && *got.namedValue(k) == v, name << " " << k);
            }
        }
        const auto loras = loraNetworks(nets.networks);
        const auto expectedLoras = p.value("lora", nlohmann::json::array());
        REQUIRE(loras.size() == expectedLoras.size());
        for (size_t i = 0; i < loras.size(); ++i) {
            const auto& e = expectedLoras[i];
            EXPECT_EQ(loras[i].name, e.at("name").get<std::string>());
            EXPECT_EQ(loras[i].te, e.at("te_multiplier").get<double>());
            EXPECT_EQ(loras[i].unet, e.at("unet_multiplier").get<double>());
            if (e.at("dyn_dim").is_null())
                EXPECT(!loras[i].dyn.has_value());
            else
                EXPECT(loras[i].dyn && *loras[i].dyn == e.at("dyn_dim").get<int64_t>());
        }

        // Attention parsing and tokens.
        const auto tokens = tokenizePromptA1111(m.tokenizer, nets.text);
        const auto expectedParts = partsOf(p.at("parsed"));
        EXPECT_MSG(tokens.parsed == expectedParts, name << ": got " << show(tokens.parsed) << " expected " << show(expectedParts));
        const auto& partIds = p.at("parsed_token_ids");
        REQUIRE(tokens.partTokens.size() == partIds.size());
        for (size_t i = 0; i < partIds.size(); ++i)
            EXPECT_MSG(tokens.partTokens[i] == partIds[i].at("ids").get<std::vector<int64_t>>(), name << " part " << i);
        EXPECT_EQ(tokens.tokenCount, p.at("token_count").get<int>());
        const auto& relocs = p.at("comma_backtrack_relocations");
        REQUIRE(tokens.commaBacktrackRelocations.size() == relocs.size());
        for (size_t i = 0; i < relocs.size(); ++i) {
            EXPECT_EQ(tokens.commaBacktrackRelocations[i].chunk, relocs[i].at("chunk").get<size_t>());
            EXPECT_EQ(tokens.commaBacktrackRelocations[i].movedTokens, relocs[i].at("moved_tokens").get<size_t>());
        }

        // Chunks.
        const auto& chunks = p.at("chunks");
        REQUIRE(tokens.chunks.size() == chunks.size());
        EXPECT_EQ(tokens.chunks.size(), p.at("n_chunks").get<size_t>());
        const auto chunkIds = golden->tensor(name + "/chunk_token_ids");
        const auto encIds = golden->tensor(name + "/encoder_input_ids");
        const auto mults = golden->tensor(name + "/multipliers");
        const auto ourEncIds = encoderInputIds(m.tokenizer, tokens);
        for (size_t k = 0; k < chunks.size(); ++k) {
            const auto& ck = tokens.chunks[k];
            EXPECT_MSG(ck.tokens == chunks[k].at("token_ids").get<std::vector<int64_t>>(), name << " chunk " << k);
            EXPECT_MSG(ck.multipliers == chunks[k].at("multipliers").get<std::vector<double>>(), name << " chunk " << k);
            EXPECT(ck.tokens == row(chunkIds, static_cast<int64_t>(k)));
            EXPECT(row(ourEncIds, static_cast<int64_t>(k)) == row(encIds, static_cast<int64_t>(k)));
            EXPECT(ck.fixes.empty());
        }
        std::vector<float> ourMults;
        for (const auto& ck : tokens.chunks) ourMults.insert(ourMults.end(), ck.multipliers.begin(), ck.multipliers.end());
        const auto ourMultT = torch::tensor(ourMults).reshape(mults.sizes());
        EXPECT_MSG(torch::equal(ourMultT, mults.to(torch::kFloat32)), name << " float32 multipliers");

        // Conditioning.
        torch::Tensor unweighted;
        const auto cond = encodeChunks(m.tokenizer, m.encoder, tokens, 1, &unweighted);
        EXPECT(closeTo(unweighted, golden->tensor(name + "/z_unweighted"), name + "/z_unweighted"));
        EXPECT(closeTo(cond, golden->tensor(name + "/cond"), name + "/cond"));
        // The whole path from the raw prompt (tags included) gives the same.
        const auto whole = encodePromptA1111(m.tokenizer, m.encoder, prompt);
        EXPECT(torch::equal(whole.cond, cond));
        EXPECT_EQ(whole.loras.size(), loras.size());
    }
    std::cout << "worst: " << g_worst.label() << " " << g_worst.value() << std::endl;
}

// CLIP skip N = final_layer_norm(hidden_states[-N]) (A1111 and diffusers), from transformers'
// hidden states of golden/text_encoder.* for a short prompt (one chunk, all weights 1).
TEST_CASE(clip_skip)
{
    torch::InferenceMode guard;
    const auto side = test::loadGoldenJson("text_encoder");
    const auto golden = test::openGolden("text_encoder");
    auto& m = model("tiny-sd");
    const auto cases = test::goldenCases(side, "tiny-sd/plain", 1);
    for (const auto& c : cases) {
        const std::string name = c.at("name");
        const std::string prompt = c.at("params").at("prompt");
        const auto tokens = tokenizePromptA1111(m.tokenizer, prompt);
        REQUIRE(tokens.chunks.size() == 1);
        EXPECT(row(encoderInputIds(m.tokenizer, tokens), 0) == row(golden->tensor(name + "/input_ids"), 0));
        const int layers = static_cast<int>(m.encoder->config().numHiddenLayers);
        EXPECT(closeTo(encodeChunks(m.tokenizer, m.encoder, tokens, 1), golden->tensor(name + "/last_hidden_state"),
                     name + " clip skip 1"));
        for (int n = 2; n <= layers; ++n) {
            const auto hidden = golden->tensor(name + "/hidden_states_" + std::to_string(layers + 1 - n));
            const auto expected = m.encoder->text_model->final_layer_norm(hidden);
            EXPECT(closeTo(encodeChunks(m.tokenizer, m.encoder, tokens, n), expected, name + " clip skip " + std::to_string(n)));
            PromptEncodeOptions o;
            o.clipSkip = n;
            EXPECT(closeTo(encodePromptA1111(m.tokenizer, m.encoder, prompt, o).cond, expected, name + " whole, skip " + std::to_string(n)));
        }
        EXPECT_THROWS(encodeChunks(m.tokenizer, m.encoder, tokens, 0), models::ConfigError, "Clip skip 0");
        EXPECT_THROWS(encodeChunks(m.tokenizer, m.encoder, tokens, layers + 1), models::ConfigError, "1 to 3");
    }
}

// Textual inversion against diffusers' load_textual_inversion runs: the A1111 prompt with the
// trigger (file stem) gives the prompt embeddings diffusers computed with the added token ids.
TEST_CASE(textual_inversion_goldens)
{
    torch::InferenceMode guard;
    const auto side = test::loadGoldenJson("single_file");
    const auto golden = test::openGolden("single_file");
    auto& m = model("tiny-sd-inpaint");
    const int64_t width = m.encoder->config().hiddenSize;
    std::vector<std::string> problems;
    const auto db = loadEmbeddings({kRef / "models" / "embeddings"}, width, &problems);
    for (const auto& pr : problems) std::cout << "  skipped: " << pr << std::endl;
    const auto cases = test::goldenCases(side, "ti_", 2);
    for (const auto& c : cases) {
        const std::string name = c.at("name");
        const auto& p = c.at("params");
        const fs::path file = kRef / p.at("embedding_file").get<std::string>();
        const std::string trigger = file.stem().string();
        const auto rows = golden->tensor(name + "/added_embedding_rows");
        // The embedding: from the folder when its format is readable here; a .pt needs the pickle
        // reader, so the same vectors (diffusers' added rows) stand in for it.
        EmbeddingDatabase own;
        const EmbeddingDatabase* use = &db;
        if (const auto* e = db.find(trigger)) {
            EXPECT(closeTo(e->vectors, rows, name + " vectors from " + file.filename().string(), 0.0));
        } else {
            EXPECT_MSG(file.extension() == ".pt" && !kPtReadable, "embedding " << trigger << " not loaded");
            own.add({trigger, file, rows.to(torch::kFloat32).clone()});
            use = &own;
        }
        // diffusers' prompt "<tiny-token>" -> A1111 prompt with the file stem as the trigger.
        std::string prompt = p.at("prompt");
        const std::string token = "<tiny-token>";
        prompt.replace(prompt.find(token), token.size(), trigger);
        std::cout << "  " << name << ": A1111 prompt '" << prompt << "'" << std::endl;
        PromptEncodeOptions o;
        o.embeddings = use;
        const auto enc = encodePromptA1111(m.tokenizer, m.encoder, prompt, o);
        REQUIRE(enc.tokens.chunks.size() == 1);
        EXPECT(enc.tokens.usedEmbeddings == std::vector<std::string>{trigger});
        const auto& chunk = enc.tokens.chunks[0];
        REQUIRE(chunk.fixes.size() == 1);
        // Same positions as diffusers' added ids (49408, 49409, ...), other ids equal.
        const auto ids = row(golden->tensor(name + "/input_ids"), 0);
        const size_t n = static_cast<size_t>(rows.size(0));
        for (size_t i = 0; i < ids.size(); ++i) {
            const bool added = ids[i] >= 49408;
            const bool inFix = i >= chunk.fixes[0].offset + 1 && i < chunk.fixes[0].offset + 1 + n;
            EXPECT_MSG(added == inFix, name << " position " << i);
            if (!added) EXPECT_MSG(chunk.tokens[i] == ids[i], name << " id at " << i);
        }
        EXPECT(closeTo(enc.cond, golden->tensor(name + "/prompt_embeds"), name + "/prompt_embeds"));
        // The negative prompt (None -> "") without embeddings.
        EXPECT(closeTo(encodePromptA1111(m.tokenizer, m.encoder, "").cond, golden->tensor(name + "/negative_prompt_embeds"),
                     name + "/negative_prompt_embeds"));
        // Without the embedding the trigger is plain text: different conditioning.
        EXPECT(test::maxAbsDiff(encodePromptA1111(m.tokenizer, m.encoder, prompt).cond, enc.cond) > 1e-3);
    }
}

// Multi-vector embeddings count as tokens: one that does not fit the rest of a chunk starts the
// next; the longest trigger wins; weights apply to the vectors.
TEST_CASE(embedding_chunking)
{
    torch::InferenceMode guard;
    auto& m = model("tiny-sd");
    EmbeddingDatabase db;
    torch::manual_seed(7);
    db.add({"tiny-token", "tiny-token.pt", torch::randn({3, 16})});
    db.add({"tiny-token-b", "tiny-token-b.safetensors", torch::randn({1, 16})});
    EXPECT(!db.add({"tiny-token", "other.safetensors", torch::randn({1, 16})}));

    // 73 single-token words, then the 3-vector embedding: 73 + 3 > 75, so it starts chunk 2.
    std::string prompt;
    for (int i = 0; i < 73; ++i) prompt += "cat ";
    const auto t = tokenizePromptA1111(m.tokenizer, prompt + "(tiny-token:1.5) dog", &db);
    REQUIRE(t.chunks.size() == 2);
    EXPECT_EQ(t.chunks[0].tokens[73], m.tokenizer.encodeUntruncated("cat").at(0));
    EXPECT_EQ(t.chunks[0].tokens[74], m.tokenizer.eosId());
    EXPECT(t.chunks[0].fixes.empty());
    REQUIRE(t.chunks[1].fixes.size() == 1);
    EXPECT_EQ(t.chunks[1].fixes[0].offset, size_t(0));
    EXPECT_EQ(t.chunks[1].fixes[0].name, std::string("tiny-token"));
    EXPECT(t.chunks[1].tokens[1] == 0 && t.chunks[1].tokens[2] == 0 && t.chunks[1].tokens[3] == 0);
    EXPECT(t.chunks[1].multipliers[1] == 1.5 && t.chunks[1].multipliers[3] == 1.5 && t.chunks[1].multipliers[4] == 1.0);
    EXPECT_EQ(t.tokenCount, 75 + 4);

    // "tiny-token-b" is matched as the longer trigger, not "tiny-token" followed by "-b".
    const auto b = tokenizePromptA1111(m.tokenizer, "a tiny-token-b and a tiny-token", &db);
    REQUIRE(b.chunks.size() == 1 && b.chunks[0].fixes.size() == 2);
    EXPECT_EQ(b.chunks[0].fixes[0].name, std::string("tiny-token-b"));
    EXPECT_EQ(b.chunks[0].fixes[1].name, std::string("tiny-token"));
    EXPECT_EQ(b.tokenCount, 1 + 1 + 2 + 3);

    // Encoding with the fixes equals the encoder run on the substituted token embeddings.
    const auto cond = encodeChunks(m.tokenizer, m.encoder, b, 1);
    EXPECT(cond.sizes() == torch::IntArrayRef({1, 77, 16}));
    // A trigger split by weights is not found (A1111 matches within one parsed part).
    const auto split = tokenizePromptA1111(m.tokenizer, "tiny-(token)", &db);
    EXPECT(split.chunks[0].fixes.empty());
    // The fixes path without fixes is the plain encoder: compare the plain encoding with an
    // embedding that holds the token's own embedding row.
    const auto cat = m.tokenizer.encodeUntruncated("cat");
    REQUIRE(cat.size() == 1);
    EmbeddingDatabase same;
    same.add({"zebra", "zebra.safetensors", m.encoder->text_model->embeddings->token_embedding->weight[cat[0]].unsqueeze(0).clone()});
    const auto viaFix = encodePromptA1111(m.tokenizer, m.encoder, "a photo of a zebra", {1, 20, &same}).cond;
    const auto plain = encodePromptA1111(m.tokenizer, m.encoder, "a photo of a cat").cond;
    EXPECT(closeTo(viaFix, plain, "embedding path == encoder path", 1e-6));
}

// A1111 files on disk: .safetensors read, a wrong width is an error naming file and widths.
TEST_CASE(embedding_files)
{
    test::ScratchDir dir("prompt_embeddings");
    const auto good = dir.path() / "good-one.safetensors";
    const auto wide = dir.path() / "sub" / "too-wide.safetensors";
    fs::create_directories(wide.parent_path());
    models::saveSafetensors(good, {{"emb_params", torch::ones({2, 16})}});
    models::saveSafetensors(wide, {{"emb_params", torch::ones({1, 8})}});
    const auto e = loadEmbeddingFile(good, 16);
    EXPECT_EQ(e.name, std::string("good-one"));
    EXPECT(e.vectors.sizes() == torch::IntArrayRef({2, 16}));
    EXPECT_THROWS(loadEmbeddingFile(wide, 16), models::WeightsError, "too-wide.safetensors");
    EXPECT_THROWS(loadEmbeddingFile(wide, 16), models::WeightsError, "width 8; the text encoder expects width 16");
    EXPECT_THROWS(loadEmbeddings({dir.path()}, 16), models::WeightsError, "width 8");
    std::vector<std::string> problems;
    const auto db = loadEmbeddings({dir.path()}, 16, &problems);
    EXPECT_EQ(db.size(), size_t(1));
    EXPECT(db.find("good-one") != nullptr);
    REQUIRE(problems.size() == 1);
    EXPECT(problems[0].find("too-wide") != std::string::npos);
    models::saveSafetensors(dir.path() / "two.safetensors", {{"a", torch::ones({1, 16})}, {"b", torch::ones({1, 16})}});
    EXPECT_THROWS(loadEmbeddingFile(dir.path() / "two.safetensors", 16), models::WeightsError, "2 tensors");
    EXPECT_THROWS(loadEmbeddings({dir.path() / "missing"}, 16), models::ConfigError, "does not exist");
    // The reference set's files: the .safetensors loads with the width of tiny-sd.
    const auto b = loadEmbeddingFile(kRef / "models" / "embeddings" / "tiny-token-b.safetensors", 16);
    EXPECT(b.vectors.sizes() == torch::IntArrayRef({1, 16}));
    EXPECT_THROWS(loadEmbeddingFile(kRef / "models" / "embeddings" / "tiny-token-b.safetensors", 32),
                  models::WeightsError, "expects width 32");
    // The A1111 .pt (string_to_param {'*': [2, D]}).
    const auto pt = kRef / "models" / "embeddings" / "tiny-token.pt";
    if (kPtReadable) {
        const auto t = loadEmbeddingFile(pt, 16);
        EXPECT_EQ(t.name, std::string("tiny-token"));
        EXPECT(t.vectors.sizes() == torch::IntArrayRef({2, 16}));
        EXPECT_THROWS(loadEmbeddingFile(pt, 768), models::WeightsError, "width 16; the text encoder expects width 768");
    } else {
        EXPECT_THROWS(loadEmbeddingFile(pt, 16), models::FormatError, "tiny-token.pt");
    }
}

// cond / uncond of different chunk counts: the shorter gets empty-prompt chunks.
TEST_CASE(cfg_padding)
{
    torch::InferenceMode guard;
    auto& m = model("tiny-sd");
    const auto cfg = encodeCfgPromptsA1111(m.tokenizer, m.encoder, "a red cat BREAK a blue dog BREAK sky", "blurry");
    EXPECT(cfg.positive.cond.sizes() == torch::IntArrayRef({1, 231, 16}));
    EXPECT(cfg.negative.cond.sizes() == torch::IntArrayRef({1, 231, 16}));
    const auto empty = encodeEmptyChunk(m.tokenizer, m.encoder);
    const auto blurry = encodePromptA1111(m.tokenizer, m.encoder, "blurry").cond;
    EXPECT(torch::equal(cfg.negative.cond.slice(1, 0, 77), blurry));
    EXPECT(torch::equal(cfg.negative.cond.slice(1, 77, 154), empty));
    EXPECT(torch::equal(cfg.negative.cond.slice(1, 154, 231), empty));
    // The empty prompt's chunk is the diffusers encoding of "" (golden case 'empty').
    EXPECT(closeTo(empty, test::openGolden("prompt_weights")->tensor("empty/cond"), "empty chunk"));
    torch::Tensor a = blurry, b = cfg.positive.cond;
    matchChunkCounts(a, b, empty);
    EXPECT(a.size(1) == 231 && b.size(1) == 231);
    EXPECT_THROWS(padWithEmptyChunks(torch::zeros({1, 70, 16}), 2, empty), models::ConfigError, "77-token chunks");
}

// SD 2.x tokenizers pad with "!" (id 0): after the first EOS the encoder gets the pad id.
TEST_CASE(sd2_pad_ids)
{
    const auto tok = models::loadClipTokenizer(kRef / "configs" / "stable-diffusion-2-inpainting");
    REQUIRE(tok.padId() == 0);
    const auto t = tokenizePromptA1111(tok, "a cat, a dog");
    const auto ids = row(encoderInputIds(tok, t), 0);
    EXPECT_EQ(ids[0], tok.bosId());
    EXPECT_EQ(ids[6], tok.eosId());
    EXPECT_EQ(ids[7], int64_t(0));
    EXPECT_EQ(ids[76], int64_t(0));
    EXPECT_EQ(t.chunks[0].tokens[76], tok.eosId());  // the chunk itself is EOS padded
}

// Syntax edges beyond the goldens (expected values as Python's re / float / int give them).
TEST_CASE(syntax_edges)
{
    using P = std::vector<PromptPart>;
    // BREAK needs word boundaries ('_', letters and digits of any script are word characters);
    // Unicode whitespace around it is eaten.
    EXPECT(parsePromptAttention("xBREAK y") == P({{"xBREAK y", 1.0}}));
    EXPECT(parsePromptAttention("BREAK_ a") == P({{"BREAK_ a", 1.0}}));
    EXPECT(parsePromptAttention("\xc3\xa9" "BREAK a") == P({{"\xc3\xa9" "BREAK a", 1.0}}));
    EXPECT(parsePromptAttention("a\xe3\x80\x80" "BREAK\xc2\xa0 b") == P({{"a", 1.0}, {"BREAK", -1.0}, {"b", 1.0}}));
    EXPECT(parsePromptAttention("a-BREAK-b") == P({{"a-", 1.0}, {"BREAK", -1.0}, {"-b", 1.0}}));
    EXPECT(parsePromptAttention("BREAK") == P({{"", 1.0}, {"BREAK", -1.0}, {"", 1.0}}));
    // (x:1) keeps a BREAK inside a chunk break: its weight stays -1.
    EXPECT(parsePromptAttention("(a BREAK b:1)") == P({{"a", 1.0}, {"BREAK", -1.0}, {"b", 1.0}}));
    // Weights: spaces, signs, "1." and ".5"; a lone backslash; ":" and "):" as text.
    EXPECT(parsePromptAttention("(a: 1. )(b:.5)") == P({{"a", 1.0}, {"b", 0.5}}));
    EXPECT(parsePromptAttention("a\\b") == P({{"ab", 1.0}}));
    EXPECT(parsePromptAttention("a:b):c") == P({{"a:b):c", 1.0}}));
    EXPECT(parsePromptAttention("((a)") == P({{"a", 1.1 * 1.1}}));
    EXPECT(parsePromptAttention("[(a") == P({{"a", 1.0 * 1.1 * (1.0 / 1.1)}}));
    EXPECT_THROWS(parsePromptAttention("(a:1.2.3)"), PromptError, "1.2.3");
    EXPECT_THROWS(parsePromptAttention("(a:.)"), PromptError, "'.'");
    EXPECT(parsePromptAttention("a:1.2.3) b") == P({{"a:1.2.3) b", 1.0}}));  // no '(' open: text

    // Extra networks: \w+ kind, args up to the first '>', '=' rules.
    auto n = extractExtraNetworks("x <lora:a:b=c:d=e=f:=g> <bad kind:1> <:x> <lora:> y");
    EXPECT_EQ(n.text, std::string("x  <bad kind:1> <:x> <lora:> y"));
    REQUIRE(n.networks.size() == 1);
    EXPECT(n.networks[0].positional == std::vector<std::string>({"a", "d=e=f"}));
    EXPECT(n.networks[0].named.size() == 2 && *n.networks[0].namedValue("b") == "c" && *n.networks[0].namedValue("") == "g");
    n = extractExtraNetworks("<lora:a:0.5:te=0.25:te=0.75>");
    EXPECT(n.networks.size() == 1 && n.networks[0].named.size() == 1 && *n.networks[0].namedValue("te") == "0.75");
    auto l = loraNetworks(n.networks);
    EXPECT(l.size() == 1 && l[0].te == 0.75 && l[0].unet == 0.75);  // unet falls back to the named te
    EXPECT_THROWS(loraNetworks(extractExtraNetworks("<lora:te=1>").networks), PromptError, "no LoRA name");
    EXPECT_THROWS(loraNetworks(extractExtraNetworks("<lora:a:strong>").networks), PromptError, "'strong'");
    EXPECT_THROWS(loraNetworks(extractExtraNetworks("<lora:a:1:1:1.5>").networks), PromptError, "dyn");
    l = loraNetworks(extractExtraNetworks("<lora:a: 1_0 :-.5e1:+16> <hypernet:h:2>").networks);
    EXPECT(l.size() == 1 && l[0].te == 10.0 && l[0].unet == -5.0 && l[0].dyn == 16);

    // Python float()/int().
    EXPECT(parsePythonFloat("1.") == 1.0 && parsePythonFloat(".5") == 0.5 && parsePythonFloat(" -2e-1 ") == -0.2);
    EXPECT(parsePythonFloat("INF") == std::numeric_limits<double>::infinity());
    EXPECT(std::isnan(*parsePythonFloat("nan")));
    EXPECT(!parsePythonFloat("1__0") && !parsePythonFloat("_1") && !parsePythonFloat("1e") && !parsePythonFloat("."));
    EXPECT(!parsePythonFloat("") && !parsePythonFloat("0x10") && !parsePythonFloat("1.0.0"));
    EXPECT(parsePythonInt("+16") == 16 && parsePythonInt(" 1_6 ") == 16 && !parsePythonInt("1.0") && !parsePythonInt(""));
    EXPECT(parsePythonFloat(std::string(400, '9')) == std::numeric_limits<double>::infinity());
}

TEST_MAIN()
