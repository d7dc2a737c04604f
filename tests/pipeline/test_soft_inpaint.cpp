// Soft inpainting (ComfyUI's Differential Diffusion) on the tiny reference models: the per-step
// thresholds, the latent mask each step applies, and that a mask of only 0 and 1 gives exactly the
// binary run in every pipeline.
#include "core/diffusion/pipeline.h"
#include "core/diffusion/sd_model.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <torch/torch.h>

#include <map>

using namespace inpaint;

namespace {

std::map<std::string, std::shared_ptr<diffusion::SdModel>> g_models;

diffusion::SdModel& model(const std::string& name)
{
    auto& m = g_models[name];
    if (!m) m = diffusion::SdModel::load(test::modelDir(name), {});
    return *m;
}

diffusion::PipelineInputs referenceInputs()
{
    auto f = models::SafetensorsFile::open(test::referenceDir() / "inputs" / "inputs.safetensors");
    return {f->tensor("image/preprocessed").to(torch::kFloat32).clone(),
            f->tensor("mask/preprocessed").to(torch::kFloat32).clone()};
}

// A left-to-right ramp of 8-bit grey levels, 0 in the first column, 1 in the last, as a grey
// mask painted in the editor arrives (k / 255).
torch::Tensor rampMask(int64_t h, int64_t w)
{
    torch::Tensor x = torch::arange(w, torch::kFloat64) / double(w - 1);
    x = (x * 255).round() / 255;
    return x.to(torch::kFloat32).view({1, 1, 1, w}).expand({1, 1, h, w}).contiguous();
}

struct Run {
    diffusion::PipelineOutput out;
    std::vector<torch::Tensor> latents;  // per step, CPU
    int64_t draws = 0;
};

Run run(diffusion::SdModel& m, const diffusion::PipelineInputs& in, diffusion::PipelineParams p, uint64_t seed = 7)
{
    c10::InferenceMode guard;
    Run r;
    diffusion::GeneratorRandomSource random(seed);
    r.out = diffusion::runPipeline(m, in, p, random,
                                   [&](const diffusion::StepInfo& s) { r.latents.push_back(s.latents.cpu().clone()); });
    r.draws = random.drawCount();
    return r;
}

diffusion::PipelineParams baseParams(diffusion::PipelineMode mode)
{
    diffusion::PipelineParams p;
    p.mode = mode;
    p.prompt = "a red brick wall";
    p.negativePrompt = "blurry";
    p.scheduler = "ddim";  // one UNet call per step (PNDM's default adds warm-up steps)
    p.steps = 6;
    p.guidance = 5.0;
    return p;
}

// The latent-size grey mask the pipeline derives (nearest, as the binary mask).
torch::Tensor latentMask(const torch::Tensor& mask, const torch::Tensor& latents)
{
    namespace F = torch::nn::functional;
    return F::interpolate(mask, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{latents.size(2), latents.size(3)})
                                    .mode(torch::kNearest));
}

}  // namespace

TEST_CASE(thresholds_follow_comfyui)
{
    // threshold_i = t_i / t_0; a final timestep of 0 (linspace spacing) stays above 0.
    const std::vector<double> t{999.0, 749.25, 499.5, 1.0, 0.0};
    const std::vector<double> th = diffusion::softInpaintThresholds(t);
    REQUIRE(th.size() == t.size());
    EXPECT_EQ(th[0], 1.0);
    EXPECT_EQ(th[1], 749.25 / 999.0);
    EXPECT_EQ(th[2], 499.5 / 999.0);
    EXPECT_EQ(th[3], 1.0 / 999.0);
    EXPECT_EQ(th[4], 1e-6);
    EXPECT(diffusion::softInpaintThresholds({}).empty());

    const torch::Tensor m = torch::tensor({0.0f, 0.25f, 0.5f, 0.75f, 1.0f});
    EXPECT(torch::equal(diffusion::softStepMask(m, 1.0), torch::tensor({0.0f, 0.0f, 0.0f, 0.0f, 1.0f})));
    EXPECT(torch::equal(diffusion::softStepMask(m, 0.5), torch::tensor({0.0f, 0.0f, 1.0f, 1.0f, 1.0f})));
    EXPECT(torch::equal(diffusion::softStepMask(m, 1e-6), torch::tensor({0.0f, 1.0f, 1.0f, 1.0f, 1.0f})));
}

// A mask of only 0 and 1: the soft run is the binary run, bit for bit, latents of every step and
// image, with the same number of random draws.
TEST_CASE(binary_mask_gives_the_binary_result)
{
    const diffusion::PipelineInputs in = referenceInputs();
    const torch::Tensor binary = (in.mask >= 0.5).to(torch::kFloat32);
    const diffusion::PipelineInputs binIn{in.image, binary};
    struct Case {
        const char* model;
        diffusion::PipelineMode mode;
        diffusion::BlendTiming timing;
        double strength;
    };
    const Case cases[] = {{"tiny-sd", diffusion::PipelineMode::Blend, diffusion::BlendTiming::Next, 1.0},
                          {"tiny-sd", diffusion::PipelineMode::Blend, diffusion::BlendTiming::Current, 0.7},
                          {"tiny-sd-inpaint", diffusion::PipelineMode::InpaintUnet, diffusion::BlendTiming::Next, 1.0},
                          {"tiny-sd-inpaint", diffusion::PipelineMode::InpaintUnet, diffusion::BlendTiming::Next, 0.6}};
    int compared = 0;
    for (const Case& c : cases) {
        diffusion::PipelineParams p = baseParams(c.mode);
        p.blendTiming = c.timing;
        p.strength = c.strength;
        const Run hard = run(model(c.model), binIn, p);
        p.softInpaint = true;
        const Run soft = run(model(c.model), binIn, p);
        REQUIRE(hard.latents.size() == soft.latents.size());
        REQUIRE(!hard.latents.empty());
        for (size_t i = 0; i < hard.latents.size(); ++i)
            EXPECT_MSG(torch::equal(hard.latents[i], soft.latents[i]), c.model << " step " << i << " differs");
        EXPECT_MSG(torch::equal(hard.out.image, soft.out.image), c.model << ": image differs");
        EXPECT_EQ(hard.draws, soft.draws);
        ++compared;
    }
    EXPECT_EQ(compared, 4);
}

// Blend (diffusers' 4-channel branch): at step i a latent pixel follows the model exactly where
// v >= t_i / t_0; everywhere else it is the original noised to the next timestep — the same
// tensor a run with an empty mask holds there.
TEST_CASE(blend_applies_the_schedule_each_step)
{
    const diffusion::PipelineInputs in = referenceInputs();
    const int64_t H = in.image.size(2), W = in.image.size(3);
    const diffusion::PipelineInputs softIn{in.image, rampMask(H, W)};
    const diffusion::PipelineInputs noneIn{in.image, torch::zeros({1, 1, H, W})};
    diffusion::PipelineParams p = baseParams(diffusion::PipelineMode::Blend);
    p.softInpaint = true;
    const Run soft = run(model("tiny-sd"), softIn, p);
    p.softInpaint = false;
    const Run none = run(model("tiny-sd"), noneIn, p);
    REQUIRE(soft.latents.size() == size_t(p.steps));
    REQUIRE(none.latents.size() == soft.latents.size());
    const std::vector<double> th = diffusion::softInpaintThresholds(soft.out.timesteps);
    REQUIRE(th.size() == soft.latents.size());
    const torch::Tensor v = latentMask(softIn.mask, soft.latents[0])[0][0];  // [h, w]
    int64_t previousFollowing = -1;
    for (size_t i = 0; i < th.size(); ++i) {
        const torch::Tensor follow = v >= th[i];  // [h, w]
        const torch::Tensor same = (soft.latents[i] == none.latents[i]).all(1)[0];  // every channel equal
        // Held pixels are the original's noised latents exactly; following pixels are the model's.
        EXPECT_MSG(torch::equal(same.logical_or(follow), torch::ones_like(same)),
                   "step " << i << ": a pixel below the threshold " << th[i] << " left the noised original");
        EXPECT_MSG(!same.logical_and(follow).any().item<bool>(),
                   "step " << i << ": a pixel at or above the threshold kept the original");
        const int64_t following = follow.sum().item<int64_t>();
        EXPECT_MSG(following >= previousFollowing, "the region that follows the model must only grow");
        previousFollowing = following;
    }
    // The first step: only v = 1 (the last latent column); the last step: every v > 0.
    EXPECT_EQ((v >= th.front()).sum().item<int64_t>(), (v == 1.0f).sum().item<int64_t>());
    EXPECT_EQ((v >= th.back()).sum().item<int64_t>(), (v > 0.0f).sum().item<int64_t>());
    EXPECT((v > 0.0f).sum().item<int64_t>() > (v == 1.0f).sum().item<int64_t>());
}

// Inpaint UNet (9 channels): a grey pixel holds the noised original until its threshold; the held
// values do not depend on the prompt, the followed ones do. One extra draw (the image's latents).
TEST_CASE(inpaint_unet_holds_grey_pixels)
{
    const diffusion::PipelineInputs in = referenceInputs();
    const int64_t H = in.image.size(2), W = in.image.size(3);
    const diffusion::PipelineInputs softIn{in.image, rampMask(H, W)};
    diffusion::PipelineParams p = baseParams(diffusion::PipelineMode::InpaintUnet);
    p.softInpaint = true;
    const Run a = run(model("tiny-sd-inpaint"), softIn, p);
    p.prompt = "a field of sunflowers";
    const Run b = run(model("tiny-sd-inpaint"), softIn, p);
    p.softInpaint = false;
    const Run hard = run(model("tiny-sd-inpaint"), softIn, p);
    EXPECT_EQ(a.draws, hard.draws + 1);
    REQUIRE(a.latents.size() == size_t(p.steps));
    const std::vector<double> th = diffusion::softInpaintThresholds(a.out.timesteps);
    const torch::Tensor v = latentMask(softIn.mask, a.latents[0])[0][0];
    for (size_t i = 0; i + 1 < th.size(); ++i) {
        const torch::Tensor held = (v > 0.0f).logical_and(v < th[i]);
        const torch::Tensor follow = v >= th[i];
        const torch::Tensor same = (a.latents[i] == b.latents[i]).all(1)[0];
        REQUIRE(held.any().item<bool>());
        EXPECT_MSG(torch::equal(same.logical_and(held), held), "step " << i << ": a held pixel depends on the prompt");
        EXPECT_MSG(!same.logical_and(follow).any().item<bool>(),
                   "step " << i << ": a pixel that follows the model ignored the prompt");
    }
    EXPECT(torch::isfinite(a.out.image).all().item<bool>());
}

TEST_MAIN()
