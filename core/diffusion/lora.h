// LoRA for the UNet and the CLIP text encoder, merged into the weights (what diffusers 0.25.1's
// fuse_lora does), with an exact restore.
//
// Files: .safetensors or torch.save .pt in kohya/A1111 naming (`lora_unet_<module path, '.' -> '_'>` and
// `lora_te_<path>` with `.lora_down.weight`, `.lora_up.weight`, `.alpha`), diffusers/PEFT naming
// (`unet.<path>.lora_A.weight` / `.lora_B.weight`, `text_encoder.<path>...`) and the old diffusers
// names (`<path>.lora.down/up.weight`, `<path>.processor.to_q_lora.down.weight`,
// `text_encoder.<path>.lora_linear_layer.down.weight`). Module types: LoRA on Linear and 1x1
// Conv2d, LoCon (k x k conv down, 1x1 conv up). LoHa, LoKr, Tucker (lora_mid), full-diff, DoRA
// and OFT modules are a FormatError naming the key and the type.
//
// Names are mapped without a hand-written table: a kohya name is looked up among the model's
// parameter names with '.' replaced by '_' (kohya's own rule), a dotted name directly.
//
// SDXL: kohya's `lora_te1_` / `lora_te2_` name the first and second text encoder, and its UNet
// modules carry sgm/LDM names (`lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q`,
// `..._output_blocks_2_2_conv`, `..._middle_block_0_in_layers_2`): the LDM block is renamed to
// its diffusers module by the single-file loader's rule (models/io/ldm_keys.h renameUnetKey) and
// the rest looked up inside it; diffusers/PEFT files use `text_encoder_2.`. A LoRA of the other
// family (lora_te1_/lora_te2_ on SD 1.x/2.x, lora_te_ on SDXL) is a models::WeightsError saying
// so before anything is merged.
//
// Scale of one module: multiplier x alpha / rank (alpha missing: = rank, factor 1). The merged
// weight is W' = W + scale * up @ down, computed in float32 and cast to W's dtype once; several
// LoRAs on one weight are added in float32 before that cast. diffusers 0.25.1 equivalence
// (tests/data/reference golden single_file lora_*): `cross_attention_kwargs={"scale": s}` (UNet)
// together with encode_prompt's lora_scale s (text encoder) is {unetScale = s, textEncoderScale =
// s}; `fuse_lora(lora_scale=s)` is the same pair.
//
// No Qt. Every call is on the worker thread that runs the model (weights change in place).
#pragma once

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace inpaint::diffusion {

class SdModel;

// One LoRA of a generation: A1111's <lora:name:te:unet> (<lora:name:m> is te = unet = m).
struct LoraSpec {
    std::filesystem::path file;
    double textEncoderScale = 1.0;
    double unetScale = 1.0;
    bool operator==(const LoraSpec&) const = default;
};

enum class LoraModuleType { LoRA, LoCon };

// One module of a LoRA file, before it is matched to a model.
struct LoraModule {
    std::string name;           // as in the file, without the weight suffix
    torch::Tensor down;         // [rank, in] or [rank, in, kh, kw]
    torch::Tensor up;           // [out, rank] or [out, rank, 1, 1]
    std::optional<double> alpha;
    int64_t rank() const { return down.size(0); }
    double alphaOverRank() const { return alpha ? *alpha / static_cast<double>(rank()) : 1.0; }
    LoraModuleType type() const;  // LoCon when down is a conv with a kernel larger than 1x1
};

struct LoraFileContents {
    std::filesystem::path path;
    std::vector<LoraModule> modules;          // sorted by name
    std::vector<std::string> ignoredKeys;     // tensors that are no LoRA weight (e.g. bundled embeddings)
    std::map<std::string, std::string> metadata;
};

// Reads and checks a LoRA file: .safetensors, or a torch.save zip (.pt / .ckpt / .pth / .bin, read
// by models/io/torch_checkpoint.h without running code; its non-tensor entries become ignoredKeys).
// Throws models::FormatError for another extension, and (naming the file and key) for an
// unsupported module type, a module without its down or up weight, non-2-D/4-D weights,
// rank(down) != rank(up), a non-scalar alpha.
LoraFileContents readLoraFile(const std::filesystem::path& path);

struct LoraApplySummary {
    static constexpr size_t kMaxNames = 8;
    bool changed = false;               // false: this list was already applied; nothing was done
    int files = 0;
    int64_t unetModules = 0;            // modules merged (all files together)
    int64_t textEncoderModules = 0;     // both text encoders on SDXL
    int64_t zeroScaleModules = 0;       // matched, but their multiplier is 0: not merged
    int64_t unmatchedModules = 0;       // modules naming no weight of this model (counted, skipped)
    std::vector<std::string> unmatchedNames;  // the first kMaxNames, "<file name>: <module>"
    int64_t ignoredKeys = 0;            // tensors that are no LoRA weight
    std::vector<std::string> ignoredNames;    // the first kMaxNames
    int64_t touchedWeights = 0;         // distinct weights changed (each has a backup)
    int64_t backupBytes = 0;            // memory held by those backups (CPU)
};

// The LoRA state of one model: which LoRAs are merged into its text encoder and UNet, and the
// original values of the weights they changed. Keeps the modules alive; must not be shared
// between threads, and nothing else may write those weights while LoRAs are applied.
class LoraState {
public:
    // textEncoder2: SDXL's second text encoder, or null. family: "SD 1.x", "SDXL", ... for messages
    // ("" when unknown). unetLayersPerBlock: the UNet's layers_per_block (LDM-named modules).
    LoraState(std::shared_ptr<torch::nn::Module> textEncoder, std::shared_ptr<torch::nn::Module> unet,
              std::shared_ptr<torch::nn::Module> textEncoder2 = nullptr, std::string family = {},
              int64_t unetLayersPerBlock = 2);
    explicit LoraState(SdModel& model);   // its text encoder(s) and UNet
    ~LoraState();
    LoraState(const LoraState&) = delete;
    LoraState& operator=(const LoraState&) = delete;

    // Makes `loras` (in order) the merged set. The same list as now (same files, unchanged on
    // disk: size and modification time, same scales) is a no-op (summary.changed == false).
    // Otherwise every file is read and every matched module checked against its weight's shape
    // first: on any error (unreadable file, unsupported type, a LoRA for another base: a
    // models::WeightsError naming the key and both shapes) nothing has changed and the previous
    // set stays applied. Then the weights are restored from the backups and the new set merged;
    // an error while merging restores the original weights and leaves no LoRA applied.
    LoraApplySummary apply(const std::vector<LoraSpec>& loras);
    // Original weights back, bit for bit; backups freed. Same as apply({}).
    void restore();

    const std::vector<LoraSpec>& applied() const { return m_applied; }
    const LoraApplySummary& lastSummary() const { return m_summary; }
    int64_t backupBytes() const;

    struct Target;   // one model (implementation detail)
private:
    struct Backup {
        Target* target;
        std::string param;
        torch::Tensor original;   // CPU copy, same dtype
    };
    struct FileStamp {
        uintmax_t size = 0;
        int64_t mtime = 0;
        bool operator==(const FileStamp&) const = default;
    };
    void restoreInternal();

    std::unique_ptr<Target> m_textEncoder;
    std::unique_ptr<Target> m_unet;
    std::unique_ptr<Target> m_textEncoder2;  // SDXL only
    std::string m_family;
    int64_t m_layersPerBlock = 2;
    std::vector<LoraSpec> m_applied;
    std::vector<FileStamp> m_stamps;
    std::vector<Backup> m_backups;
    LoraApplySummary m_summary;
};

}  // namespace inpaint::diffusion
