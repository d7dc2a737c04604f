// The Stable Diffusion inpainting pipelines on one loaded SdModel. Mirrors diffusers 0.25.1:
//   Img2Img      StableDiffusionImg2ImgPipeline (no mask)
//   InpaintUnet  StableDiffusionInpaintPipeline with a 9-channel UNet
//   Blend/Next   StableDiffusionInpaintPipeline's 4-channel branch: after step i the latents outside
//                the mask are image_latents noised to timesteps[i+1]; clean latents after the last
//   Blend/Current the seed article's variant (img2img + add_noise(init_latents, noise, t) with the
//                CURRENT t after every step, the last included)
// An SDXL model (SdModel::isSdxl) runs the same walks as StableDiffusionXLInpaintPipeline /
// StableDiffusionXLImg2ImgPipeline: both text encoders and the pooled embedding (encode_prompt,
// force_zeros_for_empty_prompt), add_time_ids from PipelineParams' micro-conditioning, the VAE in
// SdModel::vaeDtype (force_upcast); draws and steps are the same as SD's.
// runPipeline walks StableDiffusionInpaintPipeline.__call__'s numbered steps under its names
// (pipeline.cpp). Random draws happen in diffusers' order and shapes from one RandomSource (CPU
// generator, then moved to the device), so a seed gives diffusers' image. Tensors in and out are
// CPU float32.
#pragma once

#include "core/diffusion/schedulers/random_source.h"

#include <torch/types.h>

#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace inpaint::diffusion {

class SdModel;
class EmbeddingDatabase;

enum class PipelineMode { Img2Img, Blend, InpaintUnet };
enum class BlendTiming { Next, Current };
// What the masked area starts from (blend and img2img only; inpaint-unet ignores it):
// Original — the image as given (callers pre-fill it for "fill"); LatentNoise — the latents under
// the mask are replaced by pure noise at the starting noise level.
enum class MaskedContent { Original, LatentNoise };
// How classifier-free guidance runs the UNet's two halves: Together as diffusers does (one call
// with a batch of 2), Apart (two batch-1 calls, a cancel can land between them), Auto: whichever
// is faster (cfgBatchTogether: together, measured on CPU and GPU). INPAINT_CFG_BATCH=1|2 overrides Auto.
enum class CfgBatch { Auto, Together, Apart };

struct PipelineParams {
    PipelineMode mode = PipelineMode::InpaintUnet;
    BlendTiming blendTiming = BlendTiming::Next;
    MaskedContent maskedContent = MaskedContent::Original;
    std::string prompt;
    std::optional<std::string> negativePrompt;  // nullopt = diffusers' None ("" for the uncond half)
    std::string scheduler = "default";          // a name from schedulerNames()
    int steps = 50;
    double guidance = 7.5;                      // > 1 enables classifier-free guidance
    double strength = 1.0;                      // (0, 1]
    double eta = 0.0;                           // DDIM only
    // When true, the starting noise is the first draw of a fresh generator with `noiseSeed`
    // (shape [1, C, h, w]) whatever the pipeline, instead of the draw at the pipeline's place in
    // diffusers' order (which is still made, so every other draw stays where diffusers has it).
    // Compare mode uses it so slots of different pipelines start from the same noise.
    bool sharedNoise = false;
    uint64_t noiseSeed = 0;
    // Prompts in AUTOMATIC1111's syntax (prompt_conditioning.h): weights, BREAK, chunks of 75
    // tokens, <lora:...> tags removed (the caller applies them), textual-inversion triggers. A
    // prompt without syntax of under 76 tokens gives exactly diffusers' embeddings. Off: diffusers'
    // encode_prompt (brackets are text; truncated at 77 tokens).
    bool a1111Prompt = true;
    int clipSkip = 1;                                 // A1111's "Clip skip" (1 = last layer)
    const EmbeddingDatabase* embeddings = nullptr;    // textual inversion; null = none
    const EmbeddingDatabase* embeddings2 = nullptr;   // SDXL: the second text encoder's vectors (clip_g)
    // The final decode, latents (times the scaling factor) -> image [1, 3, H, W] in [0, 1], float32
    // on the CPU; empty: the model's VAE (decodeLatents). The tiny VAE's decoder is one.
    std::function<torch::Tensor(const torch::Tensor&)> finalDecoder;
    CfgBatch cfgBatch = CfgBatch::Auto;
    // Soft inpainting (ComfyUI's Differential Diffusion): the mask's grey value v says how much a
    // pixel may change. Step i keeps a latent pixel on the noised original unless v >= the step's
    // threshold (softInpaintThresholds), so v = 1 follows the model from the first step, v = 0.3 only
    // over the last ~30 % of the noise levels, v = 0 never. The mask is not binarised; a mask of
    // only 0 and 1 gives exactly the binary run. Not in diffusers.
    bool softInpaint = false;
    // SDXL micro-conditioning (diffusers' original_size, crops_coords_top_left, target_size; height
    // or top first). nullopt: diffusers' defaults, the image's size, (0, 0) and the image's size.
    // The negative half uses the same ids (the inpaint and img2img pipelines without an aesthetic
    // score). Ignored by SD 1.x / 2.x models.
    std::optional<std::array<int64_t, 2>> originalSize, cropsCoordsTopLeft, targetSize;
};

// SDXL's add_time_ids for an image of height x width: [orig_h, orig_w, top, left, target_h,
// target_w] as a [1, 6] float32 tensor, with params' overrides.
torch::Tensor sdxlTimeIds(const PipelineParams& params, int64_t height, int64_t width);

// Soft inpainting's per-step thresholds for a run's timesteps (the tail that strength leaves):
// threshold_i = t_i / t_0 as ComfyUI's DifferentialDiffusion computes it from the first and the
// last noise level (the schedule ends at sigma_min, timestep 0), so step 0 has 1 and the last
// step t_last / t_0 > 0. A timestep of 0 (linspace schedules end there) gets 1e-6: a pixel of
// mask 0 never follows the model.
std::vector<double> softInpaintThresholds(const std::vector<double>& timesteps);
// The latent mask of one step: 1 where softMask >= threshold (the pixel follows the model), else 0.
torch::Tensor softStepMask(const torch::Tensor& softMask, double threshold);

// What `choice` resolves to for a model on `device` in `dtype` (true: one batch-2 call per step).
bool cfgBatchTogether(CfgBatch choice, const c10::Device& device, c10::ScalarType dtype);

// Checks params against diffusers' limits; throws models::ConfigError with a clear sentence.
// runPipeline's "1. Check inputs" calls it, with the checks of the model and the input tensors.
void validateParams(const PipelineParams& params);

struct StepInfo {
    int step = 0;                 // 1-based
    int total = 0;
    double timestep = 0.0;
    torch::Tensor latents;        // after the step (and the blend), model device
    torch::Tensor predictedClean; // x0 estimate in latent space, known region blended in
};
using StepCallback = std::function<void(const StepInfo&)>;

enum class PipelineStatus { Ok, Canceled };

struct PipelineOutput {
    PipelineStatus status = PipelineStatus::Ok;
    torch::Tensor image;          // [1, 3, H, W] float32 CPU in [0, 1] (diffusers' output_type="np" values)
    torch::Tensor latents;        // final latents before decoding, float32 CPU
    std::vector<double> timesteps;
};

struct PipelineInputs {
    torch::Tensor image;  // [1, 3, H, W] float32 in [-1, 1]; H, W multiples of the VAE scale factor
    torch::Tensor mask;   // [1, 1, H, W] float32 in [0, 1], 1 = repaint (binarised at 0.5 here); unused by Img2Img
};

// Runs one generation. `cancel` is checked before every UNet evaluation (so also between the two
// CFG halves) and before decoding; a cancelled run returns promptly with status Canceled.
PipelineOutput runPipeline(SdModel& model, const PipelineInputs& inputs, const PipelineParams& params,
                           RandomSource& random, const StepCallback& onStep = {},
                           const std::atomic<bool>* cancel = nullptr);

// Decodes latents (already in latent space, not divided by the scaling factor) to an image
// [1, 3, H, W] float32 CPU in [0, 1]: the "full" preview decoder.
torch::Tensor decodeLatents(SdModel& model, const torch::Tensor& latents);

}  // namespace inpaint::diffusion
