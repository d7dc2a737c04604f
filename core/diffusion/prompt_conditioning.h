// AUTOMATIC1111 prompt conditioning on the CLIP text encoder (modules/sd_hijack_clip.py
// TextConditionalModel / FrozenCLIPEmbedderWithCustomWords, modules/sd_emphasis.py "Original",
// modules/textual_inversion): prompts of any length in 75-token chunks, attention weights,
// BREAK, CLIP skip and textual-inversion embeddings. Torch, no Qt.
//
//   tokens:  every parsed part (prompt_syntax.h) is tokenized without BOS/EOS and without
//            truncation; tokens fill chunks of 75; when a chunk is full and the last comma is at
//            most `commaPaddingBacktrack` (20) tokens back, the tokens after it move to the next
//            chunk; BREAK closes the chunk. Each chunk = [BOS] + 75 (padded with EOS) + [EOS],
//            padding multiplier 1.0. A textual-inversion trigger found in a part's tokens is
//            replaced by the embedding's n vectors, which count as n tokens (id 0 in the chunk).
//   encoder: ids with everything after the first EOS replaced by the tokenizer's pad id when that
//            differs from EOS (SD 2.x tokenizers pad with "!", id 0); CLIP skip N (A1111's "Clip
//            skip"): N = 1 last_hidden_state, N >= 2 hidden_states[-N] through final_layer_norm.
//   weights: per chunk, m0 = z.mean(); z *= multiplier (per token); z *= m0 / z.mean() (float32).
//   result:  chunks concatenated on the token axis: cond [1, 77 * chunks, D].
#pragma once

#include "core/diffusion/prompt_syntax.h"

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace inpaint::models {
class ClipTokenizer;
class ClipTextModel;
}  // namespace inpaint::models

namespace inpaint::diffusion {

class SdModel;

// ---------------------------------------------------------------------------------------------
// Textual inversion

struct TextualInversion {
    std::string name;             // the trigger: the file stem ("tiny-token" for tiny-token.pt)
    std::filesystem::path file;
    torch::Tensor vectors;        // [n, D] float32, CPU
};

class EmbeddingDatabase {
public:
    // False (and nothing added) when an embedding of that name is already there: the first one
    // loaded wins, as A1111's lookup keeps the first registered of equal token length.
    bool add(TextualInversion embedding);
    const std::vector<TextualInversion>& embeddings() const { return m_embeddings; }
    const TextualInversion* find(const std::string& name) const;
    bool empty() const { return m_embeddings.empty(); }
    size_t size() const { return m_embeddings.size(); }

private:
    std::vector<TextualInversion> m_embeddings;
};

// One embedding file: .safetensors with one tensor (`emb_params` [n, D], or a diffusers
// learned_embeds with one [D] / [n, D] tensor); `.pt` / `.bin` torch.save dicts read without
// executing anything (models/io/torch_checkpoint.h): A1111's string_to_param {'*': [n, D]} or one
// {token: tensor}. SDXL (clip_g/clip_l) files are refused here (loadSdxlEmbeddingFile reads them). expectedWidth > 0: the text encoder's
// hidden size; a file of another width is a models::WeightsError naming the file, its width and
// the expected width. Other failures are models::FormatError / WeightsError with the file named.
TextualInversion loadEmbeddingFile(const std::filesystem::path& file, int64_t expectedWidth);

// Every *.safetensors / *.pt / *.bin under each folder (recursively, sorted by path); trigger =
// file stem. A missing folder is a models::ConfigError. A bad file throws, unless `problems` is
// given: then it is skipped and one sentence per skipped file is appended there (also for a
// repeated trigger name).
EmbeddingDatabase loadEmbeddings(const std::vector<std::filesystem::path>& dirs, int64_t expectedWidth,
                                 std::vector<std::string>* problems = nullptr);

// SDXL embeddings: a .safetensors with `clip_l` [n, D1] (the first text encoder's vectors) and
// `clip_g` [n, D2] (the second's), as A1111 and kohya write them; the trigger is the file stem.
// Both widths are checked (a models::WeightsError names the file and both widths).
struct SdxlEmbeddings {
    EmbeddingDatabase clipL, clipG;  // the same triggers in the same order
};
std::pair<TextualInversion, TextualInversion> loadSdxlEmbeddingFile(const std::filesystem::path& file, int64_t widthL,
                                                                    int64_t widthG);
// Every *.safetensors under the folders (as loadEmbeddings). Files that are not SDXL embeddings
// (SD 1.x/2.x ones, .pt files) are skipped with one sentence each in `problems` (when given); a
// broken SDXL file throws unless `problems` is given.
SdxlEmbeddings loadSdxlEmbeddings(const std::vector<std::filesystem::path>& dirs, int64_t widthL, int64_t widthG,
                                  std::vector<std::string>* problems = nullptr);

// ---------------------------------------------------------------------------------------------
// Chunks

inline constexpr int kChunkLength = 75;  // tokens per chunk between BOS and EOS

struct EmbeddingFix {
    size_t offset = 0;      // index in the chunk's 75 tokens (the vectors go to offset + 1 .. after BOS)
    std::string name;
    torch::Tensor vectors;  // [n, D] float32
};

struct PromptChunk {
    std::vector<int64_t> tokens;      // 77: BOS, 75 (EOS padded; 0 where an embedding sits), EOS
    std::vector<double> multipliers;  // 77, the parsed weights (1.0 for BOS/EOS/padding)
    std::vector<EmbeddingFix> fixes;
};

struct TokenizedPrompt {
    std::vector<PromptPart> parsed;                 // parsePromptAttention of the tag-free text
    std::vector<std::vector<int64_t>> partTokens;   // tokens of each parsed part (a BREAK part too)
    std::vector<PromptChunk> chunks;                // at least one
    int tokenCount = 0;  // A1111's count: 75 per closed chunk + the tokens of the last one
    struct Relocation {
        size_t chunk = 0;        // the chunk that was closed early
        size_t movedTokens = 0;  // tokens after its last comma, moved to the next chunk
    };
    std::vector<Relocation> commaBacktrackRelocations;
    std::vector<std::string> usedEmbeddings;        // trigger names found, in order of first use
};

struct PromptEncodeOptions {
    int clipSkip = 1;                   // A1111 "Clip skip": 1 = last layer, 2 = penultimate, ...
    int commaPaddingBacktrack = 20;     // 0 = off
    const EmbeddingDatabase* embeddings = nullptr;
    const EmbeddingDatabase* embeddings2 = nullptr;  // SDXL: the second encoder's (clip_g), same triggers
};

// Parses (attention syntax; extra-network tags must already be removed) and chunks `text`.
TokenizedPrompt tokenizePromptA1111(const models::ClipTokenizer& tokenizer, const std::string& text,
                                    const EmbeddingDatabase* embeddings = nullptr, int commaPaddingBacktrack = 20);

// The ids the encoder gets for a chunk: after the first EOS everything becomes the pad id when
// the tokenizer's pad differs from EOS (SD 2.x); otherwise the chunk's own tokens. [k, 77] int64.
torch::Tensor encoderInputIds(const models::ClipTokenizer& tokenizer, const TokenizedPrompt& prompt);

// Encodes the chunks: cond [1, 77k, D] in the encoder's dtype and device; `unweighted` (if given)
// receives the same before the emphasis. Throws models::ConfigError for a clip skip out of range
// (1 .. number of layers) and models::WeightsError for an embedding of the wrong width.
torch::Tensor encodeChunks(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                           const TokenizedPrompt& prompt, int clipSkip = 1, torch::Tensor* unweighted = nullptr);

// ---------------------------------------------------------------------------------------------
// Whole prompts

struct PromptConditioning {
    torch::Tensor cond;             // [1, 77 * chunks, D]
    TokenizedPrompt tokens;
    ExtractedNetworks networks;     // the <kind:...> tags, removed from the text before parsing
    std::vector<LoraNetwork> loras; // the "lora" tags read as LoRA (not applied here)
};

// Tags removed (extractExtraNetworks), attention parsed, chunked, encoded, weighted.
// Throws PromptError for bad syntax (a weight that is not a number, a LoRA tag without name).
PromptConditioning encodePromptA1111(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                                     const std::string& prompt, const PromptEncodeOptions& options = {});
PromptConditioning encodePromptA1111(SdModel& model, const std::string& prompt,
                                     const PromptEncodeOptions& options = {});

// The empty prompt's conditioning [1, 77, D] (A1111's cond_stage_model_empty_prompt): what the
// shorter of cond/uncond is padded with.
torch::Tensor encodeEmptyChunk(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder, int clipSkip = 1);

// `cond` [B, 77k, D] with empty-prompt chunks appended up to `chunks` chunks (A1111 pad_cond).
torch::Tensor padWithEmptyChunks(const torch::Tensor& cond, int64_t chunks, const torch::Tensor& emptyChunk);
// Pads the shorter of the two so both have the same number of chunks (for one batched CFG pass).
void matchChunkCounts(torch::Tensor& cond, torch::Tensor& uncond, const torch::Tensor& emptyChunk);

struct CfgConditioning {
    PromptConditioning positive;    // .cond padded to the common length
    PromptConditioning negative;    // .cond padded to the common length
};
// Both prompts encoded with the same options, then matchChunkCounts. The negative prompt's
// extra-network tags are removed and listed like the positive's (A1111 applies only the
// positive prompt's networks).
CfgConditioning encodeCfgPromptsA1111(const models::ClipTokenizer& tokenizer, models::ClipTextModel& encoder,
                                      const std::string& prompt, const std::string& negativePrompt,
                                      const PromptEncodeOptions& options = {});

// ---------------------------------------------------------------------------------------------
// SDXL (StableDiffusionXL*Pipeline.encode_prompt): each text encoder on its own tokenization
// (tokenizer_2 pads with "!" and splits "!" off), hidden_states[-(clipSkip + 1)] of both without
// final_layer_norm, concatenated on the feature axis: clip skip 1 is diffusers' default
// (hidden_states[-2]), 2 is diffusers' clip_skip=1. The pooled embedding is text_encoder_2's
// projected output (text_embeds). Textual-inversion embeddings (options.embeddings = clip_l,
// options.embeddings2 = clip_g) replace the trigger's token embeddings in each encoder; the pooled
// output is taken with them in place, as A1111 does.

struct SdxlConditioning {
    torch::Tensor cond;          // [1, 77k, D1 + D2] (prompt_embeds)
    torch::Tensor pooled;        // [1, projection_dim] (pooled_prompt_embeds)
    PromptConditioning prompt;   // the first tokenizer's chunks, the tags and LoRAs; .cond = cond
};

// A1111 syntax on both encoders (weights, BREAK, 75-token chunks; the shorter encoder's chunks
// padded with its empty prompt), pooled from the first chunk before the emphasis, as A1111.
SdxlConditioning encodePromptSdxlA1111(SdModel& model, const std::string& prompt, const PromptEncodeOptions& options = {});
// diffusers' encode_prompt for one prompt: plain text truncated at 77 tokens.
SdxlConditioning encodePromptSdxl(SdModel& model, const std::string& prompt, int clipSkip = 1);
SdxlConditioning zeroConditioning(const SdxlConditioning& like);

struct SdxlCfgConditioning {
    SdxlConditioning positive, negative;  // .cond of the same length
};
// Both halves of classifier-free guidance. The negative is zeros (prompt embeddings and pooled)
// when the model's force_zeros_for_empty_prompt holds and the negative prompt is None, or, with
// a1111, empty; otherwise it is encoded (the diffusers path at hidden_states[-2] whatever the clip
// skip, as diffusers 0.25.1 does).
SdxlCfgConditioning encodeCfgPromptsSdxl(SdModel& model, const std::string& prompt,
                                         const std::optional<std::string>& negativePrompt, bool a1111,
                                         const PromptEncodeOptions& options = {});

}  // namespace inpaint::diffusion
