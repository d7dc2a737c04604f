// inpaint-cli convert --model FILE --out DIR: writes a single-file checkpoint as a diffusers
// folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/), with the weights
// renamed exactly as the loader renames them and in the file's own dtype. The folder is built
// beside DIR under a temporary name and renamed into place, so a failure leaves nothing behind.
#include "app/cli/args.h"
#include "app/cli/commands.h"

#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "models/io/single_file.h"
#include "models/vae/autoencoder_kl.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace inpaint::cli {

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw models::ModelError("cannot write '" + path.string() + "'");
}

void writeJson(const fs::path& path, const nlohmann::json& j) { writeText(path, j.dump(2) + "\n"); }

}  // namespace

int cmdConvert(const Args& args)
{
    ArgParser p("convert");
    p.option("--model", "FILE", "a single-file checkpoint (.safetensors or .ckpt)")
        .option("--out", "DIR", "the diffusers folder to write (must not exist)")
        .option("--original-config", "YAML", "the LDM .yaml to use (default: <stem>.yaml beside the file)")
        .option("--config", "DIR", "take the configs from this diffusers folder")
        .option("--prediction-type", "TYPE", "epsilon or v_prediction (default: from the config)")
        .flag("--ema", "write the EMA UNet weights")
        .option("--vae", "FILE|DIR", "write this VAE instead of the file's own")
        .flag("--help", "this text");
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli convert --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--model", "--out"}, &problem)) return printError(problem, kExitUsage);
    const fs::path out = p.value("--out");
    std::error_code ec;
    if (fs::exists(out, ec)) return printError("convert: '" + out.string() + "' exists; pick a new folder name", kExitUsage);

    models::SingleFileOptions o;
    o.originalConfig = p.value("--original-config");
    o.configDir = p.value("--config");
    if (p.has("--prediction-type")) o.predictionType = p.value("--prediction-type");
    o.ema = p.has("--ema");
    fs::path tmp = out;
    tmp += ".partial-" + std::to_string(std::random_device{}());
    try {
        const auto file = models::SingleFileCheckpoint::open(p.value("--model"), o);
        const auto unet = file.unet();
        auto vae = file.vae();
        if (p.has("--vae")) vae = models::loadVaeSource(p.value("--vae"), vae.config, vae.configWhat);
        const auto text = file.textEncoder();
        const bool inpaint = file.info().inChannels == 9;

        nlohmann::json index = {
            {"_class_name", inpaint ? "StableDiffusionInpaintPipeline" : "StableDiffusionPipeline"},
            {"_diffusers_version", "0.25.1"},
            {"unet", {"diffusers", "UNet2DConditionModel"}},
            {"vae", {"diffusers", "AutoencoderKL"}},
            {"text_encoder", {"transformers", "CLIPTextModel"}},
            {"tokenizer", {"transformers", "CLIPTokenizer"}},
            {"scheduler", {"diffusers", file.schedulerConfig().value("_class_name", std::string("PNDMScheduler"))}},
            {"safety_checker", {nullptr, nullptr}},
            {"feature_extractor", {nullptr, nullptr}},
            {"requires_safety_checker", false},
        };
        writeJson(tmp / "model_index.json", index);
        writeJson(tmp / "unet" / "config.json", unet.config);
        models::saveSafetensors(tmp / "unet" / "diffusion_pytorch_model.safetensors", unet.weights);
        writeJson(tmp / "vae" / "config.json", vae.config);
        models::saveSafetensors(tmp / "vae" / "diffusion_pytorch_model.safetensors",
                                models::AutoencoderKLImpl::convertLegacyKeys(vae.weights));
        nlohmann::json te = text.config;
        te["architectures"] = {"CLIPTextModel"};
        te["model_type"] = "clip_text_model";
        writeJson(tmp / "text_encoder" / "config.json", te);
        auto teWeights = text.weights;
        teWeights.erase("text_model.embeddings.position_ids");
        models::saveSafetensors(tmp / "text_encoder" / "model.safetensors", teWeights);
        writeJson(tmp / "scheduler" / "scheduler_config.json", file.schedulerConfig());
        if (!file.tokenizerDir().empty()) {
            fs::create_directories(tmp / "tokenizer");
            for (const auto& e : fs::directory_iterator(file.tokenizerDir()))
                if (e.is_regular_file()) fs::copy_file(e.path(), tmp / "tokenizer" / e.path().filename());
        } else {
            writeText(tmp / "tokenizer" / "vocab.json", models::bundledClipVocabJson());
            writeText(tmp / "tokenizer" / "merges.txt", models::bundledClipMerges());
            writeJson(tmp / "tokenizer" / "tokenizer_config.json",
                      {{"tokenizer_class", "CLIPTokenizer"}, {"model_max_length", 77}, {"bos_token", "<|startoftext|>"},
                       {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"}, {"pad_token", file.tokenizerPad()},
                       {"do_lower_case", true}});
        }
        fs::rename(tmp, out);
        std::printf("%s\n", nlohmann::json({{"model", p.value("--model")}, {"out", out.string()},
                                             {"kind", models::toString(file.kind())},
                                             {"configs", file.configSource()},
                                             {"prediction_type", file.predictionType()}, {"ema", file.emaUsed()}})
                                .dump(2).c_str());
        return kExitOk;
    } catch (const std::exception& e) {
        fs::remove_all(tmp, ec);
        return printError(std::string("convert: ") + e.what(), kExitFailure);
    }
}

}  // namespace inpaint::cli
