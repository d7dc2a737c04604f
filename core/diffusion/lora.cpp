// LoRA files read, matched to the model's weights and merged in place, with exact restore (lora.h).
#include "core/diffusion/lora.h"

#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/errors.h"
#include "models/io/ldm_keys.h"
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include "models/nn/conv.h"
#include "models/unet/unet_2d_condition.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <regex>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace inpaint::diffusion {

namespace {

enum class Role { Down, Up, Alpha, Unsupported, Ignored };

struct Classified {
    Role role = Role::Ignored;
    std::string module;   // name without the suffix
    std::string type;     // for Unsupported: what the module is
};

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool startsWith(const std::string& s, const std::string& prefix)
{
    return s.rfind(prefix, 0) == 0;
}

Classified classify(const std::string& key)
{
    struct Suffix {
        const char* suffix;
        Role role;
        const char* type;
    };
    // Longest-first where one could end another; "_lora.down.weight" is the attention processors'
    // old diffusers naming (to_q_lora.down.weight): the module is the name without "_lora".
    static const Suffix table[] = {
        {".lora_down.weight", Role::Down, nullptr},
        {".lora_up.weight", Role::Up, nullptr},
        {".lora_A.weight", Role::Down, nullptr},
        {".lora_B.weight", Role::Up, nullptr},
        {".lora_linear_layer.down.weight", Role::Down, nullptr},
        {".lora_linear_layer.up.weight", Role::Up, nullptr},
        {".lora.down.weight", Role::Down, nullptr},
        {".lora.up.weight", Role::Up, nullptr},
        {"_lora.down.weight", Role::Down, nullptr},
        {"_lora.up.weight", Role::Up, nullptr},
        {".alpha", Role::Alpha, nullptr},
        {".hada_w1_a", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".hada_w1_b", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".hada_w2_a", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".hada_w2_b", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".hada_t1", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".hada_t2", Role::Unsupported, "LoHa (LyCORIS Hadamard product)"},
        {".lokr_w1", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_w2", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_w1_a", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_w1_b", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_w2_a", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_w2_b", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lokr_t2", Role::Unsupported, "LoKr (LyCORIS Kronecker product)"},
        {".lora_mid.weight", Role::Unsupported, "LoCon with a Tucker decomposition (lora_mid)"},
        {".diff", Role::Unsupported, "full weight difference (LyCORIS 'full')"},
        {".diff_b", Role::Unsupported, "full weight difference (LyCORIS 'full')"},
        {".dora_scale", Role::Unsupported, "DoRA"},
        {".lora_magnitude_vector", Role::Unsupported, "DoRA"},
        {".lora_magnitude_vector.weight", Role::Unsupported, "DoRA"},
        {".oft_blocks", Role::Unsupported, "OFT"},
        {".oft_diag", Role::Unsupported, "OFT"},
        {".oft_R", Role::Unsupported, "OFT"},
        {".w_norm", Role::Unsupported, "LyCORIS norm"},
        {".b_norm", Role::Unsupported, "LyCORIS norm"},
        {".lora_embedding_A", Role::Unsupported, "embedding LoRA (PEFT lora_embedding_A/B)"},
        {".lora_embedding_B", Role::Unsupported, "embedding LoRA (PEFT lora_embedding_A/B)"},
    };
    for (const auto& s : table) {
        if (endsWith(key, s.suffix) && key.size() > std::char_traits<char>::length(s.suffix)) {
            Classified c;
            c.role = s.role;
            c.module = key.substr(0, key.size() - std::char_traits<char>::length(s.suffix));
            if (s.type) c.type = s.type;
            return c;
        }
    }
    return {};
}

std::string shapeString(at::IntArrayRef s)
{
    std::ostringstream os;
    os << "[";
    for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
    os << "]";
    return os.str();
}

// The part of a weight shape a LoRA "down" must match: sizes after the first, with a trailing
// 1x1 kernel dropped (a linear LoRA on a 1x1 conv and a 1x1-conv LoRA on a linear both fit).
std::vector<int64_t> inputCore(at::IntArrayRef s)
{
    std::vector<int64_t> v(s.begin() + 1, s.end());
    if (v.size() == 3 && v[1] == 1 && v[2] == 1) v.resize(1);
    return v;
}

std::string quoted(const fs::path& p)
{
    return "'" + p.string() + "'";
}

}  // namespace

LoraModuleType LoraModule::type() const
{
    return down.dim() == 4 && (down.size(2) > 1 || down.size(3) > 1) ? LoraModuleType::LoCon : LoraModuleType::LoRA;
}

LoraFileContents readLoraFile(const fs::path& path)
{
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    LoraFileContents out;
    out.path = path;
    std::map<std::string, torch::Tensor> tensors;
    if (ext == ".safetensors") {
        const auto file = models::SafetensorsFile::open(path);
        out.metadata = file->metadata();
        for (const std::string& key : file->names()) tensors.emplace(key, file->tensor(key));
    } else if (ext == ".pt" || ext == ".ckpt" || ext == ".pth" || ext == ".bin") {
        // torch.save zip, read without running code (models/io/torch_checkpoint.h); entries that
        // are no tensor are reported as ignored keys.
        std::vector<std::string> skipped;
        tensors = models::loadTorchStateDict(path, &skipped);
        out.ignoredKeys = std::move(skipped);
    } else {
        throw models::FormatError("LoRA file " + quoted(path) + ": unknown file type '" + ext +
                                  "' (.safetensors, or torch.save's .pt / .ckpt / .pth / .bin)");
    }

    struct Parts {
        torch::Tensor down, up, alpha;
        std::string downKey, upKey, alphaKey;
    };
    std::map<std::string, Parts> parts;
    for (const auto& [key, tensor] : tensors) {
        const Classified c = classify(key);
        if (c.role == Role::Ignored) {
            out.ignoredKeys.push_back(key);
            continue;
        }
        if (c.role == Role::Unsupported)
            throw models::FormatError("LoRA file " + quoted(path) + ": key '" + key + "' belongs to a " + c.type +
                                      " module, which is not supported (only LoRA and LoCon are)");
        Parts& p = parts[c.module];
        torch::Tensor* slot = c.role == Role::Down ? &p.down : c.role == Role::Up ? &p.up : &p.alpha;
        std::string* slotKey = c.role == Role::Down ? &p.downKey : c.role == Role::Up ? &p.upKey : &p.alphaKey;
        if (slot->defined())
            throw models::FormatError("LoRA file " + quoted(path) + ": module '" + c.module + "' has both '" + *slotKey +
                                      "' and '" + key + "'");
        *slot = tensor;
        *slotKey = key;
        if (!at::isFloatingType(slot->scalar_type()))
            throw models::FormatError("LoRA file " + quoted(path) + ": '" + key + "' is not a floating-point tensor");
    }
    for (auto& [name, p] : parts) {
        const std::string where = "LoRA file " + quoted(path) + ": module '" + name + "'";
        if (!p.down.defined() && !p.up.defined()) {  // an alpha alone
            out.ignoredKeys.push_back(p.alphaKey);
            continue;
        }
        if (!p.down.defined() || !p.up.defined())
            throw models::FormatError(where + " has '" + (p.down.defined() ? p.downKey : p.upKey) + "' but no " +
                                      (p.down.defined() ? "up" : "down") + " weight");
        for (const auto* t : {&p.down, &p.up})
            if (t->dim() != 2 && t->dim() != 4)
                throw models::FormatError(where + ": weights must be 2-D or 4-D, '" +
                                          (t == &p.down ? p.downKey : p.upKey) + "' is " + shapeString(t->sizes()));
        if (p.up.size(1) != p.down.size(0))
            throw models::FormatError(where + ": rank of down " + shapeString(p.down.sizes()) + " and up " +
                                      shapeString(p.up.sizes()) + " differ");
        if (p.up.dim() == 4 && (p.up.size(2) != 1 || p.up.size(3) != 1))
            throw models::FormatError(where + ": up weight " + shapeString(p.up.sizes()) + " is not a 1x1 convolution");
        LoraModule m;
        m.name = name;
        m.down = p.down;
        m.up = p.up;
        if (p.alpha.defined()) {
            if (p.alpha.numel() != 1)
                throw models::FormatError(where + ": alpha '" + p.alphaKey + "' has shape " + shapeString(p.alpha.sizes()) +
                                          ", expected a scalar");
            const double a = p.alpha.to(torch::kFloat64).reshape({}).item<double>();
            if (!std::isfinite(a)) throw models::FormatError(where + ": alpha is not finite");
            m.alpha = a;
        }
        out.modules.push_back(std::move(m));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------

struct LoraState::Target {
    std::string label;
    std::shared_ptr<torch::nn::Module> module;
    std::map<std::string, std::vector<int64_t>> shapes;   // weight name -> shape (2-D / 4-D weights)
    std::map<std::string, std::string> kohya;             // name without ".weight", '.' -> '_'; "" = ambiguous

    Target(std::string l, std::shared_ptr<torch::nn::Module> m) : label(std::move(l)), module(std::move(m))
    {
        if (!module) throw std::invalid_argument("LoraState: no " + label + " module");
        for (const auto& item : module->named_parameters(true)) {
            const std::string& name = item.key();
            const torch::Tensor& t = item.value();
            if (!endsWith(name, ".weight") || (t.dim() != 2 && t.dim() != 4)) continue;
            shapes[name] = t.sizes().vec();
            std::string k = name.substr(0, name.size() - 7);
            std::replace(k.begin(), k.end(), '.', '_');
            auto [it, inserted] = kohya.emplace(k, name);
            if (!inserted) it->second.clear();
        }
    }

    std::optional<std::string> findKohya(const std::string& k) const
    {
        auto it = kohya.find(k);
        if (it == kohya.end() || it->second.empty()) return std::nullopt;
        return it->second;
    }

    std::optional<std::string> findDotted(std::string path) const
    {
        // Old diffusers attention processors: <block>.attnN.processor.to_q -> <block>.attnN.to_q,
        // processor.to_out -> to_out.0.
        const std::string proc = ".processor.";
        if (auto pos = path.find(proc); pos != std::string::npos) path.replace(pos, proc.size(), ".");
        if (endsWith(path, ".to_out")) path += ".0";
        if (shapes.count(path + ".weight")) return path + ".weight";
        return std::nullopt;
    }
};

namespace {

// A kohya UNet module named after the sgm/LDM UNet (SDXL LoRAs from sd-scripts), '_' for '.':
// the diffusers parameter it names, found through the single-file loader's LDM rule, or nullopt.
std::optional<std::string> ldmKohyaUnet(const LoraState::Target& unet, const std::string& name, int64_t layersPerBlock,
                                        bool textTime)
{
    static const std::regex kBlock(R"(^(input_blocks_(\d+)_(\d+)|middle_block_(\d+)|output_blocks_(\d+)_(\d+)|time_embed_(\d+)|label_emb_(\d+)_(\d+)|out_(\d+))(_(.+))?$)");
    std::smatch m;
    if (!std::regex_match(name, m, kBlock)) return std::nullopt;
    std::string block;
    if (m[2].matched) block = "input_blocks." + m[2].str() + "." + m[3].str() + ".";
    else if (m[4].matched) block = "middle_block." + m[4].str() + ".";
    else if (m[5].matched) block = "output_blocks." + m[5].str() + "." + m[6].str() + ".";
    else if (m[7].matched) block = "time_embed." + m[7].str() + ".";
    else if (m[8].matched) block = "label_emb." + m[8].str() + "." + m[9].str() + ".";
    else block = "out." + m[10].str() + ".";
    const std::string rest = m[12].matched ? m[12].str() : std::string();
    auto known = [&](const std::string& ldmKey) -> std::optional<std::string> {
        const std::string d = models::ldm::renameUnetKey(ldmKey, layersPerBlock, textTime);
        if (!d.empty() && unet.shapes.count(d)) return d;
        return std::nullopt;
    };
    if (rest.empty()) return known(block + "weight");
    // Inside a ResnetBlock or a down/upsampler the LDM names differ from diffusers' and have dots.
    static const char* const kInner[][2] = {{"in_layers_0", "in_layers.0"},   {"in_layers_2", "in_layers.2"},
                                             {"emb_layers_1", "emb_layers.1"}, {"out_layers_0", "out_layers.0"},
                                             {"out_layers_3", "out_layers.3"}, {"skip_connection", "skip_connection"},
                                             {"op", "op"},                     {"conv", "conv"}};
    for (const auto& [underscored, dotted] : kInner)
        if (rest == underscored)
            if (auto d = known(block + dotted + ".weight")) return d;
    // Inside a SpatialTransformer the names are diffusers' own: look the rest up under the block.
    std::string prefix = models::ldm::renameUnetKey(block, layersPerBlock, textTime);
    if (prefix.empty()) return std::nullopt;
    std::replace(prefix.begin(), prefix.end(), '.', '_');
    return unet.findKohya(prefix + rest);
}

// Which family a LoRA file's names belong to: "SDXL" (kohya lora_te1_/lora_te2_, PEFT
// text_encoder_2.), "SD 1.x/2.x" (kohya lora_te_), or "" (UNet-only or other names).
std::string loraFamily(const LoraFileContents& f)
{
    bool xl = false, sd = false;
    for (const LoraModule& m : f.modules) {
        xl = xl || startsWith(m.name, "lora_te1_") || startsWith(m.name, "lora_te2_") || startsWith(m.name, "text_encoder_2.");
        sd = sd || startsWith(m.name, "lora_te_");
    }
    if (xl == sd) return {};  // neither, or a file mixing both (its modules are matched one by one)
    return xl ? "SDXL" : "SD 1.x/2.x";
}

struct Resolved {
    LoraState::Target* target = nullptr;
    std::string param;
};

}  // namespace

LoraState::LoraState(std::shared_ptr<torch::nn::Module> textEncoder, std::shared_ptr<torch::nn::Module> unet,
                     std::shared_ptr<torch::nn::Module> textEncoder2, std::string family, int64_t unetLayersPerBlock)
    : m_textEncoder(std::make_unique<Target>(textEncoder2 ? "first text encoder" : "text encoder", std::move(textEncoder))),
      m_unet(std::make_unique<Target>("unet", std::move(unet))),
      m_textEncoder2(textEncoder2 ? std::make_unique<Target>("second text encoder", std::move(textEncoder2)) : nullptr),
      m_family(std::move(family)),
      m_layersPerBlock(unetLayersPerBlock)
{
}

LoraState::LoraState(SdModel& model)
    : LoraState(model.textEncoder().ptr(), model.unet().ptr(),
                model.hasTextEncoder2() ? model.textEncoder2().ptr() : nullptr, models::familyName(model.kind()),
                model.unet()->config().layersPerBlock.empty() ? 2 : model.unet()->config().layersPerBlock.front())
{
}

LoraState::~LoraState() = default;

int64_t LoraState::backupBytes() const
{
    int64_t n = 0;
    for (const auto& b : m_backups) n += static_cast<int64_t>(b.original.nbytes());
    return n;
}

void LoraState::restore()
{
    apply({});
}

void LoraState::restoreInternal()
{
    if (m_backups.empty()) return;
    c10::InferenceMode guard;
    std::map<Target*, torch::OrderedDict<std::string, torch::Tensor>> params;
    for (const auto& b : m_backups) {
        auto it = params.find(b.target);
        if (it == params.end()) it = params.emplace(b.target, b.target->module->named_parameters(true)).first;
        torch::Tensor* w = it->second.find(b.param);
        if (!w) throw models::WeightsError("LoRA restore: the " + b.target->label + " has no weight '" + b.param + "' any more");
        w->copy_(b.original);
    }
    m_backups.clear();
    for (auto& [t, unused] : params) models::nn::invalidatePackedConvs(*t->module);
}

LoraApplySummary LoraState::apply(const std::vector<LoraSpec>& loras)
{
    std::vector<FileStamp> stamps;
    for (const auto& spec : loras) {
        std::error_code ec;
        FileStamp s;
        s.size = fs::file_size(spec.file, ec);
        if (ec) throw models::ModelError("LoRA file " + quoted(spec.file) + " cannot be read: " + ec.message());
        s.mtime = static_cast<int64_t>(fs::last_write_time(spec.file, ec).time_since_epoch().count());
        stamps.push_back(s);
    }
    if (loras == m_applied && stamps == m_stamps) {
        LoraApplySummary s = m_summary;
        s.changed = false;
        return s;
    }

    // 1. Read every file and check every module against its weight, before anything changes.
    std::vector<LoraFileContents> files;
    files.reserve(loras.size());
    for (const auto& spec : loras) files.push_back(readLoraFile(spec.file));

    struct Contribution {
        const LoraModule* module;
        double multiplier;
    };
    // Keyed by (0 text encoder / 1 unet, weight name): a fixed order of merges.
    std::map<std::pair<int, std::string>, std::vector<Contribution>> plan;
    LoraApplySummary summary;
    summary.files = static_cast<int>(files.size());
    for (size_t i = 0; i < files.size(); ++i) {
        const LoraSpec& spec = loras[i];
        const std::string fileName = spec.file.filename().string();
        for (const std::string& k : files[i].ignoredKeys) {
            ++summary.ignoredKeys;
            if (summary.ignoredNames.size() < LoraApplySummary::kMaxNames) summary.ignoredNames.push_back(fileName + ": " + k);
        }
        // A LoRA of the other family: said before any name is matched.
        const std::string fileFamily = loraFamily(files[i]);
        const bool sdxlModel = m_textEncoder2 != nullptr;
        if (!fileFamily.empty() && (fileFamily == "SDXL") != sdxlModel)
            throw models::WeightsError("LoRA file " + quoted(spec.file) + " is an " + fileFamily + " LoRA (" +
                                       (fileFamily == "SDXL" ? "lora_te1_/lora_te2_ text encoder names"
                                                             : "lora_te_ text encoder names") +
                                       "), but the model is " + (m_family.empty() ? "of another family" : m_family) +
                                       ": use a LoRA made for " + (m_family.empty() ? "this model" : m_family) + ".");
        const bool textTime = sdxlModel;
        for (const LoraModule& m : files[i].modules) {
            Resolved r;
            if (startsWith(m.name, "lora_unet_")) {
                const std::string k = m.name.substr(10);
                if (auto p = m_unet->findKohya(k)) r = {m_unet.get(), *p};
                else if (auto q = ldmKohyaUnet(*m_unet, k, m_layersPerBlock, textTime)) r = {m_unet.get(), *q};
            } else if (startsWith(m.name, "lora_te_")) {
                if (auto p = m_textEncoder->findKohya(m.name.substr(8))) r = {m_textEncoder.get(), *p};
            } else if (startsWith(m.name, "lora_te1_") && m_textEncoder2) {
                if (auto p = m_textEncoder->findKohya(m.name.substr(9))) r = {m_textEncoder.get(), *p};
            } else if (startsWith(m.name, "lora_te2_") && m_textEncoder2) {
                if (auto p = m_textEncoder2->findKohya(m.name.substr(9))) r = {m_textEncoder2.get(), *p};
            } else if (startsWith(m.name, "unet.")) {
                if (auto p = m_unet->findDotted(m.name.substr(5))) r = {m_unet.get(), *p};
            } else if (startsWith(m.name, "text_encoder_2.") && m_textEncoder2) {
                if (auto p = m_textEncoder2->findDotted(m.name.substr(15))) r = {m_textEncoder2.get(), *p};
            } else if (startsWith(m.name, "text_encoder.")) {
                if (auto p = m_textEncoder->findDotted(m.name.substr(13))) r = {m_textEncoder.get(), *p};
            } else if (!startsWith(m.name, "lora_")) {
                if (auto p = m_unet->findDotted(m.name)) r = {m_unet.get(), *p};
                else if (auto q = m_textEncoder->findDotted(m.name)) r = {m_textEncoder.get(), *q};
            }
            if (!r.target) {
                ++summary.unmatchedModules;
                if (summary.unmatchedNames.size() < LoraApplySummary::kMaxNames)
                    summary.unmatchedNames.push_back(fileName + ": " + m.name);
                continue;
            }
            const std::vector<int64_t>& ws = r.target->shapes.at(r.param);
            const bool fits = m.up.size(0) == ws[0] && inputCore(m.down.sizes()) == inputCore(ws);
            if (!fits)
                throw models::WeightsError("LoRA file " + quoted(spec.file) + ": module '" + m.name + "' (up " +
                                           shapeString(m.up.sizes()) + ", down " + shapeString(m.down.sizes()) +
                                           ") does not fit " + r.target->label + " weight '" + r.param + "' " +
                                           shapeString(ws) + ": a LoRA for another base model" +
                                           (m_family.empty() ? std::string() : " (this model is " + m_family + ")") + "?");
            const bool te = r.target != m_unet.get();
            const double multiplier = te ? spec.textEncoderScale : spec.unetScale;
            if (multiplier == 0.0) {
                ++summary.zeroScaleModules;
                continue;
            }
            ++(te ? summary.textEncoderModules : summary.unetModules);
            plan[{r.target == m_textEncoder.get() ? 0 : r.target == m_unet.get() ? 1 : 2, r.param}].push_back({&m, multiplier});
        }
    }

    // 2. Back to the original weights, then merge the new set.
    c10::InferenceMode guard;
    restoreInternal();
    m_applied.clear();
    m_stamps.clear();
    m_summary = {};
    torch::OrderedDict<std::string, torch::Tensor> params[3] = {
        m_textEncoder->module->named_parameters(true), m_unet->module->named_parameters(true),
        m_textEncoder2 ? m_textEncoder2->module->named_parameters(true) : torch::OrderedDict<std::string, torch::Tensor>()};
    Target* targets[3] = {m_textEncoder.get(), m_unet.get(), m_textEncoder2.get()};
    try {
        for (const auto& [key, contributions] : plan) {
            torch::Tensor* w = params[key.first].find(key.second);
            if (!w) throw models::WeightsError("LoRA: the " + targets[key.first]->label + " has no weight '" + key.second + "'");
            m_backups.push_back({targets[key.first], key.second, w->to(torch::kCPU, w->scalar_type(), false, true)});
            // diffusers 0.25.1 _fuse_lora: w_up = w_up * alpha / rank; W + scale * (w_up @ w_down), in fp32.
            const auto f32 = torch::TensorOptions().device(w->device()).dtype(torch::kFloat32);
            torch::Tensor merged = w->to(torch::kFloat32);
            for (const Contribution& c : contributions) {
                torch::Tensor up = c.module->up.to(f32).flatten(1);
                const torch::Tensor down = c.module->down.to(f32).flatten(1);
                if (c.module->alpha) up = up * *c.module->alpha / static_cast<double>(c.module->rank());
                merged = merged + c.multiplier * at::mm(up, down).view(w->sizes());
            }
            w->copy_(merged);
        }
    } catch (...) {
        restoreInternal();
        throw;
    }
    models::nn::invalidatePackedConvs(*m_unet->module);
    models::nn::invalidatePackedConvs(*m_textEncoder->module);
    if (m_textEncoder2) models::nn::invalidatePackedConvs(*m_textEncoder2->module);

    summary.changed = true;
    summary.touchedWeights = static_cast<int64_t>(m_backups.size());
    summary.backupBytes = backupBytes();
    m_applied = loras;
    m_stamps = std::move(stamps);
    m_summary = summary;
    return summary;
}

}  // namespace inpaint::diffusion
