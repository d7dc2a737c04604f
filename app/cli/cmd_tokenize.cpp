// inpaint-cli tokenize --model DIR TEXT...: the CLIP token ids the text encoder gets for each
// TEXT (bos, ids truncated to 75, eos, padded to 77 with the model's pad token), one JSON array
// per line. The tokenizer comes from DIR/tokenizer (bundled vocabulary if its files are absent).
#include "app/cli/args.h"
#include "app/cli/commands.h"

#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"

#include <nlohmann/json.hpp>

#include <cstdio>

namespace inpaint::cli {

int cmdTokenize(const Args& args)
{
    ArgParser p("tokenize");
    p.option("--model", "DIR", "a diffusers model folder; its tokenizer/ folder is used")
        .flag("--tokens", "print the BPE token strings instead of ids (no bos/eos/padding)")
        .flag("--help", "this text")
        .positionals("TEXT", "prompts to tokenize (use -- before a prompt that starts with '-')");
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli tokenize --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--model"}, &problem)) return printError(problem, kExitUsage);
    if (p.positionalValues().empty()) return printError("tokenize needs at least one TEXT.", kExitUsage);

    try {
        const auto tok = models::loadClipTokenizer(p.value("--model"));
        std::string out;
        for (const auto& text : p.positionalValues()) {
            const nlohmann::json line = p.has("--tokens") ? nlohmann::json(tok.tokenize(text)) : nlohmann::json(tok.encode(text));
            out += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            out += '\n';
        }
        std::fputs(out.c_str(), stdout);
        return kExitOk;
    } catch (const models::ModelError& e) {
        return printError(e.what(), kExitFailure);
    } catch (const std::exception& e) {
        return printError(std::string("tokenize failed: ") + e.what(), kExitFailure);
    }
}

}  // namespace inpaint::cli
