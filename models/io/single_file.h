// Single-file Stable Diffusion checkpoints (A1111 / CompVis LDM layout, .safetensors or .ckpt):
// detect the family from keys and shapes, find the configs, rename the keys to diffusers names
// (ldm_keys.h) and hand out, per component, a diffusers-style config and a state dict whose
// tensors are views into the file's mapping (no copy; the modules' strict load is the only one).
//
// Configs, by precedence (say "configSource" in describe()):
//   1. --original-config YAML (or the <stem>.yaml beside the file) for the UNet, VAE, scheduler
//      betas, scale factor and parameterization, as diffusers' from_single_file reads them;
//   2. --config DIR (a diffusers folder) for what a yaml cannot describe (text encoder, tokenizer),
//      or for every component when no yaml was given explicitly;
//   3. the real SD configs compiled in (resources/configs/) by family, for full-size files.
// Prediction type: the override, else the yaml's parameterization ("v" -> v_prediction), else
// epsilon for SD 1.x and every inpainting model, v_prediction for a 4-channel SD 2.x file
// (diffusers' default for SD 2 without a yaml: 768-v). Weights: non-EMA unless EMA is asked for.
#pragma once

#include "models/io/diffusers_folder.h"

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace inpaint::models {

struct SingleFileOptions {
    std::filesystem::path originalConfig;         // LDM yaml; empty: <stem>.yaml beside the file if any
    std::filesystem::path configDir;              // a diffusers folder to take configs from
    std::optional<std::string> predictionType;    // "epsilon" | "v_prediction"
    std::optional<bool> ema;                      // load the EMA UNet weights (default: no)
    int64_t imageSize = 0;                        // sample size * 8 override; 0: by family (512/768)
};

// One network: its diffusers config and its weights under diffusers names.
struct ComponentSource {
    nlohmann::json config;
    std::string configWhat;  // where the config came from, for messages
    std::map<std::string, torch::Tensor> weights;
    std::string weightsWhat;
};

// What is in a single file, from its keys alone (cheap: headers only for .safetensors).
struct SingleFileInfo {
    ModelKind kind = ModelKind::Unknown;
    std::string textEncoderLayout;  // "clip" (HF CLIPTextModel), "openclip", or "clip+openclip" (SDXL)
    int64_t inChannels = 0;
    int64_t contextDim = 0;
    std::string dtype;              // of the UNet weights: "F32", "F16", "BF16"
    bool hasEma = false;
    bool hasVae = false, hasTextEncoder = false;
    bool hasTextEncoder2 = false;   // SDXL: conditioner.embedders.1.model.*
    int64_t tensors = 0;
    uint64_t fileBytes = 0;
};

// A file that holds tensors by name: .safetensors, or a torch zip (.ckpt/.pt/.pth) read without
// running its pickle. Throws FormatError naming the file.
std::map<std::string, torch::Tensor> readTensorFile(const std::filesystem::path& path);
bool isSingleFileCheckpoint(const std::filesystem::path& path);  // a regular file with such an extension

class SingleFileCheckpoint {
public:
    // Reads the tensors (mapped), detects the family and resolves configs. Throws ModelError
    // subclasses with one-line messages naming the file and the key or config at fault.
    static SingleFileCheckpoint open(const std::filesystem::path& path, const SingleFileOptions& options = {});
    static SingleFileInfo inspect(const std::filesystem::path& path);
    // As inspect(), but a file with no UNet at all (a VAE, LoRA or embedding file) gives nullopt,
    // with what it looks like in `whatElse`; other problems still throw.
    static std::optional<SingleFileInfo> probe(const std::filesystem::path& path, std::string* whatElse = nullptr);

    const std::filesystem::path& path() const { return m_path; }
    const SingleFileInfo& info() const { return m_info; }
    ModelKind kind() const { return m_info.kind; }
    const std::string& predictionType() const { return m_predictionType; }
    bool emaUsed() const { return m_emaUsed; }
    const std::string& configSource() const { return m_configSource; }

    // Renamed, strict-ready sources; each throws WeightsError naming a key that maps nowhere.
    ComponentSource unet() const;
    ComponentSource vae() const;
    ComponentSource textEncoder() const;
    // SDXL's second text encoder (CLIPTextModelWithProjection: config with architectures
    // ["CLIPTextModelWithProjection"], weights including text_projection.weight). Throws
    // ConfigError if the file is not SDXL.
    ComponentSource textEncoder2() const;
    // diffusers scheduler_config.json form. SDXL: the base model's EulerDiscreteScheduler (compiled
    // in), or the --config folder's, with predictionType().
    nlohmann::json schedulerConfig() const;
    // The tokenizer folder to use (from --config), or empty: the bundled CLIP vocabulary with
    // tokenizerPad() as the pad token.
    std::filesystem::path tokenizerDir() const;
    std::string tokenizerPad() const;
    // SDXL's tokenizer_2: <configDir>/tokenizer_2 when --config gave one (empty otherwise, and for
    // SD 1.x/2.x), else the bundled CLIP vocabulary with tokenizer2Pad() ("!", as diffusers'
    // from_single_file sets it for laion/CLIP-ViT-bigG-14). tokenizer2Pad() throws ConfigError if
    // the file is not SDXL.
    std::filesystem::path tokenizerDir2() const;
    std::string tokenizer2Pad() const;

    // Keys of the file that no component takes and that are not known bookkeeping; the strict
    // loader treats them as errors (open() throws if there are any).
    std::vector<std::string> unusedKeys() const;

private:
    void openSdxl(const SingleFileOptions& options);  // open() for an SDXL file, after inspection

    std::filesystem::path m_path;
    SingleFileInfo m_info;
    std::map<std::string, torch::Tensor> m_tensors;
    nlohmann::json m_unetConfig, m_vaeConfig, m_textConfig, m_text2Config, m_scheduler;
    std::string m_unetConfigWhat, m_vaeConfigWhat, m_textConfigWhat, m_text2ConfigWhat;
    std::string m_predictionType = "epsilon";
    std::filesystem::path m_tokenizerDir, m_tokenizerDir2;
    bool m_emaUsed = false;
    std::string m_configSource;
    int64_t m_layersPerBlock = 2;
    int64_t m_vaeUpBlocks = 4;
};

// A separate VAE file (LDM names with or without "first_stage_model.", or diffusers names), or a
// diffusers vae/ folder: the weights renamed for `config` (the model's own VAE config unless the
// folder has one, returned in `config`).
ComponentSource loadVaeSource(const std::filesystem::path& fileOrDir, nlohmann::json config, const std::string& configWhat);

// "sd1", ..., "sdxl", "sdxl-inpaint" plus the layout, for `inpaint-cli info` and the model library.
std::string describe(const SingleFileInfo& info);

}  // namespace inpaint::models
