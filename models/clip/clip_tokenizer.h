// CLIP tokenizer equal to transformers' slow CLIPTokenizer as Stable Diffusion pipelines use it
// (transformers 4.36, without ftfy): added-token splitting, BasicTokenizer clean-up (control
// characters removed, CJK ideographs split, NFC, whitespace split, lower-case, accents kept), the
// CLIP regex split, byte-level BPE with "</w>", BOS/EOS, truncation and padding to 77.
// Mirrors transformers/models/clip/tokenization_clip.py and the parts of
// tokenization_utils(.py/_base.py) it relies on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace inpaint::models {

class ClipTokenizer {
public:
    // Special tokens and limits, as read from tokenizer_config.json / special_tokens_map.json.
    struct Specials {
        std::string bos = "<|startoftext|>";
        std::string eos = "<|endoftext|>";
        std::string unk = "<|endoftext|>";
        std::string pad = "<|endoftext|>";
        std::vector<std::string> extraAdded;  // further added tokens (added_tokens_decoder)
        int modelMaxLength = 77;
    };

    // Loads <dir>/vocab.json and <dir>/merges.txt (or the bundled CLIP vocabulary when the folder
    // lacks them) and the special tokens from tokenizer_config.json / special_tokens_map.json
    // (special_tokens_map.json wins, as in transformers' legacy loading path, unless the config has
    // an added_tokens_decoder). Throws FormatError/ConfigError with the file named.
    static ClipTokenizer fromFolder(const std::filesystem::path& dir);
    // The bundled CLIP vocabulary with SD 1.x special tokens.
    static ClipTokenizer bundled();
    // From file contents (vocab.json text, merges.txt text). Throws FormatError on an empty or
    // malformed vocabulary, or when a special token is not in it.
    static ClipTokenizer fromData(const std::string& vocabJson, const std::string& mergesText, const Specials& specials,
                                  const std::string& whatForErrors);

    // BPE tokens of `text` without BOS/EOS (added tokens appear verbatim).
    std::vector<std::string> tokenize(const std::string& text) const;
    // Ids of `text` without BOS/EOS and without truncation.
    std::vector<int64_t> encodeUntruncated(const std::string& text) const;
    // BOS + at most maxLength-2 ids + EOS, padded with the pad id to maxLength (default: the
    // config's model_max_length, 77): what SD pipelines feed the text encoder.
    std::vector<int64_t> encode(const std::string& text, int maxLength = -1) const;

    int64_t bosId() const;
    int64_t eosId() const;
    int64_t padId() const;
    int64_t unkId() const;
    int maxLength() const;
    size_t vocabSize() const;
    bool usesBundledVocabulary() const;
    // Token string of an id ("" if unknown).
    std::string idToToken(int64_t id) const;

    struct Impl;
private:
    static ClipTokenizer fromModel(std::shared_ptr<const void> model, const Specials& specials, const std::string& what,
                                   bool isBundled);
    std::shared_ptr<const Impl> m_impl;
};

// The tokenizer of a diffusers model folder: <modelRoot>/tokenizer when that folder exists
// (bundled vocabulary if it lacks vocab.json/merges.txt), else the bundled SD 1.x tokenizer.
ClipTokenizer loadClipTokenizer(const std::filesystem::path& modelRoot);

// The CLIP vocabulary compiled into the library (resources/clip/vocab.json, merges.txt).
std::string bundledClipVocabJson();
std::string bundledClipMerges();

}  // namespace inpaint::models
