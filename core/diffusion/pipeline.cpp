// Stable Diffusion img2img / inpaint / blend loops (diffusers 0.25.1:
// pipelines/stable_diffusion/pipeline_stable_diffusion_inpaint.py and ..._img2img.py, plus the seed
// article's "simple inpaint").
#include "core/diffusion/pipeline.h"

#include "core/diffusion/schedulers/scheduler.h"
#include "core/diffusion/schedulers/scheduler_factory.h"
#include "core/diffusion/sd_model.h"
#include "models/errors.h"

#include <torch/torch.h>

#include <cmath>
#include <sstream>

namespace inpaint::diffusion {

namespace F = torch::nn::functional;

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
    // diffusers: init_timestep = min(int(N * strength), N) must leave at least one step.
    if (static_cast<int>(p.steps * p.strength) < 1)
        fail("steps x strength leaves no denoising step (steps " + std::to_string(p.steps) + ", strength " +
             std::to_string(p.strength) + "): raise either");
}

namespace {

bool cancelled(const std::atomic<bool>* cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

torch::Tensor toDevice(const torch::Tensor& t, const SdModel& m, torch::ScalarType dtype)
{
    return t.to(m.device(), dtype);
}

// _encode_vae_image: posterior sample (mean + std * randn) times the scaling factor.
torch::Tensor encodeImageLatents(SdModel& model, const torch::Tensor& image, RandomSource& random)
{
    auto [mean, std] = model.vaeEncode(image);
    const auto opts = torch::TensorOptions().dtype(mean.scalar_type()).device(mean.device());
    torch::Tensor eps = random.randn(mean.sizes(), opts);
    return ((mean + std * eps) * model.scalingFactor()).to(torch::kFloat32);
}

}  // namespace

torch::Tensor decodeLatents(SdModel& model, const torch::Tensor& latents)
{
    torch::Tensor z = latents.to(model.device(), model.dtype()) / model.scalingFactor();
    torch::Tensor x = model.vaeDecode(z);
    return (x.to(torch::kFloat32) / 2 + 0.5).clamp(0, 1).cpu();
}

PipelineOutput runPipeline(SdModel& model, const PipelineInputs& in, const PipelineParams& p, RandomSource& random,
                           const StepCallback& onStep, const std::atomic<bool>* cancel)
{
    validateParams(p);
    PipelineOutput out;
    auto canceledResult = [&]() {
        out.status = PipelineStatus::Canceled;
        return out;
    };

    const bool inpaintUnet = p.mode == PipelineMode::InpaintUnet;
    const bool blend = p.mode == PipelineMode::Blend;
    const int64_t unetChannels = model.unetInChannels();
    const int64_t latentChannels = model.latentChannels();
    if (inpaintUnet && unetChannels != 2 * latentChannels + 1)
        throw models::ConfigError("the inpaint-unet pipeline needs an inpainting checkpoint (UNet with " +
                                  std::to_string(2 * latentChannels + 1) + " input channels); this UNet has " +
                                  std::to_string(unetChannels) + ": use the blend pipeline");
    if (!inpaintUnet && unetChannels != latentChannels)
        throw models::ConfigError("the " + std::string(blend ? "blend" : "img2img") +
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

    const torch::ScalarType dt = model.dtype();
    const bool cfg = p.guidance > 1.0;

    // 1. Prompt embeddings: [uncond, cond] with guidance, else cond only.
    if (cancelled(cancel)) return canceledResult();
    torch::Tensor cond = model.encodePrompt(p.prompt);
    torch::Tensor uncond;
    if (cfg) {
        if (cancelled(cancel)) return canceledResult();
        uncond = model.encodePrompt(p.negativePrompt.value_or(std::string()));
    }

    // 2. Schedule.
    std::unique_ptr<Scheduler> scheduler = createScheduler(p.scheduler, model.schedulerSource());
    scheduler->setTimesteps(p.steps);
    const Img2ImgTimesteps sched = scheduler->getImg2ImgTimesteps(p.steps, p.strength);
    const torch::Tensor timesteps = sched.timesteps.to(torch::kFloat64);
    const int64_t numSteps = timesteps.size(0);
    for (int64_t i = 0; i < numSteps; ++i) out.timesteps.push_back(timesteps[i].item<double>());
    const double t0 = out.timesteps.front();
    const bool strengthMax = p.strength == 1.0;

    // 3. Image, mask, masked image (VaeImageProcessor / mask processor semantics).
    torch::Tensor image = toDevice(in.image, model, dt);
    torch::Tensor maskFull, maskLatent;
    if (needMask) {
        maskFull = (in.mask.to(torch::kFloat32) >= 0.5).to(torch::kFloat32);  // binarise: < 0.5 -> 0
        maskLatent = F::interpolate(maskFull, F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{H / vsf, W / vsf})
                                                  .mode(torch::kNearest))
                         .to(model.device(), torch::kFloat32);
    }
    const std::vector<int64_t> latentShape{1, latentChannels, H / vsf, W / vsf};
    const auto drawOpts = torch::TensorOptions().dtype(torch::kFloat32).device(model.device());

    // 4. Initial latents, drawing in diffusers' order.
    torch::Tensor imageLatents, noise, latents;
    auto drawNoise = [&] {
        torch::Tensor n = random.randn(latentShape, drawOpts);
        if (!p.sharedNoise) return n;
        GeneratorRandomSource fresh(p.noiseSeed);
        return fresh.randn(latentShape, drawOpts);
    };
    if (p.mode == PipelineMode::Img2Img || (blend && p.blendTiming == BlendTiming::Current)) {
        // StableDiffusionImg2ImgPipeline.prepare_latents: VAE sample, then noise, always add_noise.
        imageLatents = encodeImageLatents(model, image, random);
        noise = drawNoise();
        latents = scheduler->addNoise(imageLatents, noise, t0);
    } else {
        // StableDiffusionInpaintPipeline.prepare_latents (+ prepare_mask_latents below).
        if (blend || !strengthMax) imageLatents = encodeImageLatents(model, image, random);
        noise = drawNoise();
        latents = strengthMax ? noise * scheduler->initNoiseSigma() : scheduler->addNoise(imageLatents, noise, t0);
    }
    torch::Tensor maskedImageLatents;
    if (p.mode != PipelineMode::Img2Img && !(blend && p.blendTiming == BlendTiming::Current)) {
        if (cancelled(cancel)) return canceledResult();
        // masked_image = image * (mask < 0.5), encoded by sampling. The 4-channel branch computes it
        // too (and so consumes a draw) although it never uses it: kept for seed parity.
        const torch::Tensor keep = (1.0 - maskFull).to(model.device(), dt);
        if (inpaintUnet) {
            maskedImageLatents = encodeImageLatents(model, image * keep, random);
        } else {
            random.randn(latentShape, drawOpts);  // the unused masked-image sample's draw
        }
    }
    if (p.maskedContent == MaskedContent::LatentNoise && needMask && !inpaintUnet) {
        // Drop the original under the mask: noise alone at the starting level.
        torch::Tensor pure = strengthMax && blend && p.blendTiming == BlendTiming::Next
                                 ? noise * scheduler->initNoiseSigma()
                                 : scheduler->addNoise(torch::zeros_like(noise), noise, t0);
        latents = maskLatent * pure + (1.0 - maskLatent) * latents;
    }

    // Inputs that are the same every step.
    torch::Tensor unetExtra;  // [mask, masked_image_latents] for the 9-channel UNet
    if (inpaintUnet) unetExtra = torch::cat({maskLatent, maskedImageLatents}, 1);

    // 5. Denoising loop.
    StepOptions stepOptions;
    stepOptions.eta = p.eta;
    stepOptions.random = &random;
    for (int64_t i = 0; i < numSteps; ++i) {
        const double t = out.timesteps[i];
        if (cancelled(cancel)) return canceledResult();
        torch::Tensor modelIn = scheduler->scaleModelInput(latents, t);
        if (inpaintUnet) modelIn = torch::cat({modelIn, unetExtra}, 1);

        torch::Tensor noisePred;
        if (cfg) {
            // The halves run one after another so a cancel can land between them; the UNet's
            // output equals the batch-of-2 layout diffusers uses (to float rounding).
            torch::Tensor predUncond = model.unetForward(modelIn, t, uncond).to(torch::kFloat32);
            if (cancelled(cancel)) return canceledResult();
            torch::Tensor predText = model.unetForward(modelIn, t, cond).to(torch::kFloat32);
            noisePred = predUncond + p.guidance * (predText - predUncond);
        } else {
            noisePred = model.unetForward(modelIn, t, cond).to(torch::kFloat32);
        }

        StepResult r = scheduler->step(noisePred, t, latents, stepOptions);
        latents = r.prevSample;
        torch::Tensor x0 = r.predOriginalSample;
        if (blend) {
            torch::Tensor known;
            if (p.blendTiming == BlendTiming::Next) {
                known = i + 1 < numSteps ? scheduler->addNoise(imageLatents, noise, out.timesteps[i + 1]) : imageLatents;
            } else {
                known = scheduler->addNoise(imageLatents, noise, t);
            }
            latents = (1.0 - maskLatent) * known + maskLatent * latents;
            if (x0.defined()) x0 = (1.0 - maskLatent) * imageLatents + maskLatent * x0;
        }
        // After the last step the estimate of the final image is what gets decoded, so the last
        // preview shows exactly the result.
        if (i + 1 == numSteps) x0 = latents;
        if (onStep) onStep(StepInfo{static_cast<int>(i + 1), static_cast<int>(numSteps), t, latents, x0});
    }

    // 6. Decode.
    if (cancelled(cancel)) return canceledResult();
    out.latents = latents.to(torch::kFloat32).cpu();
    out.image = decodeLatents(model, latents);
    out.status = PipelineStatus::Ok;
    return out;
}

}  // namespace inpaint::diffusion
