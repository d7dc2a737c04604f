// SdModel: one Stable Diffusion checkpoint (diffusers folder) loaded for inference — tokenizer,
// CLIP text encoder, UNet, VAE and the checkpoint's scheduler config — on one device and dtype.
// Loading is strict (see models/io/state_dict.h); every failure is a models::ModelError.
#pragma once

#include "core/diffusion/schedulers/scheduler_config.h"
#include "models/io/diffusers_folder.h"
#include "models/io/single_file.h"
#include "models/nn/bf16_probe.h"
#include "models/vae/latent_distribution.h"

#include <torch/types.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace inpaint::models {
class ClipTokenizer;
class ClipTextModel;
class UNet2DConditionModel;
class AutoencoderKL;
}  // namespace inpaint::models

namespace inpaint::diffusion {

class LoraState;

struct ModelLoadOptions {
    torch::Device device = torch::kCPU;
    torch::ScalarType dtype = torch::kFloat32;   // compute dtype of the networks
    bool preferFp16Weights = false;              // pick *.fp16.safetensors when both exist
    models::SingleFileOptions singleFile;        // for a single-file checkpoint (ignored for folders)
    std::filesystem::path vae;                   // a VAE file or folder replacing the model's own; empty: none
};

enum class VaeTiling { Auto, On, Off };
// "auto", "on", "off" -> VaeTiling. Throws models::ConfigError otherwise.
VaeTiling parseVaeTiling(const std::string& name);

// stage: "tokenizer", "text_encoder", "unet", "vae"; fraction in [0, 1] of the whole load.
using LoadProgress = std::function<void(const std::string& stage, double fraction)>;

// "cpu", "cuda", "auto" (cuda when available) -> device. Throws models::ConfigError otherwise.
torch::Device parseDevice(const std::string& name);
// The compute dtype a request gets, and why, in words for the status bar and the CLI's summary.
struct DtypeChoice {
    torch::ScalarType dtype = torch::kFloat32;
    std::string why;        // e.g. "auto: this CPU has AVX-512 BF16"
    bool fellBack = false;  // the asked-for dtype cannot run here; `why` says what runs instead
};
// "auto": fp16 on CUDA; on the CPU bf16 where it runs natively (AVX-512 BF16, detected at run time)
// and a speed probe run once per process measures it at least kBf16MinSpeedup (1.2x) fp32's speed
// on a UNet step's mix of ops (models/nn/bf16_probe.h); fp32 elsewhere. bf16's error against fp32 is measured by test_bf16_accuracy and
// `inpaint-bench --accuracy` (README, Speed). $INPAINT_AUTO_DTYPE=fp32|bf16 pins what auto means
// on the CPU (the test suite pins fp32: its goldens are fp32 diffusers runs).
// "fp16" on the CPU (LibTorch has no fp16 CPU kernels) falls back to the CPU's auto choice.
// Unknown names throw models::ConfigError.
DtypeChoice resolveDtype(const std::string& name, torch::Device device);
torch::ScalarType parseDtype(const std::string& name, torch::Device device);  // resolveDtype(...).dtype
// auto's CPU rule on a CPU with AVX-512 BF16, given the probe's measurement (for tests).
DtypeChoice chooseCpuDtype(const models::nn::Bf16Probe& probe);
std::string dtypeName(torch::ScalarType t);

class SdModel {
public:
    // `root` is a diffusers folder or a single-file checkpoint (.safetensors / .ckpt).
    static std::shared_ptr<SdModel> load(const std::filesystem::path& root, const ModelLoadOptions& options,
                                         const LoadProgress& progress = {});
    ~SdModel();

    const std::filesystem::path& root() const { return m_root; }
    models::ModelKind kind() const { return m_kind; }
    torch::Device device() const { return m_options.device; }
    torch::ScalarType dtype() const { return m_options.dtype; }
    const SchedulerConfigSource& schedulerSource() const { return m_scheduler; }
    // How it was loaded, for `inpaint-cli info` and the status bar: "diffusers folder", or the
    // single file's family, configs, prediction type and EMA choice; and the VAE used.
    const std::string& sourceDescription() const { return m_description; }

    // SDXL (base or inpainting): two text encoders, the pooled embedding and the size/crop ids.
    bool isSdxl() const { return models::isSdxl(m_kind); }
    // model_index.json's force_zeros_for_empty_prompt (SDXL; true when absent or a single file):
    // a negative prompt that is None (or empty, in A1111 syntax) conditions on zeros.
    bool forceZerosForEmptyPrompt() const { return m_forceZerosForEmptyPrompt; }
    // The VAE's own dtype: the model's, except fp16 with force_upcast (SDXL's VAE overflows in
    // fp16; diffusers upcasts it to fp32 around encode and decode, and so does this engine).
    torch::ScalarType vaeDtype() const { return m_vaeDtype; }
    int64_t unetInChannels() const;
    int64_t latentChannels() const;
    int64_t vaeScaleFactor() const;
    // diffusers' default output size: unet.config.sample_size * vae_scale_factor (512 for SD 1.x
    // and 2.x inpainting, 768 for SD 2.x 768-v); 512 when the config has no sample_size.
    int64_t nativeSize() const;
    double scalingFactor() const;
    // Bytes held by the networks' parameters and buffers (what caching this model costs).
    int64_t memoryBytes() const;

    // Token ids [1, 77] for one prompt (CPU, int64).
    torch::Tensor tokenize(const std::string& text) const;
    // Prompt embeddings [1, 77, D] (last_hidden_state, as SD pipelines use), in the model dtype.
    // SD 1.x / 2.x only (SDXL: sdxl_conditioning.h).
    torch::Tensor encodePrompt(const std::string& text);
    // One UNet evaluation: sample [B, C, h, w] (any float dtype; cast to the model's), timestep.
    torch::Tensor unetForward(const torch::Tensor& sample, double timestep, const torch::Tensor& encoderHiddenStates);
    // SDXL: with the added conditioning, textEmbeds [B, P] and timeIds [B, 6] (cast here).
    torch::Tensor unetForward(const torch::Tensor& sample, double timestep, const torch::Tensor& encoderHiddenStates,
                              const torch::Tensor& textEmbeds, const torch::Tensor& timeIds);
    // Posterior of the VAE encoder for an image [1, 3, H, W] in [-1, 1] (model dtype):
    // vae.encode(image).latent_dist; tiled as vaeTiling() says.
    models::LatentDistribution vaeEncode(const torch::Tensor& image);
    // Decoder output [1, 3, H, W] (unclamped, roughly [-1, 1]) for latents already divided by the
    // scaling factor; tiled as vaeTiling() says.
    torch::Tensor vaeDecode(const torch::Tensor& latents);

    // VAE tiling (AutoencoderKL::tiledDecode, diffusers' enable_tiling): On tiles any image larger
    // than one tile (sample_size px), Auto those over kAutoTilePixels, Off none. Untiled, an image
    // whose decode would not fit in the memory available fails before it starts, saying how large
    // an image fits. Set per job by the caller (the worker), kept until changed.
    static constexpr int64_t kAutoTilePixels = int64_t{1024} * 1024;
    void setVaeTiling(VaeTiling t) { m_vaeTiling = t; }
    VaeTiling vaeTiling() const { return m_vaeTiling; }
    bool tilesVae(int64_t height, int64_t width) const;  // would an image of this size be tiled
    // Rough peak bytes of an untiled VAE decode of a height x width image in the model's dtype.
    int64_t vaeDecodeBytes(int64_t height, int64_t width) const;

    // The networks themselves, for the prompt conditioning (A1111 syntax, embeddings) and LoRA,
    // which work on them directly. Worker thread, like every other call here.
    const models::ClipTokenizer& tokenizer() const;
    models::ClipTextModel& textEncoder();
    // SDXL's second tokenizer and text encoder (CLIPTextModelWithProjection, OpenCLIP bigG in the
    // real models); hasTextEncoder2() is false for SD 1.x / 2.x, where these throw ConfigError.
    bool hasTextEncoder2() const;
    const models::ClipTokenizer& tokenizer2() const;
    models::ClipTextModel& textEncoder2();
    models::UNet2DConditionModel& unet();
    models::AutoencoderKL& vae();
    // The LoRAs merged into this model's weights (lora.h); created on first use. Worker thread.
    LoraState& loras();

private:
    SdModel() = default;
    struct Nets;
    std::filesystem::path m_root;
    models::ModelKind m_kind = models::ModelKind::Unknown;
    std::string m_description;
    ModelLoadOptions m_options;
    VaeTiling m_vaeTiling = VaeTiling::Auto;
    bool m_forceZerosForEmptyPrompt = true;
    torch::ScalarType m_vaeDtype = torch::kFloat32;
    SchedulerConfigSource m_scheduler;
    std::unique_ptr<Nets> m_nets;
    std::unique_ptr<LoraState> m_loras;
};

}  // namespace inpaint::diffusion
