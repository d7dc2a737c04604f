// Diffusers folder layout: model_index.json, component configs and weight-file resolution.
// Follows the file naming of diffusers 0.25 (ModelMixin: diffusion_pytorch_model[.variant].safetensors,
// sharded "<weights>.index[.variant].json") and transformers (model[.variant].safetensors).
#include "models/io/diffusers_folder.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/io/safetensors.h"

#include <algorithm>
#include <set>

namespace inpaint::models {

namespace fs = std::filesystem;

namespace {

bool isFile(const fs::path& p)
{
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

bool isDir(const fs::path& p)
{
    std::error_code ec;
    return fs::is_directory(p, ec);
}

// Base names of the weight files diffusers and transformers write (without ".safetensors").
constexpr const char* kWeightBases[] = {"diffusion_pytorch_model", "model"};

// Candidate single files and index files for one precision, in the order they are tried.
struct Candidates {
    std::vector<std::string> singles;
    std::vector<std::string> indexes;
};

Candidates candidates(bool fp16)
{
    Candidates c;
    for (const char* base : kWeightBases) {
        const std::string b = base;
        if (fp16) {
            c.singles.push_back(b + ".fp16.safetensors");
            // diffusers/transformers insert the variant before the last suffix of the index name;
            // some hand-made repos put it before ".safetensors": accept both.
            c.indexes.push_back(b + ".safetensors.index.fp16.json");
            c.indexes.push_back(b + ".fp16.safetensors.index.json");
        } else {
            c.singles.push_back(b + ".safetensors");
            c.indexes.push_back(b + ".safetensors.index.json");
        }
    }
    return c;
}

bool isPickleName(const std::string& name)
{
    for (const char* ext : {".bin", ".ckpt", ".pt", ".pth", ".pkl"}) {
        const std::string e = ext;
        if (name.size() >= e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) return true;
    }
    return false;
}

std::string pickleRefusal(const fs::path& where, const std::vector<std::string>& names)
{
    std::string list;
    for (size_t i = 0; i < names.size() && i < 3; ++i) list += (i ? ", " : "") + names[i];
    return "'" + where.string() + "' has only PyTorch pickle weights (" + list +
           "). Loading a pickle can run arbitrary code, so Inpaint Studio refuses it. Convert the model to "
           "safetensors (e.g. load it once in Python with diffusers and save_pretrained(..., "
           "safe_serialization=True)), or download the .safetensors files of the model.";
}

// Reads a sharded index and returns its shard files (in first-use order) and the weight map.
std::vector<fs::path> readShardIndex(const fs::path& indexPath, std::map<std::string, std::string>* weightMap)
{
    const auto j = readConfigJson(indexPath);
    const auto wm = j.find("weight_map");
    if (!j.is_object() || wm == j.end() || !wm->is_object() || wm->empty())
        throw WeightsError("The sharded weight index '" + indexPath.string() + "' has no 'weight_map' object.");
    std::vector<fs::path> shards;
    std::set<std::string> seen;
    for (auto it = wm->begin(); it != wm->end(); ++it) {
        if (!it.value().is_string())
            throw WeightsError("The sharded weight index '" + indexPath.string() + "' maps '" + it.key() +
                               "' to a non-string file name.");
        const std::string file = it.value().get<std::string>();
        // Shards live beside the index; a name with a path could point anywhere.
        if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos ||
            file == "." || file == "..")
            throw WeightsError("The sharded weight index '" + indexPath.string() + "' names an invalid shard file '" +
                               file + "'.");
        if (isPickleName(file)) throw WeightsError(pickleRefusal(indexPath, {file}));
        if (weightMap) (*weightMap)[it.key()] = file;
        if (seen.insert(file).second) {
            const auto p = indexPath.parent_path() / file;
            if (!isFile(p))
                throw WeightsError("The shard '" + p.string() + "' named by '" + indexPath.string() +
                                   "' does not exist.");
            shards.push_back(p);
        }
    }
    return shards;
}

}  // namespace

std::string toString(ModelKind kind)
{
    switch (kind) {
    case ModelKind::Sd1: return "sd1";
    case ModelKind::Sd2: return "sd2";
    case ModelKind::Sd1Inpaint: return "sd1-inpaint";
    case ModelKind::Sd2Inpaint: return "sd2-inpaint";
    case ModelKind::Sdxl: return "sdxl";
    case ModelKind::SdxlInpaint: return "sdxl-inpaint";
    case ModelKind::Unknown: break;
    }
    return "unknown";
}

bool isSdxl(ModelKind kind) { return kind == ModelKind::Sdxl || kind == ModelKind::SdxlInpaint; }

std::string familyName(ModelKind kind)
{
    switch (kind) {
    case ModelKind::Sd1:
    case ModelKind::Sd1Inpaint: return "SD 1.x";
    case ModelKind::Sd2:
    case ModelKind::Sd2Inpaint: return "SD 2.x";
    case ModelKind::Sdxl:
    case ModelKind::SdxlInpaint: return "SDXL";
    case ModelKind::Unknown: break;
    }
    return "unknown";
}

DiffusersFolder DiffusersFolder::open(const fs::path& root)
{
    if (isFile(root)) {
        const std::string name = root.filename().string();
        if (isPickleName(name)) throw WeightsError(pickleRefusal(root, {name}));
        throw ConfigError("'" + root.string() +
                          "' is a single file; Inpaint Studio loads models in the diffusers folder layout "
                          "(a folder with model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/). "
                          "Convert single-file checkpoints with diffusers first.");
    }
    if (!isDir(root)) throw ConfigError("The model folder '" + root.string() + "' does not exist.");
    const fs::path indexPath = root / "model_index.json";
    if (!isFile(indexPath))
        throw ConfigError("'" + root.string() +
                          "' is not a diffusers model folder: it has no model_index.json.");
    DiffusersFolder f;
    f.m_root = root;
    f.m_index = readConfigJson(indexPath);
    if (!f.m_index.is_object())
        throw FormatError("'" + indexPath.string() + "' is not a JSON object.");
    return f;
}

std::string DiffusersFolder::pipelineClass() const
{
    const auto it = m_index.find("_class_name");
    return (it != m_index.end() && it->is_string()) ? it->get<std::string>() : std::string();
}

std::vector<std::string> DiffusersFolder::components() const
{
    std::vector<std::string> out;
    for (auto it = m_index.begin(); it != m_index.end(); ++it) {
        if (!it.key().empty() && it.key()[0] == '_') continue;
        const auto& v = it.value();
        if (v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) out.push_back(it.key());
    }
    std::sort(out.begin(), out.end());
    return out;
}

bool DiffusersFolder::hasComponent(const std::string& name) const
{
    const auto c = components();
    return std::find(c.begin(), c.end(), name) != c.end();
}

std::string DiffusersFolder::componentClass(const std::string& name) const
{
    if (!hasComponent(name)) return {};
    return m_index[name][1].get<std::string>();
}

fs::path DiffusersFolder::componentDir(const std::string& name) const
{
    const fs::path d = m_root / name;
    if (!isDir(d))
        throw ConfigError("The model folder '" + m_root.string() + "' has no '" + name +
                          "' component folder" + (hasComponent(name) ? " although model_index.json lists it." : "."));
    return d;
}

fs::path DiffusersFolder::componentConfigPath(const std::string& name) const
{
    const fs::path dir = componentDir(name);
    fs::path p;
    if (name == "scheduler") p = dir / "scheduler_config.json";
    else if (name == "tokenizer" || name == "tokenizer_2") p = dir / "tokenizer_config.json";
    else p = dir / "config.json";
    if (!isFile(p)) throw ConfigError("The '" + name + "' component has no config file '" + p.string() + "'.");
    return p;
}

nlohmann::json DiffusersFolder::componentConfig(const std::string& name) const
{
    const auto p = componentConfigPath(name);
    auto j = readConfigJson(p);
    if (!j.is_object()) throw FormatError("The config file '" + p.string() + "' is not a JSON object.");
    return j;
}

WeightFiles DiffusersFolder::weightFiles(const std::string& name, bool preferFp16) const
{
    const fs::path dir = componentDir(name);
    const bool order[2] = {preferFp16, !preferFp16};
    for (bool fp16 : order) {
        const Candidates c = candidates(fp16);
        for (const auto& s : c.singles) {
            if (isFile(dir / s)) {
                WeightFiles w;
                w.files.push_back(dir / s);
                w.fp16Variant = fp16;
                return w;
            }
        }
        for (const auto& i : c.indexes) {
            if (isFile(dir / i)) {
                WeightFiles w;
                w.index = dir / i;
                w.files = readShardIndex(w.index, nullptr);
                w.fp16Variant = fp16;
                return w;
            }
        }
    }
    // No safetensors: say why if there are pickles, otherwise what was expected.
    std::vector<std::string> pickles;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string fn = e.path().filename().string();
        if (e.is_regular_file() && isPickleName(fn)) pickles.push_back(fn);
    }
    std::sort(pickles.begin(), pickles.end());
    if (!pickles.empty()) throw WeightsError(pickleRefusal(dir, pickles));
    throw WeightsError("The '" + name + "' component in '" + dir.string() +
                       "' has no weights: expected diffusion_pytorch_model.safetensors or model.safetensors "
                       "(or a .fp16 variant, or a sharded *.safetensors.index.json).");
}

std::vector<std::shared_ptr<SafetensorsFile>> DiffusersFolder::openWeights(const std::string& name,
                                                                            bool preferFp16) const
{
    std::vector<std::shared_ptr<SafetensorsFile>> out;
    for (const auto& p : weightFiles(name, preferFp16).files) out.push_back(SafetensorsFile::open(p));
    return out;
}

std::map<std::string, torch::Tensor> DiffusersFolder::loadWeights(const std::string& name, bool preferFp16) const
{
    const WeightFiles w = weightFiles(name, preferFp16);
    std::map<std::string, torch::Tensor> out;
    if (w.index.empty()) {
        const auto f = SafetensorsFile::open(w.files.front());
        for (const auto& n : f->names()) out.emplace(n, f->tensor(n));
        return out;
    }
    // Sharded: every key of the weight map must be in the shard it names, and no shard may hold
    // a tensor the map does not list (that would be silently dropped otherwise).
    std::map<std::string, std::string> weightMap;
    readShardIndex(w.index, &weightMap);
    std::map<std::string, std::shared_ptr<SafetensorsFile>> shards;
    for (const auto& p : w.files) shards[p.filename().string()] = SafetensorsFile::open(p);
    for (const auto& [key, file] : weightMap) {
        const auto& f = shards.at(file);
        if (!f->contains(key))
            throw WeightsError("The sharded weight index '" + w.index.string() + "' puts '" + key + "' in '" + file +
                               "', which does not contain it.");
        out.emplace(key, f->tensor(key));
    }
    for (const auto& [file, f] : shards)
        for (const auto& n : f->names())
            if (!weightMap.count(n) || weightMap.at(n) != file)
                throw WeightsError("The shard '" + f->path().string() + "' holds '" + n +
                                   "', which the index '" + w.index.string() + "' does not map to it.");
    return out;
}

ModelKind DiffusersFolder::detectKind() const
{
    if (!hasComponent("unet") && !isDir(m_root / "unet")) return ModelKind::Unknown;
    const auto unet = componentConfig("unet");
    // SDXL: the UNet takes the pooled text embedding and the size/crop ids (text_time).
    bool sdxl = false;
    if (const auto it = unet.find("addition_embed_type"); it != unet.end() && it->is_string())
        sdxl = it->get<std::string>() == "text_time";
    // Values of the wrong type make the kind unknown (json::value() would throw json's own error;
    // the UNet loader names the key when the model is loaded).
    int64_t inChannels = 4;
    if (const auto it = unet.find("in_channels"); it != unet.end()) {
        if (!it->is_number_integer()) return ModelKind::Unknown;
        inChannels = it->get<int64_t>();
    }
    int64_t crossDim = 0;
    if (const auto it = unet.find("cross_attention_dim"); it != unet.end() && it->is_number_integer())
        crossDim = it->get<int64_t>();
    if (sdxl) {
        if (inChannels == 4) return ModelKind::Sdxl;
        if (inChannels == 9) return ModelKind::SdxlInpaint;
        return ModelKind::Unknown;
    }
    bool sd2 = false;
    if (crossDim == 1024) {
        sd2 = true;
    } else if (crossDim == 768) {
        sd2 = false;
    } else {
        // Not a full-size model: the text encoder's family decides (OpenAI CLIP uses quick_gelu,
        // OpenCLIP ViT-H, which SD2 uses, gelu).
        try {
            const auto te = componentConfig("text_encoder");
            std::string act = "quick_gelu";
            if (const auto it = te.find("hidden_act"); it != te.end()) {
                if (!it->is_string()) return ModelKind::Unknown;
                act = it->get<std::string>();
            }
            if (act == "gelu") sd2 = true;
            else if (act != "quick_gelu") return ModelKind::Unknown;
        } catch (const ModelError&) {
            return ModelKind::Unknown;
        }
    }
    if (inChannels == 4) return sd2 ? ModelKind::Sd2 : ModelKind::Sd1;
    if (inChannels == 9) return sd2 ? ModelKind::Sd2Inpaint : ModelKind::Sd1Inpaint;
    return ModelKind::Unknown;
}

std::string DiffusersFolder::defaultScheduler() const
{
    if (isFile(m_root / "scheduler" / "scheduler_config.json")) {
        const auto j = componentConfig("scheduler");
        if (const auto it = j.find("_class_name"); it != j.end() && it->is_string()) return it->get<std::string>();
    }
    return componentClass("scheduler");
}

std::string DiffusersFolder::predictionType() const
{
    if (!isFile(m_root / "scheduler" / "scheduler_config.json")) return "epsilon";
    const auto j = componentConfig("scheduler");
    if (const auto it = j.find("prediction_type"); it != j.end() && it->is_string()) return it->get<std::string>();
    return "epsilon";
}

}  // namespace inpaint::models
