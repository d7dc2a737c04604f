// A1111 prompt conditioning: tokenize_line / next_chunk / process_tokens of
// modules/sd_hijack_clip.py, EmbeddingsWithFixes of modules/sd_hijack.py, the "Original" emphasis
// of modules/sd_emphasis.py and the embedding loading of modules/textual_inversion (read, not
// copied; see tests/data/reference/INDEX-prompt_weights.md).
#include "core/diffusion/prompt_conditioning.h"

#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "models/nn/layers.h"
#if __has_include("models/io/torch_checkpoint.h")
#include "models/io/torch_checkpoint.h"
#define INPAINT_HAVE_TORCH_CHECKPOINT 1
#endif

#include <c10/core/InferenceMode.h>
#include <torch/torch.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>

namespace inpaint::diffusion {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Textual inversion

bool EmbeddingDatabase::add(TextualInversion embedding)
{
    if (find(embedding.name)) return false;
    m_embeddings.push_back(std::move(embedding));
    return true;
}

const TextualInversion* EmbeddingDatabase::find(const std::string& name) const
{
    for (const auto& e : m_embeddings)
        if (e.name == name) return &e;
    return nullptr;
}

namespace {

std::string lowerExtension(const fs::path& p)
{
    std::string e = p.extension().string();
    for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

torch::Tensor embeddingVectors(torch::Tensor t, const fs::path& file, int64_t expectedWidth)
{
    const std::string what = "The embedding file '" + file.string() + "'";
    if (!t.is_floating_point())
        throw models::WeightsError(what + " holds a tensor of type " + std::string(c10::toString(t.scalar_type())) +
                                   ", not floating point vectors.");
    if (t.dim() == 1) t = t.unsqueeze(0);
    if (t.dim() != 2 || t.size(0) < 1 || t.size(1) < 1)
        throw models::WeightsError(what + " holds a tensor of shape " + c10::str(t.sizes()) +
                                   "; expected [vectors, width].");
    if (t.size(0) > kChunkLength)
        throw models::WeightsError(what + " has " + std::to_string(t.size(0)) + " vectors; at most " +
                                   std::to_string(kChunkLength) + " fit in a prompt chunk.");
    if (expectedWidth > 0 && t.size(1) != expectedWidth)
        throw models::WeightsError(what + " has vectors of width " + std::to_string(t.size(1)) +
                                   "; the text encoder expects width " + std::to_string(expectedWidth) + ".");
    return t.to(torch::kCPU, torch::kFloat32).contiguous().clone();
}

// The embedding files under `dir` (recursively, sorted by path): .safetensors, .pt, .bin.
std::vector<fs::path> embeddingFiles(const fs::path& dir)
{
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw models::ConfigError("The embeddings folder '" + dir.string() + "' does not exist.");
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::follow_directory_symlink, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const std::string ext = lowerExtension(it->path());
        if (ext == ".safetensors" || ext == ".pt" || ext == ".bin") files.push_back(it->path());
    }
    if (ec) throw models::ConfigError("The embeddings folder '" + dir.string() + "' cannot be read: " + ec.message());
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

TextualInversion loadEmbeddingFile(const fs::path& file, int64_t expectedWidth)
{
    TextualInversion e;
    e.name = file.stem().string();
    e.file = file;
    const std::string ext = lowerExtension(file);
    if (ext == ".safetensors") {
        auto tensors = models::loadSafetensors(file);
        if (tensors.count("clip_g") || tensors.count("clip_l"))
            throw models::WeightsError("The embedding file '" + file.string() +
                                       "' is an SDXL embedding (clip_g/clip_l), which is not supported.");
        if (tensors.size() != 1)
            throw models::WeightsError("The embedding file '" + file.string() + "' holds " +
                                       std::to_string(tensors.size()) + " tensors; expected one (emb_params).");
        e.vectors = embeddingVectors(tensors.begin()->second, file, expectedWidth);
        return e;
    }
    if (ext == ".pt" || ext == ".bin") {
#ifdef INPAINT_HAVE_TORCH_CHECKPOINT
        // torch.save dicts, read without executing anything (models/io/torch_checkpoint.h):
        // A1111 {'string_to_param': {'*': [n, D]}, ...}, or one {token: tensor} (diffusers).
        const auto checkpoint = models::readTorchCheckpoint(file);
        const auto& root = checkpoint.root;
        const std::string what = "The embedding file '" + file.string() + "'";
        if (!root.isDict()) throw models::WeightsError(what + " holds a " + root.kindName() + ", not a dict.");
        if (const auto* params = root.find("string_to_param")) {
            // A torch.nn.ParameterDict keeps its tensors in _parameters.
            if (const auto* inner = params->find("_parameters"); inner && inner->isDict()) params = inner;
            if (!params->isDict() || params->items.size() != 1)
                throw models::WeightsError(what + " has " + std::to_string(params->isDict() ? params->items.size() : 0) +
                                           " terms in string_to_param; expected one.");
            if (!params->items[0].isTensor())
                throw models::WeightsError(what + " has a " + std::string(params->items[0].kindName()) +
                                           " in string_to_param, not a tensor.");
            e.vectors = embeddingVectors(params->items[0].tensor, file, expectedWidth);
            return e;
        }
        if (root.find("clip_g") || root.find("clip_l"))
            throw models::WeightsError(what + " is an SDXL embedding (clip_g/clip_l), which is not supported.");
        if (root.items.size() == 1 && root.items[0].isTensor()) {
            e.vectors = embeddingVectors(root.items[0].tensor, file, expectedWidth);
            return e;
        }
        throw models::WeightsError(what + " is neither a textual-inversion embedding (string_to_param) nor a "
                                          "one-tensor embedding.");
#else
        throw models::FormatError("The embedding file '" + file.string() +
                                  "' is a pickle (.pt/.bin); only .safetensors embeddings can be read so far.");
#endif
    }
    throw models::FormatError("The embedding file '" + file.string() +
                              "' is neither .safetensors nor .pt/.bin.");
}

EmbeddingDatabase loadEmbeddings(const std::vector<fs::path>& dirs, int64_t expectedWidth,
                                 std::vector<std::string>* problems)
{
    EmbeddingDatabase db;
    for (const auto& dir : dirs) {
        for (const auto& f : embeddingFiles(dir)) {
            try {
                auto e = loadEmbeddingFile(f, expectedWidth);
                const std::string name = e.name;
                if (!db.add(std::move(e))) {
                    const std::string msg = "The embedding file '" + f.string() + "' repeats the trigger '" + name +
                                            "' of '" + db.find(name)->file.string() + "'; it is ignored.";
                    if (problems) problems->push_back(msg);
                }
            } catch (const models::ModelError& err) {
                if (!problems) throw;
                problems->push_back(err.what());
            }
        }
    }
    return db;
}

std::pair<TextualInversion, TextualInversion> loadSdxlEmbeddingFile(const fs::path& file, int64_t widthL, int64_t widthG)
{
    const std::string what = "The embedding file '" + file.string() + "'";
    if (lowerExtension(file) != ".safetensors")
        throw models::FormatError(what + " is not a .safetensors file; SDXL embeddings (clip_l/clip_g) are read from those.");
    auto tensors = models::loadSafetensors(file);
    if (!tensors.count("clip_l") || !tensors.count("clip_g"))
        throw models::WeightsError(what + " is not an SDXL embedding (it lacks clip_l and clip_g): an SD 1.x/2.x one?");
    TextualInversion l, g;
    l.name = g.name = file.stem().string();
    l.file = g.file = file;
    l.vectors = embeddingVectors(tensors.at("clip_l"), file, widthL);
    g.vectors = embeddingVectors(tensors.at("clip_g"), file, widthG);
    if (l.vectors.size(0) != g.vectors.size(0))
        throw models::WeightsError(what + " has " + std::to_string(l.vectors.size(0)) + " clip_l vectors but " +
                                   std::to_string(g.vectors.size(0)) + " clip_g vectors.");
    return {std::move(l), std::move(g)};
}

SdxlEmbeddings loadSdxlEmbeddings(const std::vector<fs::path>& dirs, int64_t widthL, int64_t widthG,
                                  std::vector<std::string>* problems)
{
    SdxlEmbeddings out;
    for (const auto& dir : dirs) {
        for (const auto& f : embeddingFiles(dir)) {
            if (lowerExtension(f) != ".safetensors") {
                if (problems) problems->push_back("The embedding file '" + f.string() + "' is not an SDXL embedding; skipped.");
                continue;
            }
            try {
                auto names = models::SafetensorsFile::open(f)->names();
                const bool sdxl = std::find(names.begin(), names.end(), "clip_l") != names.end() &&
                                  std::find(names.begin(), names.end(), "clip_g") != names.end();
                if (!sdxl) {  // an SD 1.x/2.x embedding beside SDXL ones: not for this model
                    if (problems) problems->push_back("The embedding file '" + f.string() + "' is not an SDXL embedding; skipped.");
                    continue;
                }
                auto [l, g] = loadSdxlEmbeddingFile(f, widthL, widthG);
                const std::string name = l.name;
                if (!out.clipL.add(std::move(l))) {
                    if (problems)
                        problems->push_back("The embedding file '" + f.string() + "' repeats the trigger '" + name + "' of '" +
                                            out.clipL.find(name)->file.string() + "'; it is ignored.");
                    continue;
                }
                out.clipG.add(std::move(g));
            } catch (const models::ModelError& err) {
                if (!problems) throw;
                problems->push_back(err.what());
            }
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Chunks

namespace {

struct EmbeddingCandidate {
    std::vector<int64_t> ids;
    const TextualInversion* embedding;
};

// first token id -> candidates, longest first (A1111's ids_lookup).
std::map<int64_t, std::vector<EmbeddingCandidate>> embeddingLookup(const models::ClipTokenizer& tokenizer,
                                                                   const EmbeddingDatabase* db)
{
    std::map<int64_t, std::vector<EmbeddingCandidate>> lookup;
    if (!db) return lookup;
    for (const auto& e : db->embeddings()) {
        auto ids = tokenizer.encodeUntruncated(e.name);
        if (ids.empty()) continue;
        auto& list = lookup[ids.front()];
        list.push_back({std::move(ids), &e});
        std::stable_sort(list.begin(), list.end(), [](const EmbeddingCandidate& a, const EmbeddingCandidate& b) {
            return a.ids.size() > b.ids.size();
        });
    }
    return lookup;
}

}  // namespace

TokenizedPrompt tokenizePromptA1111(const models::ClipTokenizer& tokenizer, const std::string& text,
                                    const EmbeddingDatabase* embeddings, int commaPaddingBacktrack)
{
    TokenizedPrompt out;
    out.parsed = parsePromptAttention(text);
    for (const auto& part : out.parsed) out.partTokens.push_back(tokenizer.encodeUntruncated(part.text));

    const int64_t idStart = tokenizer.bosId();
    const int64_t idEnd = tokenizer.eosId();
    // A1111: comma_token = vocab[',</w>'] (267 in the CLIP vocabulary).
    const auto commaIds = tokenizer.encodeUntruncated(",");
    const int64_t commaToken = commaIds.size() == 1 ? commaIds.front() : -1;
    const auto lookup = embeddingLookup(tokenizer, embeddings);

    PromptChunk chunk;
    std::vector<std::string>& used = out.usedEmbeddings;
    int64_t lastComma = -1;

    const auto nextChunk = [&](bool isLast) {
        if (isLast)
            out.tokenCount += static_cast<int>(chunk.tokens.size());
        else
            out.tokenCount += kChunkLength;
        const auto size = static_cast<int64_t>(chunk.tokens.size());
        if (size < kChunkLength) {
            chunk.tokens.insert(chunk.tokens.end(), static_cast<size_t>(kChunkLength - size), idEnd);
            chunk.multipliers.insert(chunk.multipliers.end(), static_cast<size_t>(kChunkLength - size), 1.0);
        }
        chunk.tokens.insert(chunk.tokens.begin(), idStart);
        chunk.tokens.push_back(idEnd);
        chunk.multipliers.insert(chunk.multipliers.begin(), 1.0);
        chunk.multipliers.push_back(1.0);
        lastComma = -1;
        out.chunks.push_back(std::move(chunk));
        chunk = PromptChunk();
    };

    for (size_t p = 0; p < out.parsed.size(); ++p) {
        const auto& part = out.parsed[p];
        const auto& tokens = out.partTokens[p];
        if (part.isBreak()) {
            nextChunk(false);
            continue;
        }
        const double weight = part.weight;
        size_t position = 0;
        while (position < tokens.size()) {
            const int64_t token = tokens[position];
            if (token == commaToken) {
                lastComma = static_cast<int64_t>(chunk.tokens.size());
            } else if (commaPaddingBacktrack != 0 && static_cast<int64_t>(chunk.tokens.size()) == kChunkLength &&
                       lastComma != -1 &&
                       static_cast<int64_t>(chunk.tokens.size()) - lastComma <= commaPaddingBacktrack) {
                const auto breakLocation = static_cast<size_t>(lastComma + 1);
                std::vector<int64_t> relocTokens(chunk.tokens.begin() + static_cast<std::ptrdiff_t>(breakLocation),
                                                 chunk.tokens.end());
                std::vector<double> relocMults(chunk.multipliers.begin() + static_cast<std::ptrdiff_t>(breakLocation),
                                               chunk.multipliers.end());
                // Embedding fixes past the break move along (A1111 leaves them behind, which
                // only matters for an embedding right after a comma at the chunk end).
                std::vector<EmbeddingFix> relocFixes;
                for (auto it = chunk.fixes.begin(); it != chunk.fixes.end();) {
                    if (it->offset >= breakLocation) {
                        relocFixes.push_back(*it);
                        relocFixes.back().offset -= breakLocation;
                        it = chunk.fixes.erase(it);
                    } else {
                        ++it;
                    }
                }
                chunk.tokens.resize(breakLocation);
                chunk.multipliers.resize(breakLocation);
                out.commaBacktrackRelocations.push_back({out.chunks.size(), relocTokens.size()});
                nextChunk(false);
                chunk.tokens = std::move(relocTokens);
                chunk.multipliers = std::move(relocMults);
                chunk.fixes = std::move(relocFixes);
            }

            if (static_cast<int64_t>(chunk.tokens.size()) == kChunkLength) nextChunk(false);

            const TextualInversion* embedding = nullptr;
            size_t embeddingTokens = 0;
            if (const auto it = lookup.find(token); it != lookup.end()) {
                for (const auto& cand : it->second) {
                    if (position + cand.ids.size() <= tokens.size() &&
                        std::equal(cand.ids.begin(), cand.ids.end(), tokens.begin() + static_cast<std::ptrdiff_t>(position))) {
                        embedding = cand.embedding;
                        embeddingTokens = cand.ids.size();
                        break;
                    }
                }
            }
            if (!embedding) {
                chunk.tokens.push_back(token);
                chunk.multipliers.push_back(weight);
                ++position;
                continue;
            }
            const auto vectors = static_cast<size_t>(embedding->vectors.size(0));
            if (chunk.tokens.size() + vectors > static_cast<size_t>(kChunkLength)) nextChunk(false);
            chunk.fixes.push_back({chunk.tokens.size(), embedding->name, embedding->vectors});
            chunk.tokens.insert(chunk.tokens.end(), vectors, 0);
            chunk.multipliers.insert(chunk.multipliers.end(), vectors, weight);
            position += embeddingTokens;
            if (std::find(used.begin(), used.end(), embedding->name) == used.end()) used.push_back(embedding->name);
        }
    }
    if (!chunk.tokens.empty() || out.chunks.empty()) nextChunk(true);
    return out;
}

torch::Tensor encoderInputIds(const models::ClipTokenizer& tokenizer, const TokenizedPrompt& prompt)
{
    const int64_t k = static_cast<int64_t>(prompt.chunks.size());
    auto ids = torch::empty({k, kChunkLength + 2}, torch::kLong);
    auto acc = ids.accessor<int64_t, 2>();
    const int64_t idEnd = tokenizer.eosId();
    const int64_t idPad = tokenizer.padId();
    for (int64_t c = 0; c < k; ++c) {
        const auto& tokens = prompt.chunks[static_cast<size_t>(c)].tokens;
        bool afterEnd = false;
        for (int64_t t = 0; t < kChunkLength + 2; ++t) {
            const int64_t id = tokens[static_cast<size_t>(t)];
            acc[c][t] = afterEnd && idPad != idEnd ? idPad : id;
            if (id == idEnd) afterEnd = true;
        }
    }
    return ids;
}

namespace {

// The text encoder with token embeddings replaced at the fixes (EmbeddingsWithFixes): the same
// computation as ClipTextModel::encode, whose embedding step takes ids only.
torch::Tensor encodeWithFixes(models::ClipTextModel& encoder, const torch::Tensor& ids,
                              const std::vector<EmbeddingFix>& fixes, int layers, bool finalNorm = true)
{
    auto& tm = encoder->text_model;
    const auto device = tm->final_layer_norm->weight.device();
    const auto idsOnDevice = ids.to(device, torch::kLong);
    auto tokenEmbeds = tm->embeddings->token_embedding(idsOnDevice);  // [1, T, D]
    const int64_t t = tokenEmbeds.size(1);
    const int64_t width = tokenEmbeds.size(2);
    for (const auto& fix : fixes) {
        if (fix.vectors.size(1) != width)
            throw models::WeightsError("The embedding '" + fix.name + "' has vectors of width " +
                                       std::to_string(fix.vectors.size(1)) + "; the text encoder expects width " +
                                       std::to_string(width) + ".");
        const int64_t start = static_cast<int64_t>(fix.offset) + 1;
        const int64_t len = std::min<int64_t>(t - start - 1, fix.vectors.size(0));
        if (len <= 0) continue;
        tokenEmbeds.index_put_({0, torch::indexing::Slice(start, start + len)},
                               fix.vectors.slice(0, 0, len).to(tokenEmbeds.options()));
    }
    const auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(device));
    auto h = tokenEmbeds + tm->embeddings->position_embedding(positions).unsqueeze(0);
    // The causal mask as ClipTextModel builds it: finfo(dtype).min above the diagonal.
    const auto dt = h.scalar_type();
    const double lowest = dt == torch::kFloat16    ? -65504.0
                          : dt == torch::kBFloat16 ? -3.3895313892515355e38
                          : dt == torch::kFloat64  ? std::numeric_limits<double>::lowest()
                                                   : static_cast<double>(std::numeric_limits<float>::lowest());
    const auto mask = torch::full({t, t}, lowest, h.options()).triu(1);
    for (int i = 0; i < layers; ++i) h = tm->encoder->typedLayers[static_cast<size_t>(i)]->forward(h, mask);
    return finalNorm ? tm->final_layer_norm(h) : h;
}

}  // namespace

namespace {

// Every chunk through `encodeOne` (ids [1, 77], the chunk) and A1111's "Original" emphasis.
template <typename EncodeOne>
torch::Tensor weightedChunks(const models::ClipTokenizer& tokenizer, const TokenizedPrompt& prompt,
                             torch::Tensor* unweighted, EncodeOne&& encodeOne)
{
    c10::InferenceMode guard;
    const auto ids = encoderInputIds(tokenizer, prompt);
    std::vector<torch::Tensor> zs, raw;
    for (size_t c = 0; c < prompt.chunks.size(); ++c) {
        const auto& chunk = prompt.chunks[c];
        const auto chunkIds = ids.slice(0, static_cast<int64_t>(c), static_cast<int64_t>(c) + 1);
        const torch::Tensor z = encodeOne(chunkIds, chunk);
        if (unweighted) raw.push_back(z);
        // Original emphasis in float32 (A1111's multipliers are a float32 tensor).
        std::vector<float> m(chunk.multipliers.begin(), chunk.multipliers.end());
        const auto mult = torch::from_blob(m.data(), {1, static_cast<int64_t>(m.size()), 1}, torch::kFloat32)
                              .clone()
                              .to(z.device());
        auto zf = z.to(torch::kFloat32);
        const auto originalMean = zf.mean();
        zf = zf * mult.expand(zf.sizes());
        const auto newMean = zf.mean();
        zf = zf * (originalMean / newMean);
        zs.push_back(zf.to(z.scalar_type()));
    }
    if (unweighted) *unweighted = torch::cat(raw, 1);
    return torch::cat(zs, 1);
}

}  // namespace

torch::Tensor encodeChunks(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                           const TokenizedPrompt& prompt, int clipSkip, torch::Tensor* unweighted)
{
    const int64_t numLayers = encoder->config().numHiddenLayers;
    if (clipSkip < 1 || clipSkip > numLayers)
        throw models::ConfigError("Clip skip " + std::to_string(clipSkip) + " is out of range: this text encoder has " +
                                  std::to_string(numLayers) + " layers, so it takes 1 to " + std::to_string(numLayers) +
                                  ".");
    return weightedChunks(tokenizer, prompt, unweighted, [&](const torch::Tensor& chunkIds, const PromptChunk& chunk) {
        return chunk.fixes.empty()
                   ? encoder->encode(chunkIds, clipSkip - 1)
                   : encodeWithFixes(encoder, chunkIds, chunk.fixes, static_cast<int>(numLayers) - (clipSkip - 1));
    });
}

// ---------------------------------------------------------------------------------------------
// Whole prompts

PromptConditioning encodePromptA1111(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                                     const std::string& prompt, const PromptEncodeOptions& options)
{
    PromptConditioning out;
    out.networks = extractExtraNetworks(prompt);
    out.loras = loraNetworks(out.networks.networks);
    out.tokens = tokenizePromptA1111(tokenizer, out.networks.text, options.embeddings, options.commaPaddingBacktrack);
    out.cond = encodeChunks(tokenizer, encoder, out.tokens, options.clipSkip);
    return out;
}

PromptConditioning encodePromptA1111(SdModel& model, const std::string& prompt, const PromptEncodeOptions& options)
{
    return encodePromptA1111(model.tokenizer(), model.textEncoder(), prompt, options);
}

torch::Tensor encodeEmptyChunk(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder, int clipSkip)
{
    return encodeChunks(tokenizer, encoder, tokenizePromptA1111(tokenizer, ""), clipSkip);
}

torch::Tensor padWithEmptyChunks(const torch::Tensor& cond, int64_t chunks, const torch::Tensor& emptyChunk)
{
    if (cond.dim() != 3 || cond.size(1) % (kChunkLength + 2) != 0)
        throw models::ConfigError("Prompt conditioning of shape " + c10::str(cond.sizes()) +
                                  " is not a whole number of 77-token chunks.");
    if (emptyChunk.dim() != 3 || emptyChunk.size(1) != kChunkLength + 2 || emptyChunk.size(2) != cond.size(2))
        throw models::ConfigError("The empty-prompt chunk of shape " + c10::str(emptyChunk.sizes()) +
                                  " does not fit conditioning of shape " + c10::str(cond.sizes()) + ".");
    const int64_t have = cond.size(1) / (kChunkLength + 2);
    if (chunks <= have) return cond;
    const auto pad = emptyChunk.to(cond.options()).repeat({cond.size(0), chunks - have, 1});
    return torch::cat({cond, pad}, 1);
}

void matchChunkCounts(torch::Tensor& cond, torch::Tensor& uncond, const torch::Tensor& emptyChunk)
{
    const int64_t chunks = std::max(cond.size(1), uncond.size(1)) / (kChunkLength + 2);
    cond = padWithEmptyChunks(cond, chunks, emptyChunk);
    uncond = padWithEmptyChunks(uncond, chunks, emptyChunk);
}

CfgConditioning encodeCfgPromptsA1111(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                                      const std::string& prompt, const std::string& negativePrompt,
                                      const PromptEncodeOptions& options)
{
    CfgConditioning out;
    out.positive = encodePromptA1111(tokenizer, encoder, prompt, options);
    out.negative = encodePromptA1111(tokenizer, encoder, negativePrompt, options);
    if (out.positive.cond.size(1) != out.negative.cond.size(1)) {
        const auto empty = encodeEmptyChunk(tokenizer, encoder, options.clipSkip);
        matchChunkCounts(out.positive.cond, out.negative.cond, empty);
    }
    return out;
}

}  // namespace inpaint::diffusion

// ---------------------------------------------------------------------------------------------
// SDXL

namespace inpaint::diffusion {

namespace {

// hidden_states[-fromEnd] of an SDXL text encoder, checked against its depth.
int checkedFromEnd(models::ClipTextModel& encoder, int clipSkip, const char* which)
{
    const int64_t layers = encoder->config().numHiddenLayers;
    if (clipSkip < 1 || clipSkip > layers)
        throw models::ConfigError("Clip skip " + std::to_string(clipSkip) + " is out of range for SDXL: its " + which +
                                  " text encoder has " + std::to_string(layers) + " layers, so it takes 1 to " +
                                  std::to_string(layers) + ".");
    return clipSkip + 1;
}

// The chunks of one SDXL encoder: hidden_states[-fromEnd], no final_layer_norm, weighted.
torch::Tensor sdxlChunks(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                         const TokenizedPrompt& prompt, int fromEnd)
{
    const int numLayers = static_cast<int>(encoder->config().numHiddenLayers);
    return weightedChunks(tokenizer, prompt, nullptr, [&](const torch::Tensor& chunkIds, const PromptChunk& chunk) {
        // hidden_states[-fromEnd] is the output of layer numLayers + 1 - fromEnd, before final_layer_norm.
        return chunk.fixes.empty() ? encoder->hiddenState(chunkIds, fromEnd)
                                   : encodeWithFixes(encoder, chunkIds, chunk.fixes, numLayers + 1 - fromEnd, false);
    });
}

// pooled_prompt_embeds: text_encoder_2's projected output for one chunk's ids [1, 77]; with
// textual-inversion fixes, from the encoder run with them in place (pooled at the position
// ClipTextModel picks: the highest id for legacy configs, else the first end-of-text id).
torch::Tensor pooledOf(models::ClipTextModel& encoder2, const torch::Tensor& ids, const std::vector<EmbeddingFix>& fixes = {})
{
    if (fixes.empty()) return encoder2->forward(ids).textEmbeds;
    const auto& cfg = encoder2->config();
    const torch::Tensor h = encodeWithFixes(encoder2, ids, fixes, static_cast<int>(cfg.numHiddenLayers), true);
    const torch::Tensor onDevice = ids.to(h.device(), torch::kLong);
    const torch::Tensor eos =
        cfg.eosTokenId == 2 ? onDevice.argmax(-1) : (onDevice == cfg.eosTokenId).to(torch::kInt).argmax(-1);
    const torch::Tensor pooled = h.index({torch::arange(h.size(0), eos.options()), eos});
    return models::nn::linear(encoder2->text_projection, pooled);
}

}  // namespace

SdxlConditioning encodePromptSdxlA1111(SdModel& model, const std::string& prompt, const PromptEncodeOptions& options)
{
    c10::InferenceMode guard;
    auto& enc1 = model.textEncoder();
    auto& enc2 = model.textEncoder2();
    const auto& tok1 = model.tokenizer();
    const auto& tok2 = model.tokenizer2();
    const int from1 = checkedFromEnd(enc1, options.clipSkip, "first");
    const int from2 = checkedFromEnd(enc2, options.clipSkip, "second");

    SdxlConditioning out;
    out.prompt.networks = extractExtraNetworks(prompt);
    out.prompt.loras = loraNetworks(out.prompt.networks.networks);
    out.prompt.tokens = tokenizePromptA1111(tok1, out.prompt.networks.text, options.embeddings, options.commaPaddingBacktrack);
    // The second tokenizer splits "!" off as its own token, so its chunks can differ.
    const TokenizedPrompt tokens2 =
        tokenizePromptA1111(tok2, out.prompt.networks.text, options.embeddings2, options.commaPaddingBacktrack);
    torch::Tensor z1 = sdxlChunks(tok1, enc1, out.prompt.tokens, from1);
    torch::Tensor z2 = sdxlChunks(tok2, enc2, tokens2, from2);
    if (z1.size(1) != z2.size(1)) {
        const int64_t chunks = std::max(z1.size(1), z2.size(1)) / (kChunkLength + 2);
        z1 = padWithEmptyChunks(z1, chunks, sdxlChunks(tok1, enc1, tokenizePromptA1111(tok1, ""), from1));
        z2 = padWithEmptyChunks(z2, chunks, sdxlChunks(tok2, enc2, tokenizePromptA1111(tok2, ""), from2));
    }
    out.cond = torch::cat({z1, z2.to(z1.scalar_type())}, 2);
    out.prompt.cond = out.cond;
    // A1111 takes the pooled output of the first chunk, before the emphasis.
    out.pooled = pooledOf(enc2, encoderInputIds(tok2, tokens2).slice(0, 0, 1), tokens2.chunks.front().fixes);
    return out;
}

SdxlConditioning encodePromptSdxl(SdModel& model, const std::string& prompt, int clipSkip)
{
    c10::InferenceMode guard;
    auto& enc1 = model.textEncoder();
    auto& enc2 = model.textEncoder2();
    const int from1 = checkedFromEnd(enc1, clipSkip, "first");
    const int from2 = checkedFromEnd(enc2, clipSkip, "second");
    const auto device = enc1->text_model->final_layer_norm->weight.device();
    const auto ids1 = torch::tensor(model.tokenizer().encode(prompt), torch::kInt64).unsqueeze(0).to(device);
    const auto ids2 = torch::tensor(model.tokenizer2().encode(prompt), torch::kInt64).unsqueeze(0).to(device);
    SdxlConditioning out;
    const auto h1 = enc1->hiddenState(ids1, from1);
    out.cond = torch::cat({h1, enc2->hiddenState(ids2, from2).to(h1.scalar_type())}, 2);
    out.prompt.cond = out.cond;
    out.pooled = pooledOf(enc2, ids2);
    return out;
}

SdxlConditioning zeroConditioning(const SdxlConditioning& like)
{
    SdxlConditioning z;
    z.cond = torch::zeros_like(like.cond);
    z.pooled = torch::zeros_like(like.pooled);
    z.prompt.cond = z.cond;
    return z;
}

SdxlCfgConditioning encodeCfgPromptsSdxl(SdModel& model, const std::string& prompt,
                                         const std::optional<std::string>& negativePrompt, bool a1111,
                                         const PromptEncodeOptions& options)
{
    SdxlCfgConditioning out;
    out.positive = a1111 ? encodePromptSdxlA1111(model, prompt, options) : encodePromptSdxl(model, prompt, options.clipSkip);
    // diffusers: a None negative prompt with force_zeros_for_empty_prompt conditions on zeros; A1111
    // zeroes an empty negative prompt the same way (sd_models_xl, force_zero_negative_prompt).
    const bool zeros = model.forceZerosForEmptyPrompt() && (!negativePrompt || (a1111 && negativePrompt->empty()));
    if (zeros) {
        out.negative = zeroConditioning(out.positive);
        if (out.positive.cond.size(1) > kChunkLength + 2) {
            // Longer prompts: A1111 zeroes the negative at its own length (one chunk) and pads it
            // with empty-prompt chunks, as any shorter conditioning.
            out.negative.cond = out.negative.cond.slice(1, 0, kChunkLength + 2);
            auto emptyChunk = encodePromptSdxlA1111(model, "", options).cond;
            out.negative.cond = padWithEmptyChunks(out.negative.cond, out.positive.cond.size(1) / (kChunkLength + 2), emptyChunk);
            out.negative.prompt.cond = out.negative.cond;
        }
        return out;
    }
    // diffusers 0.25.1 encodes the negative prompt at hidden_states[-2] whatever clip_skip is.
    out.negative = a1111 ? encodePromptSdxlA1111(model, negativePrompt.value_or(std::string()), options)
                         : encodePromptSdxl(model, negativePrompt.value_or(std::string()), 1);
    if (out.positive.cond.size(1) != out.negative.cond.size(1)) {
        const auto empty = encodePromptSdxlA1111(model, "", options).cond;
        matchChunkCounts(out.positive.cond, out.negative.cond, empty);
        out.positive.prompt.cond = out.positive.cond;
        out.negative.prompt.cond = out.negative.cond;
    }
    return out;
}

}  // namespace inpaint::diffusion
