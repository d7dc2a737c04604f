// Single-file checkpoints (see single_file.h).
#include "models/io/single_file.h"
#include "models/io/torch_checkpoint.h"

#include "models/errors.h"
#include "models/io/ldm_keys.h"
#include "models/io/safetensors.h"
#include "models/io/shipped_configs.h"

#include <torch/torch.h>

#ifdef INPAINT_HAVE_YAML_CPP
#include <yaml-cpp/yaml.h>
#endif

#include <algorithm>
#include <cctype>
#include <fstream>

namespace inpaint::models {

namespace fs = std::filesystem;
using ldm::StateDict;

namespace {

const std::string kUnet = "model.diffusion_model.";
const std::string kVae = "first_stage_model.";
const std::string kClip = "cond_stage_model.transformer.";
const std::string kOpenClip = "cond_stage_model.model.";
// SDXL (sgm GeneralConditioner): CLIP ViT-L in HF layout, then OpenCLIP ViT-bigG.
const std::string kConditioner = "conditioner.embedders.";
const std::string kClipXl = "conditioner.embedders.0.transformer.";
const std::string kOpenClipXl = "conditioner.embedders.1.model.";
const std::string kXlBase = "stable-diffusion-xl-base-1.0";
const std::string kXlInpaint = "stable-diffusion-xl-1.0-inpainting-0.1";

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return s;
}

nlohmann::json shipped(const std::string& file)
{
    const auto& files = shippedConfigFiles();
    const auto it = files.find(file);
    if (it == files.end()) throw ConfigError("no compiled-in config '" + file + "'");
    return nlohmann::json::parse(it->second);
}

bool anyKeyWithPrefix(const StateDict& t, const std::string& prefix)
{
    const auto it = t.lower_bound(prefix);
    return it != t.end() && startsWith(it->first, prefix);
}

std::string dtypeCode(const torch::Tensor& t)
{
    switch (t.scalar_type()) {
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kFloat64: return "F64";
    default: return c10::toString(t.scalar_type());
    }
}

// What a state dict that is not a full SD checkpoint probably is, for the error message.
std::string guessOther(const StateDict& t)
{
    if (anyKeyWithPrefix(t, "lora_unet_") || anyKeyWithPrefix(t, "lora_te_") || anyKeyWithPrefix(t, "lora_te1_") ||
        anyKeyWithPrefix(t, "lora_te2_"))
        return "a LoRA file (put it in a loras/ folder)";
    if (t.count("emb_params") || t.count("string_to_param.*")) return "a textual-inversion embedding";
    if (anyKeyWithPrefix(t, "encoder.down.") || anyKeyWithPrefix(t, "encoder.down_blocks.")) return "a VAE file (use it as the VAE)";
    if (anyKeyWithPrefix(t, kConditioner)) return "the text encoders of an SDXL checkpoint without its UNet";
    return "not a Stable Diffusion 1.x/2.x checkpoint";
}

#ifdef INPAINT_HAVE_YAML_CPP
YAML::Node yamlAt(const YAML::Node& root, const std::vector<std::string>& path, const fs::path& file, bool required)
{
    // YAML::Node's operator= writes through to the node it refers to; reset() re-points it.
    YAML::Node n;
    n.reset(root);
    std::string where;
    for (const auto& p : path) {
        where += (where.empty() ? "" : ".") + p;
        if (!n.IsMap() || !n[p]) {
            if (!required) return YAML::Node();
            throw ConfigError("The config '" + file.string() + "' has no '" + where + "'.");
        }
        const YAML::Node next = n[p];
        n.reset(next);
    }
    return n;
}

template <class T>
T yamlValue(const YAML::Node& map, const std::string& key, const std::string& where, const fs::path& file,
            std::optional<T> fallback = std::nullopt)
{
    if (!map.IsMap() || !map[key]) {
        if (fallback) return *fallback;
        throw ConfigError("The config '" + file.string() + "' has no '" + where + "." + key + "'.");
    }
    try {
        return map[key].as<T>();
    } catch (const YAML::Exception&) {
        throw ConfigError("The config '" + file.string() + "' has a '" + where + "." + key +
                          "' of the wrong type (line " + std::to_string(map[key].Mark().line + 1) + ").");
    }
}

struct YamlConfigs {
    nlohmann::json unet, vae, scheduler;
    std::optional<std::string> parameterization;
    int64_t layersPerBlock = 2;
};

YamlConfigs configsFromYaml(const fs::path& file, int64_t imageSizeOverride)
{
    YAML::Node root;
    try {
        root = YAML::LoadFile(file.string());
    } catch (const YAML::BadFile&) {
        throw ConfigError("Cannot read the config '" + file.string() + "'.");
    } catch (const YAML::Exception& e) {
        throw FormatError("The config '" + file.string() + "' is not valid YAML (line " + std::to_string(e.mark.line + 1) +
                          "): " + e.msg);
    }
    const YAML::Node params = yamlAt(root, {"model", "params"}, file, true);
    const YAML::Node unetP = yamlAt(root, {"model", "params", "unet_config", "params"}, file, true);
    const YAML::Node vaeP = yamlAt(root, {"model", "params", "first_stage_config", "params", "ddconfig"}, file, true);
    const std::string up = "model.params.unet_config.params", vp = "model.params.first_stage_config.params.ddconfig",
                      mp = "model.params";
    if (unetP["num_classes"] || unetP["adm_in_channels"])
        throw ConfigError("The config '" + file.string() + "' describes an SDXL-style UNet (num_classes/adm_in_channels) "
                          "for an SD 1.x/2.x checkpoint.");

    YamlConfigs out;
    const auto mult = yamlValue<std::vector<int64_t>>(unetP, "channel_mult", up, file);
    const auto modelChannels = yamlValue<int64_t>(unetP, "model_channels", up, file);
    const auto attnRes = yamlValue<std::vector<int64_t>>(unetP, "attention_resolutions", up, file);
    const auto vaeMult = yamlValue<std::vector<int64_t>>(vaeP, "ch_mult", vp, file);
    if (mult.empty() || vaeMult.empty()) throw ConfigError("The config '" + file.string() + "' has an empty channel_mult.");
    const int64_t vaeScale = int64_t(1) << (vaeMult.size() - 1);
    nlohmann::json blockOut = nlohmann::json::array(), down = nlohmann::json::array(), upTypes = nlohmann::json::array();
    int64_t res = 1;
    for (size_t i = 0; i < mult.size(); ++i) {
        blockOut.push_back(modelChannels * mult[i]);
        const bool attn = std::find(attnRes.begin(), attnRes.end(), res) != attnRes.end();
        down.push_back(attn ? "CrossAttnDownBlock2D" : "DownBlock2D");
        if (i + 1 != mult.size()) res *= 2;
    }
    for (size_t i = 0; i < mult.size(); ++i) {
        const bool attn = std::find(attnRes.begin(), attnRes.end(), res) != attnRes.end();
        upTypes.push_back(attn ? "CrossAttnUpBlock2D" : "UpBlock2D");
        res /= 2;
    }
    // diffusers' convert_from_ckpt: num_heads is passed on as attention_head_dim (its historical
    // naming); num_head_channels gives per-block head counts.
    nlohmann::json headDim;
    if (unetP["num_heads"] && unetP["num_heads"].as<int64_t>(-1) > 0) {
        headDim = yamlValue<int64_t>(unetP, "num_heads", up, file);
    } else {
        const auto headChannels = yamlValue<int64_t>(unetP, "num_head_channels", up, file);
        if (headChannels <= 0 || modelChannels % headChannels != 0)
            throw ConfigError("The config '" + file.string() + "' has a num_head_channels that does not divide model_channels.");
        headDim = nlohmann::json::array();
        for (int64_t m : mult) headDim.push_back(modelChannels / headChannels * m);
    }
    const int64_t latentSize = imageSizeOverride > 0 ? imageSizeOverride / vaeScale
                                                     : yamlValue<int64_t>(params, "image_size", mp, file, 64);
    out.layersPerBlock = yamlValue<int64_t>(unetP, "num_res_blocks", up, file);
    out.unet = {
        {"_class_name", "UNet2DConditionModel"},
        {"sample_size", latentSize},
        {"in_channels", yamlValue<int64_t>(unetP, "in_channels", up, file)},
        {"out_channels", yamlValue<int64_t>(unetP, "out_channels", up, file)},
        {"down_block_types", down},
        {"up_block_types", upTypes},
        {"block_out_channels", blockOut},
        {"layers_per_block", out.layersPerBlock},
        {"cross_attention_dim", yamlValue<int64_t>(unetP, "context_dim", up, file)},
        {"attention_head_dim", headDim},
        {"use_linear_projection", yamlValue<bool>(unetP, "use_linear_in_transformer", up, file, false)},
        {"transformer_layers_per_block", yamlValue<int64_t>(unetP, "transformer_depth", up, file, 1)},
    };
    nlohmann::json vaeOut = nlohmann::json::array(), vaeDown = nlohmann::json::array(), vaeUp = nlohmann::json::array();
    const auto ch = yamlValue<int64_t>(vaeP, "ch", vp, file);
    for (int64_t m : vaeMult) {
        vaeOut.push_back(ch * m);
        vaeDown.push_back("DownEncoderBlock2D");
        vaeUp.push_back("UpDecoderBlock2D");
    }
    out.vae = {
        {"_class_name", "AutoencoderKL"},
        {"sample_size", yamlValue<int64_t>(vaeP, "resolution", vp, file, 256)},
        {"in_channels", yamlValue<int64_t>(vaeP, "in_channels", vp, file)},
        {"out_channels", yamlValue<int64_t>(vaeP, "out_ch", vp, file)},
        {"down_block_types", vaeDown},
        {"up_block_types", vaeUp},
        {"block_out_channels", vaeOut},
        {"latent_channels", yamlValue<int64_t>(vaeP, "z_channels", vp, file)},
        {"layers_per_block", yamlValue<int64_t>(vaeP, "num_res_blocks", vp, file)},
        {"scaling_factor", yamlValue<double>(params, "scale_factor", mp, file, 0.18215)},
    };
    out.scheduler = {
        {"_class_name", "PNDMScheduler"},
        {"beta_start", yamlValue<double>(params, "linear_start", mp, file, 0.00085)},
        {"beta_end", yamlValue<double>(params, "linear_end", mp, file, 0.012)},
        {"num_train_timesteps", yamlValue<int64_t>(params, "timesteps", mp, file, 1000)},
    };
    if (params["parameterization"]) {
        const auto p = yamlValue<std::string>(params, "parameterization", mp, file);
        if (p == "v") out.parameterization = "v_prediction";
        else if (p == "eps") out.parameterization = "epsilon";
        else throw ConfigError("The config '" + file.string() + "' has parameterization '" + p + "' (expected eps or v).");
    }
    return out;
}
#endif

// The scheduler diffusers 0.25.1's from_single_file builds: DDIM betas from the yaml, converted
// to PNDM with skip_prk_steps.
nlohmann::json singleFileScheduler(nlohmann::json base, const std::string& prediction)
{
    nlohmann::json s = {
        {"_class_name", "PNDMScheduler"},
        {"beta_start", 0.00085},
        {"beta_end", 0.012},
        {"beta_schedule", "scaled_linear"},
        {"num_train_timesteps", 1000},
        {"steps_offset", 1},
        {"clip_sample", false},
        {"set_alpha_to_one", false},
        {"skip_prk_steps", true},
        {"trained_betas", nullptr},
    };
    for (const auto& [k, v] : base.items()) s[k] = v;
    s["prediction_type"] = prediction;
    return s;
}

// A CLIP text config from the weights' shapes, when nothing describes it: the real CLIP-L / OpenCLIP-H
// configs when the shapes are theirs, else heads = hidden / 64.
// sdxlSlot: 0 for SD 1.x/2.x; 1 or 2 for SDXL's first (CLIP ViT-L) or second (OpenCLIP ViT-bigG,
// with projection) text encoder.
nlohmann::json textConfigFromWeights(const StateDict& te, bool openclip, const std::string& what, std::string& configWhat,
                                     int sdxlSlot = 0)
{
    const auto tok = te.find("text_model.embeddings.token_embedding.weight");
    const auto pos = te.find("text_model.embeddings.position_embedding.weight");
    const auto fc1 = te.find("text_model.encoder.layers.0.mlp.fc1.weight");
    if (tok == te.end() || pos == te.end() || fc1 == te.end() || tok->second.dim() != 2 || fc1->second.dim() != 2)
        throw WeightsError("The text encoder of " + what + " lacks its token/position embeddings or first layer.");
    int64_t layers = 0;
    while (te.count("text_model.encoder.layers." + std::to_string(layers) + ".mlp.fc1.weight")) ++layers;
    const int64_t hidden = tok->second.size(1);
    if (sdxlSlot == 1 && hidden == 768 && layers == 12) {
        configWhat = "the compiled-in CLIP ViT-L/14 config (" + kXlBase + "/text_encoder)";
        return shipped(kXlBase + "/text_encoder/config.json");
    }
    if (sdxlSlot == 2 && hidden == 1280 && layers == 32) {
        configWhat = "the compiled-in OpenCLIP ViT-bigG/14 config (" + kXlBase + "/text_encoder_2)";
        return shipped(kXlBase + "/text_encoder_2/config.json");
    }
    if (sdxlSlot == 0 && !openclip && hidden == 768 && layers == 12) {
        configWhat = "the compiled-in CLIP ViT-L/14 config (stable-diffusion-v1-5/text_encoder)";
        return shipped("stable-diffusion-v1-5/text_encoder/config.json");
    }
    if (sdxlSlot == 0 && openclip && hidden == 1024 && layers == 23) {
        configWhat = "the compiled-in OpenCLIP ViT-H/14 config (stable-diffusion-2-inpainting/text_encoder)";
        return shipped("stable-diffusion-2-inpainting/text_encoder/config.json");
    }
    if (hidden % 64 != 0)
        throw ConfigError("The text encoder of " + what + " (hidden size " + std::to_string(hidden) + ", " +
                          std::to_string(layers) +
                          " layers) is not a standard CLIP, so its attention heads are unknown: pass --config DIR, a "
                          "diffusers folder whose text_encoder/config.json describes it.");
    configWhat = "inferred from the weights (heads = hidden / 64)";
    nlohmann::json c = {{"hidden_size", hidden},
                        {"intermediate_size", fc1->second.size(0)},
                        {"num_hidden_layers", layers},
                        {"num_attention_heads", hidden / 64},
                        {"max_position_embeddings", pos->second.size(0)},
                        {"vocab_size", tok->second.size(0)},
                        {"hidden_act", openclip ? "gelu" : "quick_gelu"}};
    if (sdxlSlot == 2) {
        const auto proj = te.find("text_projection.weight");
        if (proj == te.end() || proj->second.dim() != 2)
            throw WeightsError("The second text encoder of " + what + " has no 2-D text_projection.");
        c["projection_dim"] = proj->second.size(0);
        c["architectures"] = nlohmann::json::array({"CLIPTextModelWithProjection"});
    }
    return c;
}

}  // namespace

bool isSingleFileCheckpoint(const fs::path& path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return false;
    const std::string ext = lower(path.extension().string());
    return ext == ".safetensors" || ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin";
}

std::map<std::string, torch::Tensor> readTensorFile(const fs::path& path)
{
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw ConfigError("'" + path.string() + "' is not a file.");
    if (lower(path.extension().string()) == ".safetensors") return loadSafetensors(path);
    return loadTorchStateDict(path);  // interprets the pickle; runs none of it
}

namespace {

// What the keys and shapes say; nullopt when there is no UNet at all (a VAE, LoRA or embedding
// file), with `whatElse` saying what it looks like.
std::optional<SingleFileInfo> inspectTensors(const StateDict& t, const fs::path& path, std::string* whatElse)
{
    SingleFileInfo info;
    info.tensors = int64_t(t.size());
    std::error_code ec;
    info.fileBytes = fs::file_size(path, ec);
    const auto convIn = t.find(kUnet + "input_blocks.0.0.weight");
    if (convIn == t.end() || convIn->second.dim() != 4) {
        if (whatElse) *whatElse = guessOther(t);
        return std::nullopt;
    }
    info.inChannels = convIn->second.size(1);
    info.dtype = dtypeCode(convIn->second);
    for (auto it = t.lower_bound(kUnet); it != t.end() && startsWith(it->first, kUnet); ++it) {
        const std::string& k = it->first;
        if (k.size() > 17 && k.compare(k.size() - 17, 17, "attn2.to_k.weight") == 0 && it->second.dim() == 2) {
            info.contextDim = it->second.size(1);
            break;
        }
    }
    info.hasEma = ldm::hasEma(t);
    info.hasVae = anyKeyWithPrefix(t, kVae);
    const std::string file = "'" + path.filename().string() + "'";
    const bool conditioner = anyKeyWithPrefix(t, kConditioner);
    if (conditioner && (anyKeyWithPrefix(t, kClip) || anyKeyWithPrefix(t, kOpenClip)))
        throw ConfigError(file + " mixes SD 1.x/2.x text encoder keys (cond_stage_model.*) with SDXL ones "
                                 "(conditioner.embedders.*): not a checkpoint of one model.");
    if (anyKeyWithPrefix(t, "conditioner.embedders.0.model."))
        throw ConfigError(file + " is an SDXL refiner (one OpenCLIP text encoder at conditioner.embedders.0.model.*, "
                                 "aesthetic-score conditioning). It only refines an SDXL base model's output and is not "
                                 "supported: use an SDXL base or inpainting checkpoint.");
    const bool xl = conditioner || (t.count(kUnet + "label_emb.0.0.weight") && info.contextDim == 2048);
    if (xl) {
        info.textEncoderLayout = "clip+openclip";
        info.hasTextEncoder = anyKeyWithPrefix(t, kClipXl);
        info.hasTextEncoder2 = anyKeyWithPrefix(t, kOpenClipXl);
        if (info.inChannels == 4) info.kind = ModelKind::Sdxl;
        else if (info.inChannels == 9) info.kind = ModelKind::SdxlInpaint;
        else
            throw WeightsError("The UNet of " + file + " (SDXL) takes " + std::to_string(info.inChannels) + " input channels (" +
                               kUnet + "input_blocks.0.0.weight " + c10::str(convIn->second.sizes()) +
                               "): only 4 (text-to-image) and 9 (inpainting) are supported.");
        return info;
    }
    if (anyKeyWithPrefix(t, kClip)) info.textEncoderLayout = "clip";
    else if (anyKeyWithPrefix(t, kOpenClip)) info.textEncoderLayout = "openclip";
    info.hasTextEncoder = !info.textEncoderLayout.empty();
    bool sd2 = false;
    if (info.contextDim == 1024) sd2 = true;
    else if (info.contextDim == 768) sd2 = false;
    else sd2 = info.textEncoderLayout == "openclip";
    if (info.inChannels == 4) info.kind = sd2 ? ModelKind::Sd2 : ModelKind::Sd1;
    else if (info.inChannels == 9) info.kind = sd2 ? ModelKind::Sd2Inpaint : ModelKind::Sd1Inpaint;
    else
        throw WeightsError("The UNet of '" + path.filename().string() + "' takes " + std::to_string(info.inChannels) +
                           " input channels (" + kUnet + "input_blocks.0.0.weight " + c10::str(convIn->second.sizes()) +
                           "): only 4 (text-to-image) and 9 (inpainting) are supported.");
    return info;
}

SingleFileInfo inspectOrThrow(const StateDict& t, const fs::path& path)
{
    std::string whatElse;
    auto info = inspectTensors(t, path, &whatElse);
    if (!info)
        throw WeightsError("'" + path.filename().string() + "' has no UNet ('" + kUnet +
                           "input_blocks.0.0.weight'): it looks like " + whatElse + ".");
    return *info;
}

}  // namespace

SingleFileInfo SingleFileCheckpoint::inspect(const fs::path& path)
{
    return inspectOrThrow(readTensorFile(path), path);
}

std::optional<SingleFileInfo> SingleFileCheckpoint::probe(const fs::path& path, std::string* whatElse)
{
    return inspectTensors(readTensorFile(path), path, whatElse);
}

SingleFileCheckpoint SingleFileCheckpoint::open(const fs::path& path, const SingleFileOptions& options)
{
    SingleFileCheckpoint c;
    c.m_path = path;
    c.m_tensors = readTensorFile(path);  // mapped once; every component takes views of it
    c.m_info = inspectOrThrow(c.m_tensors, path);
    const std::string name = "'" + path.filename().string() + "'";
    if (!c.m_info.hasVae) throw WeightsError(name + " has no VAE weights (first_stage_model.*).");
    if (isSdxl(c.m_info.kind)) {
        c.openSdxl(options);
        return c;
    }
    if (!c.m_info.hasTextEncoder) throw WeightsError(name + " has no text encoder weights (cond_stage_model.*).");
    const bool sd2 = c.m_info.kind == ModelKind::Sd2 || c.m_info.kind == ModelKind::Sd2Inpaint;
    const bool inpaint = c.m_info.inChannels == 9;

    // Which configs.
    fs::path yaml = options.originalConfig;
    const bool explicitYaml = !yaml.empty();
    if (yaml.empty()) {
        for (const char* ext : {".yaml", ".yml"}) {
            fs::path beside = path;
            beside.replace_extension(ext);
            std::error_code ec;
            if (fs::is_regular_file(beside, ec)) {
                yaml = beside;
                break;
            }
        }
    }
    const bool useDirForAll = !options.configDir.empty() && !explicitYaml;
    std::optional<DiffusersFolder> dir;
    if (!options.configDir.empty()) dir = DiffusersFolder::open(options.configDir);
    std::optional<std::string> parameterization;
    nlohmann::json schedulerBase = nlohmann::json::object();
    if (useDirForAll) {
        c.m_unetConfig = dir->componentConfig("unet");
        c.m_vaeConfig = dir->componentConfig("vae");
        c.m_unetConfigWhat = dir->componentConfigPath("unet").string();
        c.m_vaeConfigWhat = dir->componentConfigPath("vae").string();
        c.m_configSource = "--config " + options.configDir.string();
    } else if (!yaml.empty()) {
#ifdef INPAINT_HAVE_YAML_CPP
        YamlConfigs y = configsFromYaml(yaml, options.imageSize);
        c.m_unetConfig = y.unet;
        c.m_vaeConfig = y.vae;
        c.m_unetConfigWhat = c.m_vaeConfigWhat = yaml.string();
        schedulerBase = y.scheduler;
        parameterization = y.parameterization;
        c.m_configSource = yaml.string() + (explicitYaml ? " (--original-config)" : " (beside the file)");
#else
        throw ConfigError("This build has no YAML support (yaml-cpp), so it cannot read '" + yaml.string() + "'.");
#endif
    } else {
        const std::string family = inpaint ? (sd2 ? "stable-diffusion-2-inpainting" : "stable-diffusion-inpainting")
                                           : (sd2 ? "stable-diffusion-2-inpainting" : "stable-diffusion-v1-5");
        c.m_unetConfig = shipped(family + "/unet/config.json");
        c.m_vaeConfig = shipped(family + "/vae/config.json");
        c.m_unetConfigWhat = c.m_vaeConfigWhat = "the compiled-in " + family + " config";
        c.m_configSource = "compiled-in " + family + " configs (no .yaml beside the file)";
        if (sd2 && !inpaint) {
            c.m_unetConfig["in_channels"] = 4;
            c.m_unetConfigWhat = "the compiled-in SD 2.x config (stable-diffusion-2-inpainting with 4 input channels)";
        }
    }
    // Prediction type and native size.
    if (options.predictionType) {
        if (*options.predictionType != "epsilon" && *options.predictionType != "v_prediction")
            throw ConfigError("unknown prediction type '" + *options.predictionType + "' (use epsilon or v_prediction)");
        c.m_predictionType = *options.predictionType;
    } else if (useDirForAll) {
        c.m_predictionType = dir->predictionType();
    } else if (parameterization) {
        c.m_predictionType = *parameterization;
    } else if (yaml.empty() && sd2 && !inpaint) {
        c.m_predictionType = "v_prediction";  // diffusers' default for SD 2 without a yaml: the 768-v model
    } else {
        c.m_predictionType = "epsilon";
    }
    if (yaml.empty() && !useDirForAll) {
        const int64_t image = options.imageSize > 0 ? options.imageSize : (c.m_predictionType == "v_prediction" ? 768 : 512);
        c.m_unetConfig["sample_size"] = image / 8;
    } else if (options.imageSize > 0 && useDirForAll) {
        c.m_unetConfig["sample_size"] = options.imageSize / 8;
    }
    if (useDirForAll) {
        c.m_scheduler = dir->componentConfig("scheduler");
        c.m_scheduler["prediction_type"] = c.m_predictionType;
    } else {
        c.m_scheduler = singleFileScheduler(schedulerBase, c.m_predictionType);
    }

    // Layout checks the strict load would report less clearly.
    const int64_t cfgIn = c.m_unetConfig.value("in_channels", int64_t(4));
    if (cfgIn != c.m_info.inChannels)
        throw ConfigError("The UNet of " + name + " takes " + std::to_string(c.m_info.inChannels) + " channels (" + kUnet +
                          "input_blocks.0.0.weight), but its config (" + c.m_unetConfigWhat + ") says in_channels " +
                          std::to_string(cfgIn) + (c.m_info.inChannels == 9 ? ": this is an inpainting checkpoint." : "."));
    try {
        c.m_layersPerBlock = c.m_unetConfig.at("layers_per_block").get<int64_t>();
        c.m_vaeUpBlocks = int64_t(c.m_vaeConfig.at("block_out_channels").size());
    } catch (const nlohmann::json::exception&) {
        throw ConfigError("The config " + c.m_unetConfigWhat + " lacks layers_per_block or block_out_channels.");
    }

    // EMA.
    if (options.ema.value_or(false) && !c.m_info.hasEma)
        throw WeightsError("EMA weights were asked for, but " + name + " has none (no model_ema.* keys).");
    c.m_emaUsed = options.ema.value_or(false);

    // Text encoder config and tokenizer.
    if (dir) {
        c.m_textConfig = dir->componentConfig("text_encoder");
        c.m_textConfigWhat = dir->componentConfigPath("text_encoder").string();
        if (fs::is_directory(options.configDir / "tokenizer")) c.m_tokenizerDir = options.configDir / "tokenizer";
    } else {
        const ComponentSource te = c.textEncoder();  // weights only; config inferred
        c.m_textConfig = textConfigFromWeights(te.weights, c.m_info.textEncoderLayout == "openclip", name, c.m_textConfigWhat);
    }

    // Every key must belong somewhere.
    const auto unused = c.unusedKeys();
    if (!unused.empty())
        throw WeightsError(name + " has " + std::to_string(unused.size()) + " key(s) that map to no component, e.g. '" +
                           unused.front() + "'.");
    // Rename now so a key that maps nowhere is reported at open, not at the first job.
    (void)c.unet();
    (void)c.vae();
    return c;
}

void SingleFileCheckpoint::openSdxl(const SingleFileOptions& options)
{
    const std::string name = "'" + m_path.filename().string() + "'";
    if (!m_info.hasTextEncoder)
        throw WeightsError(name + " is an SDXL checkpoint, but its first text encoder is missing (no " + kClipXl +
                           "* keys: CLIP ViT-L).");
    if (!m_info.hasTextEncoder2)
        throw WeightsError(name + " is an SDXL checkpoint, but its second text encoder is missing (no " + kOpenClipXl +
                           "* keys: OpenCLIP ViT-bigG).");
    const bool inpaint = m_info.inChannels == 9;
    if (!options.originalConfig.empty())
        throw ConfigError("--original-config: " + name + " is an SDXL checkpoint, and an SDXL (sgm) .yaml is not read; "
                          "leave it out (the real SDXL configs are compiled in) or pass --config DIR, an SDXL diffusers folder.");
    std::string besideYaml;
    for (const char* ext : {".yaml", ".yml"}) {
        fs::path beside = m_path;
        beside.replace_extension(ext);
        std::error_code ec;
        if (fs::is_regular_file(beside, ec)) besideYaml = beside.filename().string();
    }
    const std::string yamlNote = besideYaml.empty() ? "" : " (" + besideYaml + " beside the file is not read for SDXL)";

    std::optional<DiffusersFolder> dir;
    if (!options.configDir.empty()) {
        dir = DiffusersFolder::open(options.configDir);
        m_unetConfig = dir->componentConfig("unet");
        m_vaeConfig = dir->componentConfig("vae");
        m_unetConfigWhat = dir->componentConfigPath("unet").string();
        m_vaeConfigWhat = dir->componentConfigPath("vae").string();
        m_textConfig = dir->componentConfig("text_encoder");
        m_textConfigWhat = dir->componentConfigPath("text_encoder").string();
        m_text2Config = dir->componentConfig("text_encoder_2");
        m_text2ConfigWhat = dir->componentConfigPath("text_encoder_2").string();
        m_scheduler = dir->componentConfig("scheduler");
        if (fs::is_directory(options.configDir / "tokenizer")) m_tokenizerDir = options.configDir / "tokenizer";
        if (fs::is_directory(options.configDir / "tokenizer_2")) m_tokenizerDir2 = options.configDir / "tokenizer_2";
        m_configSource = "--config " + options.configDir.string() + yamlNote;
    } else {
        const std::string family = inpaint ? kXlInpaint : kXlBase;
        m_unetConfig = shipped(family + "/unet/config.json");
        m_unetConfigWhat = "the compiled-in " + family + " UNet config";
        // The inpainting model's VAE is SDXL's VAE; its own config file was not available verbatim.
        m_vaeConfig = shipped(kXlBase + "/vae/config.json");
        m_vaeConfigWhat = "the compiled-in " + kXlBase + " VAE config";
        m_scheduler = shipped(kXlBase + "/scheduler/scheduler_config.json");
        m_configSource = "compiled-in " + family + " configs" + (inpaint ? " (VAE and scheduler: " + kXlBase + ")" : "") + yamlNote;
    }
    if (m_unetConfig.value("addition_embed_type", nlohmann::json()) != nlohmann::json("text_time"))
        throw ConfigError("The UNet config " + m_unetConfigWhat + " is not an SDXL UNet (no addition_embed_type \"text_time\"), but " +
                          name + " is an SDXL checkpoint.");

    // Prediction type (SDXL base and inpainting: epsilon) and size.
    if (options.predictionType) {
        if (*options.predictionType != "epsilon" && *options.predictionType != "v_prediction")
            throw ConfigError("unknown prediction type '" + *options.predictionType + "' (use epsilon or v_prediction)");
        m_predictionType = *options.predictionType;
    } else if (dir) {
        m_predictionType = dir->predictionType();
    } else {
        m_predictionType = m_scheduler.value("prediction_type", std::string("epsilon"));
    }
    m_scheduler["prediction_type"] = m_predictionType;
    if (options.imageSize > 0) m_unetConfig["sample_size"] = options.imageSize / 8;

    const int64_t cfgIn = m_unetConfig.value("in_channels", int64_t(4));
    if (cfgIn != m_info.inChannels)
        throw ConfigError("The UNet of " + name + " takes " + std::to_string(m_info.inChannels) + " channels (" + kUnet +
                          "input_blocks.0.0.weight), but its config (" + m_unetConfigWhat + ") says in_channels " +
                          std::to_string(cfgIn) + (m_info.inChannels == 9 ? ": this is an inpainting checkpoint." : "."));
    try {
        m_layersPerBlock = m_unetConfig.at("layers_per_block").get<int64_t>();
        m_vaeUpBlocks = int64_t(m_vaeConfig.at("block_out_channels").size());
    } catch (const nlohmann::json::exception&) {
        throw ConfigError("The config " + m_unetConfigWhat + " lacks layers_per_block or block_out_channels.");
    }
    if (options.ema.value_or(false) && !m_info.hasEma)
        throw WeightsError("EMA weights were asked for, but " + name + " has none (no model_ema.* keys).");
    m_emaUsed = options.ema.value_or(false);

    // Every key must belong somewhere; then rename everything now, so that a key that maps
    // nowhere (or a missing OpenCLIP tensor) is reported at open, not at the first job.
    const auto unused = unusedKeys();
    if (!unused.empty())
        throw WeightsError(name + " has " + std::to_string(unused.size()) + " key(s) that map to no component, e.g. '" +
                           unused.front() + "'.");
    const ComponentSource te = textEncoder(), te2 = textEncoder2();
    if (!dir) {
        m_textConfig = textConfigFromWeights(te.weights, false, name, m_textConfigWhat, 1);
        m_text2Config = textConfigFromWeights(te2.weights, true, name, m_text2ConfigWhat, 2);
    }
    // The second encoder is a CLIPTextModelWithProjection whatever its config.json says.
    m_text2Config["architectures"] = nlohmann::json::array({"CLIPTextModelWithProjection"});
    (void)unet();
    (void)vae();
}

std::vector<std::string> SingleFileCheckpoint::unusedKeys() const
{
    std::vector<std::string> out;
    for (const auto& [k, t] : m_tensors) {
        if (startsWith(k, kUnet) || startsWith(k, kVae)) continue;
        if (isSdxl(m_info.kind) ? (startsWith(k, kClipXl) || startsWith(k, kOpenClipXl))
                                : (startsWith(k, kClip) || startsWith(k, kOpenClip)))
            continue;
        if (startsWith(k, "model_ema.") || ldm::isIgnoredTopLevelKey(k)) continue;
        out.push_back(k);
    }
    return out;
}

ComponentSource SingleFileCheckpoint::unet() const
{
    const std::string what = "the UNet of '" + m_path.string() + "'";
    ComponentSource s;
    s.config = m_unetConfig;
    s.configWhat = m_unetConfigWhat;
    s.weightsWhat = what + (m_emaUsed ? " (EMA weights)" : "");
    const StateDict ldmUnet = m_emaUsed ? ldm::emaUnet(m_tensors, what) : ldm::withPrefix(m_tensors, kUnet);
    const bool textTime = m_unetConfig.value("addition_embed_type", nlohmann::json()) == nlohmann::json("text_time");
    s.weights = ldm::renameUnet(ldmUnet, m_layersPerBlock, what, textTime);
    return s;
}

ComponentSource SingleFileCheckpoint::vae() const
{
    const std::string what = "the VAE of '" + m_path.string() + "'";
    StateDict v = ldm::withPrefix(m_tensors, kVae);
    for (auto it = v.begin(); it != v.end();)
        it = startsWith(it->first, "loss.") ? v.erase(it) : std::next(it);
    ComponentSource s;
    s.config = m_vaeConfig;
    s.configWhat = m_vaeConfigWhat;
    s.weightsWhat = what;
    s.weights = ldm::renameVae(v, m_vaeUpBlocks, what);
    return s;
}

ComponentSource SingleFileCheckpoint::textEncoder() const
{
    const std::string what = "the text encoder of '" + m_path.string() + "'";
    ComponentSource s;
    s.config = m_textConfig;
    s.configWhat = m_textConfigWhat;
    s.weightsWhat = what;
    if (isSdxl(m_info.kind)) s.weights = ldm::renameClipText(ldm::withPrefix(m_tensors, kClipXl), what);
    else if (m_info.textEncoderLayout == "openclip") s.weights = ldm::renameOpenClipText(ldm::withPrefix(m_tensors, kOpenClip), what);
    else s.weights = ldm::renameClipText(ldm::withPrefix(m_tensors, kClip), what);
    return s;
}

ComponentSource SingleFileCheckpoint::textEncoder2() const
{
    if (!isSdxl(m_info.kind))
        throw ConfigError("'" + m_path.string() + "' is " + familyName(m_info.kind) + ", not SDXL: it has no second text encoder.");
    const std::string what = "the second text encoder of '" + m_path.string() + "'";
    ComponentSource s;
    s.config = m_text2Config;
    s.configWhat = m_text2ConfigWhat;
    s.weightsWhat = what;
    s.weights = ldm::renameOpenClipTextWithProjection(ldm::withPrefix(m_tensors, kOpenClipXl), what, kOpenClipXl);
    return s;
}

nlohmann::json SingleFileCheckpoint::schedulerConfig() const { return m_scheduler; }
fs::path SingleFileCheckpoint::tokenizerDir() const { return m_tokenizerDir; }
fs::path SingleFileCheckpoint::tokenizerDir2() const { return m_tokenizerDir2; }
std::string SingleFileCheckpoint::tokenizer2Pad() const
{
    if (!isSdxl(m_info.kind))
        throw ConfigError("'" + m_path.string() + "' is " + familyName(m_info.kind) + ", not SDXL: it has no second tokenizer.");
    return "!";  // laion/CLIP-ViT-bigG-14 as diffusers' from_single_file loads it (pad_token="!")
}
std::string SingleFileCheckpoint::tokenizerPad() const
{
    // SDXL's first tokenizer is CLIP ViT-L's (pads with <|endoftext|>).
    if (isSdxl(m_info.kind)) return "<|endoftext|>";
    // SD 2.x (OpenCLIP) pads with "!" (stabilityai's tokenizer), SD 1.x with <|endoftext|>.
    return m_info.textEncoderLayout == "openclip" ? "!" : "<|endoftext|>";
}

ComponentSource loadVaeSource(const fs::path& fileOrDir, nlohmann::json config, const std::string& configWhat)
{
    ComponentSource s;
    std::error_code ec;
    if (fs::is_directory(fileOrDir, ec)) {
        // A diffusers vae/ folder (config.json + weights), or a model folder with one.
        fs::path dir = fs::is_regular_file(fileOrDir / "config.json", ec) ? fileOrDir : fileOrDir / "vae";
        const fs::path cfg = dir / "config.json";
        std::ifstream in(cfg);
        if (!in) throw ConfigError("The VAE folder '" + fileOrDir.string() + "' has no config.json.");
        try {
            s.config = nlohmann::json::parse(in);
        } catch (const nlohmann::json::exception& e) {
            throw FormatError("The VAE config '" + cfg.string() + "' is not valid JSON: " + e.what());
        }
        s.configWhat = cfg.string();
        fs::path weights;
        for (const char* n : {"diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.fp16.safetensors"})
            if (fs::is_regular_file(dir / n, ec)) {
                weights = dir / n;
                break;
            }
        if (weights.empty())
            throw WeightsError("The VAE folder '" + dir.string() + "' has no diffusion_pytorch_model.safetensors.");
        s.weights = loadSafetensors(weights);
        s.weightsWhat = "the VAE '" + weights.string() + "'";
        return s;
    }
    StateDict t = readTensorFile(fileOrDir);
    s.config = std::move(config);
    s.configWhat = configWhat;
    s.weightsWhat = "the VAE '" + fileOrDir.string() + "'";
    if (anyKeyWithPrefix(t, kVae)) t = ldm::withPrefix(t, kVae);  // a full checkpoint's VAE
    for (auto it = t.begin(); it != t.end();)
        it = (startsWith(it->first, "loss.") || it->first == "model_ema.decay" || it->first == "model_ema.num_updates")
                 ? t.erase(it)
                 : std::next(it);
    if (ldm::isDiffusersVae(t)) {
        s.weights = std::move(t);
    } else {
        const int64_t up = s.config.contains("block_out_channels") ? int64_t(s.config["block_out_channels"].size()) : 4;
        s.weights = ldm::renameVae(t, up, s.weightsWhat);
    }
    return s;
}

std::string describe(const SingleFileInfo& info)
{
    std::string s = toString(info.kind) + ", " + std::to_string(info.inChannels) + " channels, " + info.dtype;
    if (isSdxl(info.kind)) s += ", CLIP ViT-L + OpenCLIP ViT-bigG text encoders";
    else s += info.textEncoderLayout == "openclip" ? ", OpenCLIP text encoder" : ", CLIP text encoder";
    if (info.hasEma) s += ", with EMA weights";
    return s;
}

}  // namespace inpaint::models
