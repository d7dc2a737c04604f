// inpaint-cli encode --model DIR|FILE --prompt TEXT --out FILE.safetensors [--clip-skip N]
// [--embeddings-dir DIR]...: the AUTOMATIC1111-style conditioning of one prompt (attention
// weights, BREAK, 75-token chunks, textual-inversion embeddings) written as tensor `cond`
// [1, 77 * chunks, D] (float32). Extra-network tags (<lora:name:te:unet>, <hypernet:...>) are
// removed from the text and listed on stderr ("lora: name te=.. unet=.."); nothing is loaded.
// stdout: one JSON line (chunks, token_count, shape, embeddings used, output file).
// SDXL: `cond` is both encoders' penultimate (or clip-skipped) hidden states concatenated
// [1, 77 * chunks, D1 + D2] and `pooled` the second encoder's projected output [1, P]
// (prompt_embeds and pooled_prompt_embeds of diffusers' encode_prompt).
#include "app/cli/args.h"
#include "app/cli/commands.h"

#include "core/diffusion/prompt_conditioning.h"
#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/errors.h"
#include "models/io/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

namespace inpaint::cli {

namespace {

std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

int cmdEncode(const Args& args)
{
    ArgParser p("encode");
    p.option("--model", "DIR|FILE", "a diffusers model folder or a single-file checkpoint (its tokenizer and text "
                                    "encoder are used)")
        .option("--original-config", "YAML", "single file: the LDM .yaml to use (default: <stem>.yaml beside it)")
        .option("--config", "DIR", "single file: take the configs (text encoder, tokenizer) from this diffusers folder")
        .option("--prompt", "TEXT", "the prompt, in AUTOMATIC1111 syntax")
        .option("--out", "FILE", "output .safetensors file (tensor 'cond')")
        .option("--clip-skip", "N", "AUTOMATIC1111 'Clip skip': 1 = last layer (default), 2 = penultimate, ...", "1")
        .repeatable("--embeddings-dir", "DIR", "textual-inversion embeddings folder (trigger = file stem); repeatable")
        .flag("--help", "this text");
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli encode --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--model", "--prompt", "--out"}, &problem)) return printError(problem, kExitUsage);
    int clipSkip = 1;
    if (!p.intValue("--clip-skip", 1, 64, &clipSkip, &problem)) return printError(problem, kExitUsage);
    const std::filesystem::path out = p.value("--out");

    try {
        diffusion::ModelLoadOptions options;
        options.singleFile.originalConfig = p.value("--original-config");
        options.singleFile.configDir = p.value("--config");
        auto model = diffusion::SdModel::load(p.value("--model"), options);
        std::vector<std::filesystem::path> dirs;
        for (const auto& d : p.values("--embeddings-dir")) dirs.emplace_back(d);
        diffusion::EmbeddingDatabase embeddings;
        diffusion::SdxlEmbeddings sdxlEmbeddings;
        const bool sdxl = model->isSdxl();
        if (!dirs.empty()) {
            if (sdxl)
                sdxlEmbeddings = diffusion::loadSdxlEmbeddings(dirs, model->textEncoder()->config().hiddenSize,
                                                               model->textEncoder2()->config().hiddenSize);
            else
                embeddings = diffusion::loadEmbeddings(dirs, model->textEncoder()->config().hiddenSize);
        }

        diffusion::PromptEncodeOptions encodeOptions;
        encodeOptions.clipSkip = clipSkip;
        encodeOptions.embeddings = sdxl ? &sdxlEmbeddings.clipL : &embeddings;
        encodeOptions.embeddings2 = sdxl ? &sdxlEmbeddings.clipG : nullptr;
        diffusion::PromptConditioning result;
        std::map<std::string, torch::Tensor> tensors;
        if (sdxl) {
            auto xl = diffusion::encodePromptSdxlA1111(*model, p.value("--prompt"), encodeOptions);
            tensors["pooled"] = xl.pooled.to(torch::kCPU, torch::kFloat32).contiguous();
            result = std::move(xl.prompt);
        } else {
            result = diffusion::encodePromptA1111(*model, p.value("--prompt"), encodeOptions);
        }
        const auto cond = result.cond.to(torch::kCPU, torch::kFloat32).contiguous();
        tensors["cond"] = cond;
        models::saveSafetensors(out, tensors, {{"prompt", p.value("--prompt")}});

        std::string notes;
        for (const auto& l : result.loras) {
            notes += "lora: " + l.name + " te=" + number(l.te) + " unet=" + number(l.unet);
            if (l.dyn) notes += " dyn=" + std::to_string(*l.dyn);
            notes += '\n';
        }
        for (const auto& n : result.networks.networks)
            if (n.kind != "lora") notes += n.kind + ": " + (n.items.empty() ? std::string() : n.items.front()) + " (ignored)\n";
        std::fputs(notes.c_str(), stderr);

        nlohmann::json j;
        j["out"] = out.string();
        j["chunks"] = result.tokens.chunks.size();
        j["token_count"] = result.tokens.tokenCount;
        j["shape"] = std::vector<int64_t>(cond.sizes().begin(), cond.sizes().end());
        j["clip_skip"] = clipSkip;
        j["embeddings_loaded"] = sdxl ? sdxlEmbeddings.clipL.size() : embeddings.size();
        j["family"] = models::familyName(model->kind());
        if (sdxl) j["pooled_shape"] = tensors["pooled"].sizes().vec();
        j["embeddings_used"] = result.tokens.usedEmbeddings;
        std::fputs((j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n").c_str(), stdout);
        return kExitOk;
    } catch (const models::ModelError& e) {
        return printError(e.what(), kExitFailure);
    } catch (const std::exception& e) {
        return printError(std::string("encode failed: ") + e.what(), kExitFailure);
    }
}

}  // namespace inpaint::cli
