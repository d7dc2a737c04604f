// Stable Diffusion img2img / inpaint / blend loops. runPipeline() follows diffusers 0.25.1
// StableDiffusionInpaintPipeline.__call__ (pipelines/stable_diffusion/pipeline_stable_diffusion_inpaint.py)
// step by step, with its numbered comments; the helpers carry diffusers' method names
// (check_inputs, encode_prompt, get_timesteps, prepare_latents, _encode_vae_image,
// prepare_mask_latents, decode_latents). StableDiffusionImg2ImgPipeline.__call__
// (..._img2img.py) is the same walk without the mask: its "4. Preprocess image" / "5. set
// timesteps" are steps 5 / 4 here, its "6. Prepare latent variables" is prepareImg2ImgLatents,
// its "7. Prepare extra step kwargs" / "8. Denoising loop" are steps 9 / 10. The seed article's
// simple inpaint (Blend/Current) is img2img plus a blend after every step.
#include "core/diffusion/pipeline.h"

#include "core/diffusion/prompt_conditioning.h"

#include "core/diffusion/schedulers/scheduler.h"
#include "core/diffusion/schedulers/scheduler_factory.h"
#include "core/diffusion/sd_model.h"
#include "models/errors.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace inpaint::diffusion {

namespace F = torch::nn::functional;

bool cfgBatchTogether(CfgBatch choice, const c10::Device& device, c10::ScalarType dtype)
{
    if (choice == CfgBatch::Together) return true;
    if (choice == CfgBatch::Apart) return false;
    if (const char* env = std::getenv("INPAINT_CFG_BATCH")) {
        if (std::string(env) == "2") return true;
        if (std::string(env) == "1") return false;
    }
    // Measured on the 2-core EPYC (SD 1.5 UNet, 64x64 latents), since the engine's kernels run on
    // both cores (OpenMP): a 20-step 512 px bf16 job through the pipeline (inpaint-bench --job)
    // takes 4.10 s a step together against 4.50 s apart (+0.14 GiB peak); fp32 was already 9 %
    // faster together. GPUs run batches far better than two small calls. Apart stays available
    // (INPAINT_CFG_BATCH=1) for the memory it saves.
    (void)device;
    (void)dtype;
    return true;
}

void validateParams(const PipelineParams& p)
{
    auto fail = [](const std::string& s) { throw models::ConfigError(s); };
    if (p.steps < 1 || p.steps > 1000)
        fail("steps must be between 1 and 1000 (got " + std::to_string(p.steps) + ")");
    if (!(p.strength > 0.0 && p.strength <= 1.0))
        fail("strength must be in (0, 1] (got " + std::to_string(p.strength) + ")");
    if (!(p.guidance >= 0.0) || !std::isfinite(p.guidance))
        fail("guidance must be a finite number >= 0 (got " + std::to_string(p.guidance) + ")");
    if (!(p.eta >= 0.0 && p.eta <= 1.0)) fail("eta must be in [0, 1] (got " + std::to_string(p.eta) + ")");
    auto checkPair = [&](const std::optional<std::array<int64_t, 2>>& v, const char* what, int64_t min) {
        if (v && ((*v)[0] < min || (*v)[1] < min || (*v)[0] > 65536 || (*v)[1] > 65536))
            fail(std::string(what) + " must be two numbers from " + std::to_string(min) + " to 65536 (got " +
                 std::to_string((*v)[0]) + "," + std::to_string((*v)[1]) + ")");
    };
    checkPair(p.originalSize, "original size", 1);
    checkPair(p.cropsCoordsTopLeft, "crops coords top left", 0);
    checkPair(p.targetSize, "target size", 1);
    // diffusers: init_timestep = min(int(N * strength), N) must leave at least one step.
    if (static_cast<int>(p.steps * p.strength) < 1)
        fail("steps x strength leaves no denoising step (steps " + std::to_string(p.steps) + ", strength " +
             std::to_string(p.strength) + "): raise either");
}

torch::Tensor sdxlTimeIds(const PipelineParams& p, int64_t height, int64_t width)
{
    const std::array<int64_t, 2> size{height, width};
    const auto o = p.originalSize.value_or(size), c = p.cropsCoordsTopLeft.value_or(std::array<int64_t, 2>{0, 0}),
               t = p.targetSize.value_or(size);
    return torch::tensor({float(o[0]), float(o[1]), float(c[0]), float(c[1]), float(t[0]), float(t[1])}, torch::kFloat32)
        .unsqueeze(0);
}

std::vector<double> softInpaintThresholds(const std::vector<double>& timesteps)
{
    std::vector<double> out;
    if (timesteps.empty()) return out;
    const double from = timesteps.front();
    for (const double t : timesteps) out.push_back(from > 0 ? std::max(t / from, 1e-6) : 1.0);
    return out;
}

torch::Tensor softStepMask(const torch::Tensor& softMask, double threshold)
{
    return (softMask >= threshold).to(softMask.scalar_type());
}

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

// check_inputs, plus what diffusers checks later ("8. Check that sizes of mask, masked image and
// latents match", the VAE scale factor): the engine's one guard, so a wrong pipeline for the
// checkpoint fails before any network runs. Throws models::ConfigError.
void checkInputs(const SdModel& model, const PipelineInputs& in, const PipelineParams& p)
{
    validateParams(p);
    const bool inpaintUnet = p.mode == PipelineMode::InpaintUnet;
    const int64_t unetChannels = model.unetInChannels();
    const int64_t latentChannels = model.latentChannels();
    if (inpaintUnet && unetChannels != 2 * latentChannels + 1)
        throw models::ConfigError("the inpaint-unet pipeline needs an inpainting checkpoint (UNet with " +
                                  std::to_string(2 * latentChannels + 1) + " input channels); this UNet has " +
                                  std::to_string(unetChannels) + ": use the blend pipeline");
    if (!inpaintUnet && unetChannels != latentChannels)
        throw models::ConfigError("the " + std::string(p.mode == PipelineMode::Blend ? "blend" : "img2img") +
                                  " pipeline needs an ordinary checkpoint (UNet with " +
                                  std::to_string(latentChannels) + " input channels); this UNet has " +
                                  std::to_string(unetChannels) + ": use the inpaint-unet pipeline");
    if (!in.image.defined() || in.image.dim() != 4 || in.image.size(0) != 1 || in.image.size(1) != 3)
        throw models::ConfigError("the pipeline needs an image tensor of shape [1, 3, H, W]");
    const int64_t H = in.image.size(2), W = in.image.size(3), vsf = model.vaeScaleFactor();
    if (H % vsf != 0 || W % vsf != 0)
        throw models::ConfigError("image size " + std::to_string(W) + "x" + std::to_string(H) +
                                  " is not a multiple of the VAE scale factor " + std::to_string(vsf));
    const bool needMask = p.mode != PipelineMode::Img2Img;
    if (needMask && (!in.mask.defined() || in.mask.dim() != 4 || in.mask.size(2) != H || in.mask.size(3) != W))
        throw models::ConfigError("the mask must be a [1, 1, H, W] tensor of the image's size");
}

struct PromptEmbeds {
    torch::Tensor promptEmbeds;          // [1, 77, D]
    torch::Tensor negativePromptEmbeds;  // undefined without classifier-free guidance
    // SDXL only: pooled_prompt_embeds / negative_pooled_prompt_embeds [1, P]
    torch::Tensor pooledPromptEmbeds, negativePooledPromptEmbeds;
};

// encode_prompt: the prompt's embeddings and, with guidance, the negative prompt's (None -> "").
PromptEmbeds encodePrompt(SdModel& model, const std::string& prompt, bool doClassifierFreeGuidance,
                          const std::optional<std::string>& negativePrompt, const PipelineParams& params)
{
    PromptEmbeds e;
    if (model.isSdxl()) {
        // StableDiffusionXL*Pipeline.encode_prompt (prompt_conditioning.h, SDXL)
        PromptEncodeOptions o;
        o.clipSkip = params.clipSkip;
        o.embeddings = params.embeddings;
        o.embeddings2 = params.embeddings2;
        if (doClassifierFreeGuidance) {
            SdxlCfgConditioning c = encodeCfgPromptsSdxl(model, prompt, negativePrompt, params.a1111Prompt, o);
            e.promptEmbeds = c.positive.cond;
            e.pooledPromptEmbeds = c.positive.pooled;
            e.negativePromptEmbeds = c.negative.cond;
            e.negativePooledPromptEmbeds = c.negative.pooled;
        } else {
            SdxlConditioning c = params.a1111Prompt ? encodePromptSdxlA1111(model, prompt, o)
                                                    : encodePromptSdxl(model, prompt, o.clipSkip);
            e.promptEmbeds = c.cond;
            e.pooledPromptEmbeds = c.pooled;
        }
        return e;
    }
    if (params.a1111Prompt) {
        PromptEncodeOptions o;
        o.clipSkip = params.clipSkip;
        o.embeddings = params.embeddings;
        if (doClassifierFreeGuidance) {
            CfgConditioning c = encodeCfgPromptsA1111(model.tokenizer(), model.textEncoder(), prompt,
                                                      negativePrompt.value_or(std::string()), o);
            e.promptEmbeds = c.positive.cond;
            e.negativePromptEmbeds = c.negative.cond;
        } else {
            e.promptEmbeds = encodePromptA1111(model, prompt, o).cond;
        }
        return e;
    }
    e.promptEmbeds = model.encodePrompt(prompt);
    if (doClassifierFreeGuidance) e.negativePromptEmbeds = model.encodePrompt(negativePrompt.value_or(std::string()));
    return e;
}

// get_timesteps: the schedule's tail that strength leaves, timesteps[t_start * order:].
std::vector<double> getTimesteps(const Scheduler& scheduler, int numInferenceSteps, double strength)
{
    const torch::Tensor timesteps =
        scheduler.getImg2ImgTimesteps(numInferenceSteps, strength).timesteps.to(torch::kFloat64);
    std::vector<double> out;
    for (int64_t i = 0; i < timesteps.size(0); ++i) out.push_back(timesteps[i].item<double>());
    return out;
}

// _encode_vae_image: a sample of the VAE posterior (not its mode), times the scaling factor.
torch::Tensor encodeVaeImage(SdModel& model, const torch::Tensor& image, RandomSource& generator)
{
    return (model.vaeEncode(image).sample(generator) * model.scalingFactor()).to(torch::kFloat32);
}

// randn_tensor(shape, generator) for the starting noise. With params.sharedNoise the draw is still
// made (every later draw stays where diffusers has it) and replaced by the first draw of a fresh
// generator seeded with params.noiseSeed.
torch::Tensor startingNoise(RandomSource& generator, torch::IntArrayRef shape, const torch::TensorOptions& options,
                            const PipelineParams& p)
{
    torch::Tensor noise = generator.randn(shape, options);
    if (!p.sharedNoise) return noise;
    GeneratorRandomSource fresh(p.noiseSeed);
    return fresh.randn(shape, options);
}

struct Latents {
    torch::Tensor latents;       // the starting latents x_T (or x_t0 for strength < 1)
    torch::Tensor noise;
    torch::Tensor imageLatents;  // the image's VAE latents, when made
};

// StableDiffusionImg2ImgPipeline.prepare_latents: VAE sample, then noise; always add_noise.
Latents prepareImg2ImgLatents(SdModel& model, const Scheduler& scheduler, const torch::Tensor& image,
                              double latentTimestep, torch::IntArrayRef shape, const torch::TensorOptions& options,
                              RandomSource& generator, const PipelineParams& p)
{
    Latents l;
    l.imageLatents = encodeVaeImage(model, image, generator);
    l.noise = startingNoise(generator, shape, options, p);
    l.latents = scheduler.addNoise(l.imageLatents, l.noise, latentTimestep);
    return l;
}

// StableDiffusionInpaintPipeline.prepare_latents: the image is encoded when its latents are
// returned (4-channel UNet) or needed for add_noise (strength < 1); pure noise at strength 1.
Latents prepareLatents(SdModel& model, const Scheduler& scheduler, const torch::Tensor& image, double latentTimestep,
                       bool isStrengthMax, bool returnImageLatents, torch::IntArrayRef shape,
                       const torch::TensorOptions& options, RandomSource& generator, const PipelineParams& p)
{
    Latents l;
    if (returnImageLatents || !isStrengthMax) l.imageLatents = encodeVaeImage(model, image, generator);
    l.noise = startingNoise(generator, shape, options, p);
    l.latents = isStrengthMax ? l.noise * scheduler.initNoiseSigma()
                              : scheduler.addNoise(l.imageLatents, l.noise, latentTimestep);
    return l;
}

// What prepare_mask_latents does with the masked image.
enum class MaskedImage {
    Encode,    // 9-channel UNet: its VAE latents are UNet input
    DrawOnly,  // 4-channel branch: diffusers encodes it although it never uses it; only the
               // posterior sample's draw is made (same shape), so the later draws keep their place
    None,      // the seed article's simple inpaint has no masked image
};

// A [1, 1, H, W] mask at the latent size, nearest neighbour (prepare_mask_latents' resize).
torch::Tensor toLatentSize(const torch::Tensor& mask, torch::IntArrayRef latentShape)
{
    return F::interpolate(mask, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{latentShape[2], latentShape[3]})
                                    .mode(torch::kNearest));
}

struct MaskLatents {
    torch::Tensor mask;                // [1, 1, h, w] float32 on the model device
    torch::Tensor maskedImageLatents;  // float32, only for MaskedImage::Encode
};

// prepare_mask_latents: the mask resized to the latent size (nearest) and the masked image's
// latents. With guidance diffusers doubles both for its batch of 2; the halves run one after
// another here, so they stay single.
MaskLatents prepareMaskLatents(SdModel& model, const torch::Tensor& mask, const torch::Tensor& maskedImage,
                               MaskedImage use, torch::IntArrayRef latentShape, const torch::TensorOptions& options,
                               RandomSource& generator)
{
    MaskLatents m;
    m.mask = toLatentSize(mask, latentShape).to(model.device(), torch::kFloat32);
    if (use == MaskedImage::Encode) m.maskedImageLatents = encodeVaeImage(model, maskedImage, generator);
    else if (use == MaskedImage::DrawOnly) generator.randn(latentShape, options);
    return m;
}

}  // namespace

torch::Tensor decodeLatents(SdModel& model, const torch::Tensor& latents)
{
    torch::Tensor z = latents.to(model.device(), model.vaeDtype()) / model.scalingFactor();
    torch::Tensor x = model.vaeDecode(z);
    return (x.to(torch::kFloat32) / 2 + 0.5).clamp(0, 1).cpu();
}

PipelineOutput runPipeline(SdModel& model, const PipelineInputs& in, const PipelineParams& p, RandomSource& random,
                           const StepCallback& onStep, const std::atomic<bool>* cancel)
{
    PipelineOutput out;
    auto canceledResult = [&]() {
        out.status = PipelineStatus::Canceled;
        return out;
    };

    // 1. Check inputs
    checkInputs(model, in, p);

    // 2. Define call parameters
    const bool doClassifierFreeGuidance = p.guidance > 1.0;
    const bool inpaintUnet = p.mode == PipelineMode::InpaintUnet;  // num_channels_unet == 9
    const bool blend = p.mode == PipelineMode::Blend;
    const bool blendNext = blend && p.blendTiming == BlendTiming::Next;  // the inpaint pipeline's 4-channel branch
    const bool useImg2ImgLatents = p.mode == PipelineMode::Img2Img || (blend && p.blendTiming == BlendTiming::Current);
    const bool needMask = p.mode != PipelineMode::Img2Img;

    // 3. Encode input prompt
    if (cancelled(cancel)) return canceledResult();
    const PromptEmbeds embeds = encodePrompt(model, p.prompt, doClassifierFreeGuidance, p.negativePrompt, p);

    // 4. set timesteps
    std::unique_ptr<Scheduler> scheduler = createScheduler(p.scheduler, model.schedulerSource());
    scheduler->setTimesteps(p.steps);
    out.timesteps = getTimesteps(*scheduler, p.steps, p.strength);
    const int64_t numSteps = static_cast<int64_t>(out.timesteps.size());
    // at which timestep to set the initial noise (n.b. 50% if strength is 0.5)
    const double latentTimestep = out.timesteps.front();
    // strength 1 starts the inpaint pipeline from pure noise
    const bool isStrengthMax = p.strength == 1.0;

    // 5. Preprocess mask and image (VaeImageProcessor / mask processor: the image is already in
    // [-1, 1]; the mask is binarised, < 0.5 -> 0, else 1). Soft inpainting keeps the grey values
    // for the per-step masks; what may change at all (the 9-channel UNet's mask) is every v > 0.
    const bool soft = p.softInpaint && needMask;
    const torch::Tensor initImage = in.image.to(model.device(), model.dtype());
    torch::Tensor maskCondition;
    if (needMask)
        maskCondition = (soft ? in.mask.to(torch::kFloat32) > 0 : in.mask.to(torch::kFloat32) >= 0.5).to(torch::kFloat32);

    // 6. Prepare latent variables
    const int64_t vsf = model.vaeScaleFactor();
    const std::vector<int64_t> latentShape{1, model.latentChannels(), in.image.size(2) / vsf, in.image.size(3) / vsf};
    const auto drawOptions = torch::TensorOptions().dtype(torch::kFloat32).device(model.device());
    const Latents prepared =
        useImg2ImgLatents
            ? prepareImg2ImgLatents(model, *scheduler, initImage, latentTimestep, latentShape, drawOptions, random, p)
            : prepareLatents(model, *scheduler, initImage, latentTimestep, isStrengthMax,
                             /*returnImageLatents=*/blendNext, latentShape, drawOptions, random, p);
    torch::Tensor latents = prepared.latents;
    const torch::Tensor& noise = prepared.noise;
    const torch::Tensor& imageLatents = prepared.imageLatents;

    // 7. Prepare mask latent variables
    MaskLatents mask;
    if (needMask) {
        if (cancelled(cancel)) return canceledResult();
        const MaskedImage use = inpaintUnet ? MaskedImage::Encode : blendNext ? MaskedImage::DrawOnly : MaskedImage::None;
        torch::Tensor maskedImage;  // masked_image = init_image * (mask_condition < 0.5)
        if (use == MaskedImage::Encode) maskedImage = initImage * (1.0 - maskCondition).to(model.device(), model.dtype());
        mask = prepareMaskLatents(model, maskCondition, maskedImage, use, latentShape, drawOptions, random);
    }
    // (not in diffusers) masked content "latent noise": the latents under the mask start from noise
    // alone at the starting level, the original dropped (the blend pipelines only).
    if (p.maskedContent == MaskedContent::LatentNoise && blend) {
        const torch::Tensor pure = isStrengthMax && blendNext
                                       ? noise * scheduler->initNoiseSigma()
                                       : scheduler->addNoise(torch::zeros_like(noise), noise, latentTimestep);
        latents = mask.mask * pure + (1.0 - mask.mask) * latents;
    }

    // (not in diffusers) soft inpainting: the grey mask at the latent size (nearest, as the binary
    // one, so a 0/1 mask gives the same latent mask) and its thresholds. The 9-channel UNet has no
    // blend of its own: where the mask is strictly between 0 and 1 the run holds the noised
    // original until the threshold passes, which needs the image's latents (one more posterior
    // draw, after all of diffusers' draws; none when the mask is only 0 and 1).
    torch::Tensor softLatentMask, softImageLatents;
    std::vector<double> softThresholds;
    bool softHoldsInpaintUnet = false;
    if (soft) {
        softLatentMask = toLatentSize(in.mask.to(torch::kFloat32).clamp(0, 1), latentShape).to(model.device());
        softThresholds = softInpaintThresholds(out.timesteps);
        if (inpaintUnet && ((softLatentMask > 0) & (softLatentMask < 1)).any().item<bool>()) {
            softHoldsInpaintUnet = true;
            softImageLatents = encodeVaeImage(model, initImage, random);
        }
    }

    // 8. Check that sizes of mask, masked image and latents match: done by checkInputs (step 1).
    torch::Tensor maskAndMaskedImageLatents;  // the 9-channel UNet's extra input, the same every step
    if (inpaintUnet) maskAndMaskedImageLatents = torch::cat({mask.mask, mask.maskedImageLatents}, 1);

    // 9. Prepare extra step kwargs
    StepOptions extraStepKwargs;
    extraStepKwargs.eta = p.eta;
    extraStepKwargs.random = &random;

    // 10. Denoising loop
    // (prompts of different lengths, possible with A1111 chunks, cannot share one batch)
    const bool cfgTogether = doClassifierFreeGuidance && cfgBatchTogether(p.cfgBatch, model.device(), model.dtype()) &&
                             embeds.negativePromptEmbeds.sizes() == embeds.promptEmbeds.sizes();
    const torch::Tensor cfgContext =
        cfgTogether ? torch::cat({embeds.negativePromptEmbeds, embeds.promptEmbeds}) : torch::Tensor();
    // SDXL's added conditioning: add_time_ids (negatives the same), and for the batch of 2
    // cat([negative, positive]) as diffusers.
    const bool sdxl = model.isSdxl();
    const torch::Tensor timeIds = sdxl ? sdxlTimeIds(p, in.image.size(2), in.image.size(3)) : torch::Tensor();
    const torch::Tensor cfgPooled = sdxl && cfgTogether
                                        ? torch::cat({embeds.negativePooledPromptEmbeds, embeds.pooledPromptEmbeds})
                                        : torch::Tensor();
    auto unet = [&](const torch::Tensor& sample, double t, const torch::Tensor& context, const torch::Tensor& pooled) {
        if (!sdxl) return model.unetForward(sample, t, context).to(torch::kFloat32);
        return model.unetForward(sample, t, context, pooled, timeIds.expand({sample.size(0), 6})).to(torch::kFloat32);
    };
    for (int64_t i = 0; i < numSteps; ++i) {
        const double t = out.timesteps[i];
        if (cancelled(cancel)) return canceledResult();
        // concat latents, mask, masked_image_latents in the channel dimension
        torch::Tensor latentModelInput = scheduler->scaleModelInput(latents, t);
        if (inpaintUnet) latentModelInput = torch::cat({latentModelInput, maskAndMaskedImageLatents}, 1);

        // predict the noise residual and perform guidance. Apart, the halves run one after another
        // (a cancel can land between them); either way the result equals diffusers' batch of 2 to
        // float rounding.
        torch::Tensor noisePred;
        if (doClassifierFreeGuidance) {
            torch::Tensor noisePredUncond, noisePredText;
            if (cfgTogether) {
                const torch::Tensor both = unet(torch::cat({latentModelInput, latentModelInput}), t, cfgContext, cfgPooled);
                noisePredUncond = both.narrow(0, 0, 1);
                noisePredText = both.narrow(0, 1, 1);
            } else {
                noisePredUncond = unet(latentModelInput, t, embeds.negativePromptEmbeds, embeds.negativePooledPromptEmbeds);
                if (cancelled(cancel)) return canceledResult();
                noisePredText = unet(latentModelInput, t, embeds.promptEmbeds, embeds.pooledPromptEmbeds);
            }
            noisePred = noisePredUncond + p.guidance * (noisePredText - noisePredUncond);
        } else {
            noisePred = unet(latentModelInput, t, embeds.promptEmbeds, embeds.pooledPromptEmbeds);
        }

        // compute the previous noisy sample x_t -> x_t-1
        const StepResult stepped = scheduler->step(noisePred, t, latents, extraStepKwargs);
        latents = stepped.prevSample;
        torch::Tensor predictedClean = stepped.predOriginalSample;
        // Soft inpainting: this step's mask, v >= threshold_i (ComfyUI's DifferentialDiffusion
        // thresholds the mask at the timestep the model was called with).
        const torch::Tensor stepMask = soft ? softStepMask(softLatentMask, softThresholds[i]) : mask.mask;
        if (blend) {
            // 4-channel branch: the known region is the image noised to the NEXT timestep (clean
            // after the last); simple inpaint: noised to the CURRENT one, every step.
            torch::Tensor initLatentsProper;
            if (blendNext)
                initLatentsProper = i + 1 < numSteps ? scheduler->addNoise(imageLatents, noise, out.timesteps[i + 1])
                                                     : imageLatents;
            else
                initLatentsProper = scheduler->addNoise(imageLatents, noise, t);
            latents = (1.0 - stepMask) * initLatentsProper + stepMask * latents;
            if (predictedClean.defined())
                predictedClean = (1.0 - stepMask) * imageLatents + stepMask * predictedClean;
        } else if (softHoldsInpaintUnet) {
            // Outside the mask (v = 0) the model's own output stays, as diffusers leaves it (the
            // paste-back restores those pixels); a grey pixel waits on the original.
            const torch::Tensor hold = (softLatentMask > 0).to(torch::kFloat32) * (1.0 - stepMask);
            const torch::Tensor known = i + 1 < numSteps
                                            ? scheduler->addNoise(softImageLatents, noise, out.timesteps[i + 1])
                                            : softImageLatents;
            latents = hold * known + (1.0 - hold) * latents;
            if (predictedClean.defined()) predictedClean = hold * softImageLatents + (1.0 - hold) * predictedClean;
        }
        // After the last step the estimate of the final image is what gets decoded, so the last
        // preview shows exactly the result.
        if (i + 1 == numSteps) predictedClean = latents;
        // call the callback, if provided
        if (onStep) onStep(StepInfo{static_cast<int>(i + 1), static_cast<int>(numSteps), t, latents, predictedClean});
    }

    if (cancelled(cancel)) return canceledResult();
    out.latents = latents.to(torch::kFloat32).cpu();
    out.image = p.finalDecoder ? p.finalDecoder(latents) : decodeLatents(model, latents);
    out.status = PipelineStatus::Ok;
    return out;
}

}  // namespace inpaint::diffusion
