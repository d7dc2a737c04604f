// A Stable Diffusion checkpoint in the diffusers folder layout (model_index.json + one folder per
// component): component configs, weight-file resolution (single, .fp16 variant, sharded with an
// index JSON; pickles refused), and what kind of SD model it is. Mirrors the file lookup of
// diffusers' DiffusionPipeline.from_pretrained / ModelMixin.from_pretrained (diffusers 0.25).
#pragma once

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace inpaint::models {

class SafetensorsFile;

enum class ModelKind { Sd1, Sd2, Sd1Inpaint, Sd2Inpaint, Sdxl, SdxlInpaint, Unknown };
// "sd1", "sd2", "sd1-inpaint", "sd2-inpaint", "sdxl", "sdxl-inpaint", "unknown"
std::string toString(ModelKind kind);
bool isSdxl(ModelKind kind);  // Sdxl or SdxlInpaint
// The family without the inpainting variant, for the model library and recipes: "SD 1.x",
// "SD 2.x", "SDXL", or "unknown".
std::string familyName(ModelKind kind);

// The weight files chosen for one component.
struct WeightFiles {
    std::vector<std::filesystem::path> files;  // one file, or the shards named by the index
    std::filesystem::path index;               // the *.safetensors.index*.json, empty if not sharded
    bool fp16Variant = false;                  // a ".fp16" variant was chosen
};

class DiffusersFolder {
public:
    // Reads <root>/model_index.json. Throws ConfigError if root is not a folder or has no
    // model_index.json (a single-file .ckpt / .safetensors gets a message saying so), FormatError if
    // the JSON is malformed.
    static DiffusersFolder open(const std::filesystem::path& root);

    const std::filesystem::path& root() const { return m_root; }
    const nlohmann::json& modelIndex() const { return m_index; }
    std::string pipelineClass() const;             // model_index "_class_name"

    // Components named in model_index.json with a non-null [library, class] entry, sorted.
    std::vector<std::string> components() const;
    bool hasComponent(const std::string& name) const;
    std::string componentClass(const std::string& name) const;  // e.g. "UNet2DConditionModel"; "" if absent

    // <root>/<name>; throws ConfigError if the folder is missing.
    std::filesystem::path componentDir(const std::string& name) const;
    // The component's config file: scheduler/scheduler_config.json, tokenizer/tokenizer_config.json,
    // otherwise <name>/config.json. Throws ConfigError if missing, FormatError if malformed.
    std::filesystem::path componentConfigPath(const std::string& name) const;
    nlohmann::json componentConfig(const std::string& name) const;

    // Resolves the weight files of a component. Order: with preferFp16, the .fp16 variant first;
    // otherwise the full-precision file first, the .fp16 variant only as a fallback. Throws
    // WeightsError if there are only pickle files (.bin/.ckpt/.pt/.pth: loading them runs code) or
    // no weights at all, or if a sharded index is inconsistent.
    WeightFiles weightFiles(const std::string& name, bool preferFp16 = false) const;
    // The opened safetensors files of a component (headers parsed, nothing copied).
    std::vector<std::shared_ptr<SafetensorsFile>> openWeights(const std::string& name, bool preferFp16 = false) const;
    // Every tensor of the component (zero-copy views into the mappings), shards merged.
    std::map<std::string, torch::Tensor> loadWeights(const std::string& name, bool preferFp16 = false) const;

    // sd1 / sd2 / sd1-inpaint / sd2-inpaint from the UNet's in_channels (4 or 9) and
    // cross_attention_dim (768: SD1, 1024: SD2; other sizes decided by the text encoder's
    // activation: quick_gelu = OpenAI CLIP (SD1), gelu = OpenCLIP (SD2)). Unknown otherwise.
    ModelKind detectKind() const;
    // scheduler_config.json "_class_name" (falls back to model_index's scheduler entry).
    std::string defaultScheduler() const;
    // scheduler_config.json "prediction_type" (diffusers default "epsilon").
    std::string predictionType() const;

private:
    std::filesystem::path m_root;
    nlohmann::json m_index;
};

}  // namespace inpaint::models
