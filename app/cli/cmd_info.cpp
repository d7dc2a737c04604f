// inpaint-cli info --model DIR: describes a diffusers model folder as one JSON object on stdout
// (pipeline class, detected kind, UNet in_channels, default scheduler, and per component its
// class, weight files, parameter count and dtypes). Counts come from the safetensors headers, so
// nothing is built or copied: a full-size model is described in milliseconds.
#include "app/cli/args.h"
#include "app/cli/commands.h"

#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"
#include "models/io/single_file.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

namespace inpaint::cli {

namespace {

using models::DiffusersFolder;

// Weights of a neural-network component: files, parameter count, dtypes.
nlohmann::json describeWeights(const DiffusersFolder& folder, const std::string& name)
{
    nlohmann::json j;
    const auto wf = folder.weightFiles(name);
    nlohmann::json files = nlohmann::json::array();
    for (const auto& f : wf.files) files.push_back(f.filename().string());
    j["weights"] = files;
    j["fp16_variant"] = wf.fp16Variant;
    if (!wf.index.empty()) j["index"] = wf.index.filename().string();
    int64_t params = 0, tensors = 0, bytes = 0;
    std::map<std::string, int64_t> dtypes;
    for (const auto& file : folder.openWeights(name)) {
        for (const auto& n : file->names()) {
            // transformers < 4.31 saved CLIP's position_ids buffer; it is not a parameter.
            if (n == "text_model.embeddings.position_ids") continue;
            const auto& info = file->info(n);
            int64_t numel = 1;
            for (auto d : info.shape) numel *= d;
            params += numel;
            bytes += static_cast<int64_t>(info.end - info.begin);
            dtypes[info.dtype] += numel;
            ++tensors;
        }
    }
    j["parameters"] = params;
    j["tensors"] = tensors;
    j["bytes"] = bytes;
    j["dtypes"] = dtypes;
    return j;
}

nlohmann::json describeComponent(const DiffusersFolder& folder, const std::string& name, int64_t* totalParams,
                                 bool* failed)
{
    nlohmann::json j;
    j["class"] = folder.componentClass(name);
    try {
        const std::string cls = folder.componentClass(name);
        if (name == "tokenizer" || cls.find("Tokenizer") != std::string::npos) {
            const auto tok = models::ClipTokenizer::fromFolder(folder.componentDir(name));
            j["vocabulary"] = tok.usesBundledVocabulary() ? "bundled" : "folder";
            j["vocab_size"] = tok.vocabSize();
            j["bos_token_id"] = tok.bosId();
            j["eos_token_id"] = tok.eosId();
            j["pad_token_id"] = tok.padId();
            j["model_max_length"] = tok.maxLength();
        } else if (name == "scheduler" || cls.find("Scheduler") != std::string::npos) {
            const auto cfg = folder.componentConfig(name);
            for (const char* k : {"num_train_timesteps", "beta_schedule", "prediction_type", "timestep_spacing"})
                if (cfg.contains(k)) j[k] = cfg[k];
        } else if (name == "feature_extractor" || name == "safety_checker" || name == "image_encoder") {
            j["used"] = false;  // not part of inpainting; not loaded
        } else {
            const auto cfg = folder.componentConfig(name);
            j.update(describeWeights(folder, name));
            *totalParams += j["parameters"].get<int64_t>();
            if (name == "unet") {
                for (const char* k : {"in_channels", "out_channels", "cross_attention_dim", "sample_size"})
                    if (cfg.contains(k)) j[k] = cfg[k];
            } else if (name == "vae") {
                for (const char* k : {"latent_channels", "scaling_factor", "sample_size"})
                    if (cfg.contains(k)) j[k] = cfg[k];
            } else if (name == "text_encoder") {
                for (const char* k : {"hidden_size", "num_hidden_layers", "num_attention_heads", "hidden_act"})
                    if (cfg.contains(k)) j[k] = cfg[k];
            }
        }
    } catch (const models::ModelError& e) {
        j["error"] = e.what();
        *failed = true;
    }
    return j;
}

int64_t countParameters(const std::map<std::string, torch::Tensor>& weights)
{
    int64_t n = 0;
    for (const auto& [k, t] : weights)
        if (k != "text_model.embeddings.position_ids") n += t.numel();
    return n;
}

// A single-file checkpoint: family, layout, configs chosen and per component the renamed weights.
int infoSingleFile(const ArgParser& p)
{
    models::SingleFileOptions o;
    o.originalConfig = p.value("--original-config");
    o.configDir = p.value("--config");
    if (p.has("--prediction-type")) o.predictionType = p.value("--prediction-type");
    o.ema = p.has("--ema");
    const auto file = models::SingleFileCheckpoint::open(p.value("--model"), o);
    const auto& info = file.info();
    nlohmann::json out;
    out["model"] = file.path().string();
    out["format"] = "single-file";
    out["kind"] = models::toString(info.kind);
    out["family"] = models::familyName(info.kind);
    out["description"] = models::describe(info);
    out["unet_in_channels"] = info.inChannels;
    out["dtype"] = info.dtype;
    out["text_encoder_layout"] = info.textEncoderLayout;
    out["has_ema"] = info.hasEma;
    out["ema_used"] = file.emaUsed();
    out["configs"] = file.configSource();
    out["prediction_type"] = file.predictionType();
    out["default_scheduler"] = file.schedulerConfig().value("_class_name", std::string());
    out["tensors"] = info.tensors;
    out["bytes"] = info.fileBytes;
    int64_t total = 0;
    nlohmann::json comps;
    auto add = [&](const char* name, const models::ComponentSource& c, std::initializer_list<const char*> keys) {
        nlohmann::json j;
        j["parameters"] = countParameters(c.weights);
        j["tensors"] = c.weights.size();
        j["config"] = c.configWhat;
        for (const char* k : keys)
            if (c.config.contains(k)) j[k] = c.config[k];
        total += j["parameters"].get<int64_t>();
        comps[name] = j;
    };
    add("unet", file.unet(), {"in_channels", "out_channels", "cross_attention_dim", "sample_size", "attention_head_dim"});
    add("vae", file.vae(), {"latent_channels", "scaling_factor"});
    add("text_encoder", file.textEncoder(), {"hidden_size", "num_hidden_layers", "num_attention_heads", "hidden_act"});
    if (models::isSdxl(info.kind))
        add("text_encoder_2", file.textEncoder2(),
            {"hidden_size", "num_hidden_layers", "num_attention_heads", "hidden_act", "projection_dim"});
    out["components"] = comps;
    out["total_parameters"] = total;
    std::fputs(out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str(), stdout);
    std::fputs("\n", stdout);
    return kExitOk;
}

}  // namespace

int cmdInfo(const Args& args)
{
    ArgParser p("info");
    p.option("--model", "DIR|FILE", "a diffusers model folder (with model_index.json) or a single-file checkpoint")
        .option("--original-config", "YAML", "single file: the LDM .yaml to use")
        .option("--config", "DIR", "single file: take the configs from this diffusers folder")
        .option("--prediction-type", "TYPE", "single file: epsilon or v_prediction")
        .flag("--ema", "single file: describe the EMA UNet weights")
        .flag("--help", "this text");
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli info --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--model"}, &problem)) return printError(problem, kExitUsage);

    try {
        if (models::isSingleFileCheckpoint(p.value("--model"))) return infoSingleFile(p);
        const auto folder = DiffusersFolder::open(p.value("--model"));
        nlohmann::json out;
        out["model"] = folder.root().string();
        out["pipeline"] = folder.pipelineClass();
        out["kind"] = models::toString(folder.detectKind());
        out["family"] = models::familyName(folder.detectKind());
        bool failed = false;
        try {
            const auto unet = folder.componentConfig("unet");
            out["unet_in_channels"] = unet.value("in_channels", 4);
        } catch (const models::ModelError&) {
            out["unet_in_channels"] = nullptr;  // reported under components.unet
        }
        out["default_scheduler"] = folder.defaultScheduler();
        out["prediction_type"] = folder.predictionType();
        int64_t total = 0;
        nlohmann::json comps = nlohmann::json::object();
        for (const auto& name : folder.components()) comps[name] = describeComponent(folder, name, &total, &failed);
        out["components"] = comps;
        out["total_parameters"] = total;
        // Keep the output valid JSON even for odd bytes in file names.
        std::fputs(out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str(), stdout);
        std::fputs("\n", stdout);
        if (failed) {
            std::string which;
            for (auto it = comps.begin(); it != comps.end(); ++it)
                if (it.value().contains("error")) which += (which.empty() ? "" : ", ") + it.key();
            return printError("info: some components cannot be loaded (" + which + "); see their \"error\" entries.",
                              kExitFailure);
        }
        return kExitOk;
    } catch (const models::ModelError& e) {
        return printError(e.what(), kExitFailure);
    } catch (const std::exception& e) {
        return printError(std::string("info failed: ") + e.what(), kExitFailure);
    }
}

}  // namespace inpaint::cli
