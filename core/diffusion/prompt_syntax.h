// AUTOMATIC1111 (stable-diffusion-webui) prompt syntax, without torch: the attention/emphasis
// parser (modules/prompt_parser.py parse_prompt_attention, with BREAK) and the extra-network tags
// `<kind:arg:arg...>` (modules/extra_networks.py parse_prompt, ExtraNetworkParams; the LoRA view of
// extensions-builtin/Lora/extra_networks_lora.py). Rules, as A1111 applies them:
//
//   (x)      weight of x times 1.1          [x]      times 1/1.1
//   (x:w)    times w (w = [+-]?[.0-9]+, spaces allowed around it); nesting multiplies
//   \( \) \[ \] \\   literal characters; a lone backslash is dropped
//   an unclosed ( or [ applies to the end of the prompt (all '(' first, then all '[');
//   an unmatched ) or ], a ':' and a ':w)' without an open '(' are plain text
//   BREAK    (the whole word, surrounding whitespace eaten) ends the 75-token chunk; only outside
//            brackets: inside, its weight is multiplied and it is the plain word "break"
//   adjacent parts with equal weights are merged; an empty prompt is one part ("", 1.0)
//
// Not supported (as in the INDEX of the goldens): prompt editing [a:b:N], alternation [a|b], AND.
// Python's \w / \s / \b are Unicode-aware: letters, numbers and '_' are word characters and
// str.isspace() whitespace is whitespace. Weights are parsed from ASCII digits only (Python's \d
// also takes other scripts' decimal digits).
#pragma once

#include "models/errors.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace inpaint::diffusion {

// A prompt the A1111 rules reject: a weight such as "(x:1.2.3)" that Python's float() refuses, a
// LoRA tag without a name or with a multiplier that is not a number. what() names the text.
class PromptError : public models::ModelError {
public:
    using models::ModelError::ModelError;
};

struct PromptPart {
    std::string text;  // UTF-8, as written (escapes resolved)
    double weight = 1.0;
    // A chunk break: text "BREAK" with weight exactly -1 (A1111's marker; a BREAK inside brackets
    // has its weight multiplied and is tokenized as text).
    bool isBreak() const { return text == "BREAK" && weight == -1.0; }
    bool operator==(const PromptPart&) const = default;
};

// parse_prompt_attention(text), float64 weights computed in the same order as Python's.
// Throws PromptError for a bracket weight Python's float() rejects ("(x:1.2.3)", "(x:.)").
std::vector<PromptPart> parsePromptAttention(const std::string& text);

// One extra-network tag <kind:items>: items split on ':'; an item with exactly one '=' is a named
// argument (key=value), any other is positional.
struct ExtraNetwork {
    std::string kind;                                       // "lora", "hypernet", ...
    std::vector<std::string> items;                         // every ':'-separated item, in order
    std::vector<std::string> positional;
    std::vector<std::pair<std::string, std::string>> named;  // in first-appearance order; a
                                                             // repeated key keeps its place, last value wins
    const std::string* namedValue(const std::string& key) const;
};

struct ExtractedNetworks {
    std::string text;                   // the prompt with every tag replaced by ""
    std::vector<ExtraNetwork> networks;  // in the order they appear
};

// parse_prompt: re.sub(r"<(\w+):([^>]+)>", ...) over the whole prompt.
ExtractedNetworks extractExtraNetworks(const std::string& prompt);

// The LoRA reading of a "lora" tag: name = positional[0]; te = positional[1] or 1.0, named "te"
// wins; unet = positional[2] or te, named "unet" wins; dyn = positional[3] or none, named "dyn"
// wins. Numbers as Python's float()/int() read them (surrounding spaces, '_' between digits, inf,
// nan). Throws PromptError for a tag without a positional name or with a bad number.
struct LoraNetwork {
    std::string name;
    double te = 1.0;
    double unet = 1.0;
    std::optional<int64_t> dyn;
};
LoraNetwork loraFromExtraNetwork(const ExtraNetwork& network);
// Every "lora" tag of `networks`, in order.
std::vector<LoraNetwork> loraNetworks(const std::vector<ExtraNetwork>& networks);

// Python float(str) / int(str) (ASCII): nullopt when Python would raise ValueError.
std::optional<double> parsePythonFloat(const std::string& text);
std::optional<int64_t> parsePythonInt(const std::string& text);

}  // namespace inpaint::diffusion
