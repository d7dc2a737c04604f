// SDXL through the engine's pipeline layer against diffusers 0.25.1 (tests/data/reference/golden/
// sdxl.*, INDEX-sdxl.md), on the tiny SDXL folders as SdModel loads them:
// * text/*: StableDiffusionXL*Pipeline.encode_prompt through encodeCfgPromptsSdxl (diffusers path
//   and A1111 path: equal for these prompts, all under 75 tokens and without syntax), every case:
//   prompt_embeds, pooled_prompt_embeds and, where the case has them, the negatives (zeros for
//   negative_prompt=None with force_zeros_for_empty_prompt, '' encoded, clip_skip ignored for the
//   negative by diffusers);
// * time_ids/*: sdxlTimeIds for the inpaint/img2img pipelines' positive ids;
// * e2e/*: runPipeline seeded like diffusers (torch.manual_seed on our CPU generator): per-step
//   latents and the image of the 9-channel inpaint pipeline (strength 1 and 0.7, empty prompt,
//   guidance 1), the 4-channel blend branch and img2img with explicit original_size; the number of
//   random draws; and the UNet inputs of the first call (encoder_hidden_states, text_embeds,
//   time_ids) from the trace;
// * refusals: a refiner-style folder and a folder without text_encoder_2.
//
// Tolerances (absolute, fp32), as test_pipeline_e2e: latents 1e-3 (they reach |x| ~ 30 at
// strength 1; diffusers itself moves by 2.6e-5 between 1 and 2 threads, our kernels differ in
// order), image 1e-4; text 1e-4 (diffusers is bit-identical across threads, magnitudes <= 2.8).
#include "core/diffusion/pipeline.h"
#include "core/diffusion/prompt_conditioning.h"
#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <fstream>
#include <map>

using namespace inpaint;
namespace fs = std::filesystem;

namespace {

const fs::path kRef = test::referenceDir();
constexpr double kLatentsTol = 1e-3;
constexpr double kImageTol = 1e-4;
constexpr double kTextTol = 1e-4;
test::WorstCase g_worstImage, g_worstText;

std::map<std::string, std::shared_ptr<diffusion::SdModel>> g_models;

diffusion::SdModel& model(const std::string& name)
{
    auto& m = g_models[name];
    if (!m) m = diffusion::SdModel::load(kRef / "models" / name, {});
    return *m;
}

std::optional<std::string> optionalString(const nlohmann::json& p, const char* key)
{
    if (!p.contains(key) || p.at(key).is_null()) return std::nullopt;
    return p.at(key).get<std::string>();
}

int clipSkipOf(const nlohmann::json& p)
{
    // diffusers' clip_skip k (hidden_states[-(k + 2)]) is A1111's clip skip k + 1.
    return p.contains("clip_skip") && !p.at("clip_skip").is_null() ? p.at("clip_skip").get<int>() + 1 : 1;
}

void checkClose(const torch::Tensor& ours, const torch::Tensor& ref, double tol, const std::string& what)
{
    EXPECT_MSG(ours.sizes() == ref.sizes(), what << ": shape " << ours.sizes() << " vs " << ref.sizes());
    if (ours.sizes() != ref.sizes()) return;
    double d = 0;
    EXPECT_MSG(test::tensorsClose(ours.to(torch::kFloat32).cpu(), ref, tol, what, &d), what);
    g_worstText.record(what, d);
}

}  // namespace

TEST_CASE(sdxl_encode_prompt_every_text_case)
{
    const auto golden = test::loadGolden("sdxl");
    int withNegatives = 0;
    for (const bool a1111 : {false, true}) {
        for (const auto& c : test::goldenCases(test::loadGoldenJson("sdxl"), "text/", 20)) {
            const std::string name = c.at("name");
            const auto& p = c.at("params");
            const std::string folder = name.substr(5, name.find('/', 5) - 5);
            diffusion::SdModel& m = model(folder);
            diffusion::PromptEncodeOptions o;
            o.clipSkip = clipSkipOf(p);
            const std::string prompt = p.at("prompt");
            const bool cfg = p.value("do_classifier_free_guidance", false);
            const std::string tag = name + (a1111 ? " (a1111)" : " (diffusers)");
            if (cfg) {
                const auto neg = optionalString(p, "negative_prompt");
                if (a1111 && neg && neg->empty()) continue;  // A1111 zeroes an empty negative; diffusers encodes ''
                const auto both = diffusion::encodeCfgPromptsSdxl(m, prompt, neg, a1111, o);
                checkClose(both.positive.cond, golden.at(name + "/prompt_embeds"), kTextTol, tag + " prompt_embeds");
                checkClose(both.positive.pooled, golden.at(name + "/pooled_prompt_embeds"), kTextTol, tag + " pooled");
                // A1111 syntax applies the clip skip to the negative too (diffusers does not): that
                // case is checked in the next test.
                if (!(a1111 && neg && o.clipSkip != 1))
                    checkClose(both.negative.cond, golden.at(name + "/negative_prompt_embeds"), kTextTol, tag + " negative");
                checkClose(both.negative.pooled, golden.at(name + "/negative_pooled_prompt_embeds"), kTextTol,
                           tag + " negative pooled");
                if (!neg) EXPECT_MSG(both.negative.cond.abs().max().item<double>() == 0.0, tag << ": zeros expected");
                ++withNegatives;
            } else {
                const auto one = a1111 ? diffusion::encodePromptSdxlA1111(m, prompt, o)
                                       : diffusion::encodePromptSdxl(m, prompt, o.clipSkip);
                checkClose(one.cond, golden.at(name + "/prompt_embeds"), kTextTol, tag + " prompt_embeds");
                checkClose(one.pooled, golden.at(name + "/pooled_prompt_embeds"), kTextTol, tag + " pooled");
            }
        }
    }
    EXPECT_EQ(withNegatives, 8 + 6);  // 4 negative cases per folder, diffusers; A1111 skips neg_empty_string
}

TEST_CASE(sdxl_a1111_empty_negative_is_zeros_and_given_negative_uses_clip_skip)
{
    diffusion::SdModel& m = model("tiny-sdxl");
    diffusion::PromptEncodeOptions o;
    const auto z = diffusion::encodeCfgPromptsSdxl(m, "a fox", std::string(), /*a1111=*/true, o);
    EXPECT(z.negative.cond.abs().max().item<double>() == 0.0);
    EXPECT(z.negative.pooled.abs().max().item<double>() == 0.0);
    // In A1111 syntax the clip skip applies to the negative too (diffusers ignores it there).
    o.clipSkip = 2;
    const auto a = diffusion::encodeCfgPromptsSdxl(m, "a fox", std::string("blurry"), true, o);
    const auto ref = diffusion::encodePromptSdxl(m, "blurry", 2);
    EXPECT(test::maxAbsDiff(a.negative.cond, ref.cond) < 1e-6);
    const auto d = diffusion::encodeCfgPromptsSdxl(m, "a fox", std::string("blurry"), false, o);
    EXPECT(test::maxAbsDiff(d.negative.cond, diffusion::encodePromptSdxl(m, "blurry", 1).cond) < 1e-6);
    EXPECT(test::maxAbsDiff(d.negative.cond, ref.cond) > 1e-3);
    // Weights and long prompts: a (word:1.5) moves the embeddings, 100 words make two chunks on both
    // encoders, and the negative is padded to the same length.
    o.clipSkip = 1;
    const auto plain = diffusion::encodePromptSdxlA1111(m, "a red fox", o);
    const auto weighted = diffusion::encodePromptSdxlA1111(m, "a (red:1.5) fox", o);
    EXPECT(test::maxAbsDiff(plain.cond, weighted.cond) > 1e-3);
    EXPECT(test::maxAbsDiff(plain.pooled, weighted.pooled) < 1e-6);  // pooled before the emphasis
    std::string longPrompt;
    for (int i = 0; i < 100; ++i) longPrompt += "fox ";
    const auto lng = diffusion::encodeCfgPromptsSdxl(m, longPrompt, std::nullopt, true, o);
    EXPECT_EQ(lng.positive.cond.size(1), 154);
    EXPECT_EQ(lng.negative.cond.size(1), 154);
    EXPECT_EQ(lng.positive.cond.size(2), 20);  // 8 + 12
    EXPECT(lng.negative.cond.slice(1, 0, 77).abs().max().item<double>() == 0.0);
    EXPECT(lng.negative.cond.slice(1, 77).abs().max().item<double>() > 0.0);
    // Clip skip beyond the first encoder's depth (3 layers) is a clear error.
    o.clipSkip = 4;
    EXPECT_THROWS(diffusion::encodePromptSdxlA1111(m, "a fox", o), models::ConfigError, "Clip skip 4");
}

TEST_CASE(sdxl_time_ids)
{
    const auto golden = test::loadGolden("sdxl");
    int n = 0;
    for (const auto& c : test::goldenCases(test::loadGoldenJson("sdxl"), "time_ids/", 3)) {
        const std::string name = c.at("name");
        const auto& k = c.at("params").at("call_kwargs");
        diffusion::PipelineParams p;
        auto pair = [&](const char* key) -> std::optional<std::array<int64_t, 2>> {
            if (!k.contains(key) || k.at(key).is_null()) return std::nullopt;
            return std::array<int64_t, 2>{k.at(key)[0].get<int64_t>(), k.at(key)[1].get<int64_t>()};
        };
        p.originalSize = pair("original_size");
        p.cropsCoordsTopLeft = pair("crops_coords_top_left");
        p.targetSize = pair("target_size");
        const torch::Tensor ids = diffusion::sdxlTimeIds(p, 64, 64);
        EXPECT_MSG(test::maxAbsDiff(ids, golden.at(name + "/add_time_ids")) == 0.0, name << ": " << ids);
        ++n;
    }
    EXPECT_EQ(n, 3);
}

TEST_CASE(sdxl_e2e_every_case_seed_for_seed)
{
    c10::InferenceMode guard;
    const auto goldenFile = test::openGolden("sdxl");
    auto f = test::loadGolden("sdxl");
    const torch::Tensor image = f.at("inputs/image/preprocessed").to(torch::kFloat32);  // [1, 3, 64, 64]
    const torch::Tensor mask = f.at("inputs/mask/preprocessed").to(torch::kFloat32);    // [1, 1, 64, 64]
    EXPECT_EQ(image.size(2), 64);
    EXPECT_EQ(mask.size(1), 1);
    int cases = 0;
    for (const auto& c : test::goldenCases(test::loadGoldenJson("sdxl"), "e2e/", 5)) {
        const std::string name = c.at("name");
        const auto& p = c.at("params");
        diffusion::PipelineParams params;
        const bool img2img = p.at("pipeline") == "StableDiffusionXLImg2ImgPipeline";
        params.mode = img2img                            ? diffusion::PipelineMode::Img2Img
                      : p.at("unet_in_channels") == 9 ? diffusion::PipelineMode::InpaintUnet
                                                       : diffusion::PipelineMode::Blend;
        params.blendTiming = diffusion::BlendTiming::Next;
        params.prompt = p.at("prompt").get<std::string>();
        params.negativePrompt = optionalString(p, "negative_prompt");
        params.a1111Prompt = false;
        params.steps = p.at("num_inference_steps");
        params.guidance = p.at("guidance_scale");
        params.strength = p.at("strength");
        if (p.contains("original_size"))
            params.originalSize = std::array<int64_t, 2>{p.at("original_size")[0], p.at("original_size")[1]};
        if (p.contains("crops_coords_top_left"))
            params.cropsCoordsTopLeft =
                std::array<int64_t, 2>{p.at("crops_coords_top_left")[0], p.at("crops_coords_top_left")[1]};
        // Both CFG layouts: diffusers' batch of 2 and the two halves apart.
        for (const auto batch : {diffusion::CfgBatch::Together, diffusion::CfgBatch::Apart}) {
            params.cfgBatch = batch;
            diffusion::GeneratorRandomSource random(p.at("seed").get<uint64_t>());
            std::vector<torch::Tensor> perStep;
            const auto out = diffusion::runPipeline(model(p.at("model")), {image, mask}, params, random,
                                                    [&](const diffusion::StepInfo& s) { perStep.push_back(s.latents.cpu().clone()); });
            EXPECT_MSG(random.drawCount() == static_cast<int64_t>(p.at("randn_draws").size()),
                       name << ": " << random.drawCount() << " draws, diffusers made " << p.at("randn_draws").size());
            const torch::Tensor refLatents = goldenFile->tensor(name + "/latents_per_step");
            EXPECT_EQ(static_cast<int64_t>(perStep.size()), refLatents.size(0));
            double worstLat = 0;
            for (size_t i = 0; i < perStep.size() && static_cast<int64_t>(i) < refLatents.size(0); ++i)
                worstLat = std::max(worstLat, test::maxAbsDiff(perStep[i], refLatents[i]));
            const double imgDiff = test::maxAbsDiff(out.image[0].permute({1, 2, 0}), goldenFile->tensor(name + "/image"));
            std::printf("  %-32s %s latents max|d| %.3g  image max|d| %.3g\n", name.c_str(),
                        batch == diffusion::CfgBatch::Together ? "batch 2" : "apart  ", worstLat, imgDiff);
            EXPECT_MSG(worstLat <= kLatentsTol, name << " latents differ by " << worstLat);
            EXPECT_MSG(imgDiff <= kImageTol, name << " image differs by " << imgDiff);
            g_worstImage.record(name, imgDiff);
            // The executed timesteps.
            const auto& want = p.at("step_timesteps");
            EXPECT_EQ(out.timesteps.size(), want.size());
            for (size_t i = 0; i < std::min(out.timesteps.size(), want.size()); ++i)
                EXPECT_NEAR(out.timesteps[i], want[i].get<double>(), 1e-3);
        }
        ++cases;
    }
    EXPECT_EQ(cases, 5);
}

// SDXL textual inversion (clip_l / clip_g): an embedding whose vectors are each encoder's own
// token embedding of "cat" must give exactly the conditioning and pooled output of the word
// itself, so the trigger's vectors land where the token was, in both encoders and in the pooled
// output. SD 1.x files beside it are skipped; a wrong width is named.
TEST_CASE(sdxl_textual_inversion_equals_the_token_it_copies)
{
    c10::InferenceMode guard;
    auto& m = model("tiny-sdxl");
    const auto ids1 = m.tokenizer().encode("cat"), ids2 = m.tokenizer2().encode("cat");
    EXPECT(ids1.size() > 2 && ids2.size() > 2 && ids1[2] == 49407 && ids2[2] == 49407);  // one token in both
    const auto w1 = m.textEncoder()->text_model->embeddings->token_embedding->weight;
    const auto w2 = m.textEncoder2()->text_model->embeddings->token_embedding->weight;
    const test::ScratchDir dir("inpaint_test_sdxl_ti");
    models::saveSafetensors(dir.path() / "mycat.safetensors",
                            std::map<std::string, torch::Tensor>{{"clip_l", w1.index({torch::indexing::Slice(ids1[1], ids1[1] + 1)}).to(torch::kFloat32).clone()},
                             {"clip_g", w2.index({torch::indexing::Slice(ids2[1], ids2[1] + 1)}).to(torch::kFloat32).clone()}});
    fs::copy_file(kRef / "models" / "embeddings" / "tiny-token-b.safetensors", dir.path() / "tiny-token-b.safetensors");
    std::vector<std::string> skipped;
    const auto dbs = diffusion::loadSdxlEmbeddings({dir.path()}, w1.size(1), w2.size(1), &skipped);
    EXPECT_EQ(dbs.clipL.size(), size_t{1});
    EXPECT_EQ(dbs.clipG.size(), size_t{1});
    EXPECT_EQ(skipped.size(), size_t{1});
    diffusion::PromptEncodeOptions withTi;
    withTi.embeddings = &dbs.clipL;
    withTi.embeddings2 = &dbs.clipG;
    for (const int clipSkip : {1, 2}) {
        withTi.clipSkip = clipSkip;
        diffusion::PromptEncodeOptions plain;
        plain.clipSkip = clipSkip;
        const auto a = diffusion::encodePromptSdxlA1111(m, "a photo of mycat, (sitting:1.2)", withTi);
        const auto b = diffusion::encodePromptSdxlA1111(m, "a photo of cat, (sitting:1.2)", plain);
        EXPECT_EQ(a.prompt.tokens.usedEmbeddings.size(), size_t{1});
        const double dc = test::maxAbsDiff(a.cond, b.cond), dp = test::maxAbsDiff(a.pooled, b.pooled);
        std::printf("  SDXL TI clip skip %d: cond max|d| %.3g, pooled max|d| %.3g\n", clipSkip, dc, dp);
        EXPECT_MSG(dc <= 1e-5 && dp <= 1e-5, "clip skip " << clipSkip << ": " << dc << " / " << dp);
        // Without the database the trigger is text, and the result differs.
        const auto c = diffusion::encodePromptSdxlA1111(m, "a photo of mycat, (sitting:1.2)", plain);
        EXPECT(test::maxAbsDiff(c.cond, b.cond) > 1e-3);
    }
    models::saveSafetensors(dir.path() / "wide.safetensors",
                            std::map<std::string, torch::Tensor>{{"clip_l", torch::zeros({int64_t{1}, w1.size(1)})},
                                                                 {"clip_g", torch::zeros({int64_t{1}, w2.size(1) + 1})}});
    EXPECT_THROWS(diffusion::loadSdxlEmbeddingFile(dir.path() / "wide.safetensors", w1.size(1), w2.size(1)),
                  models::WeightsError, "width");
    EXPECT_THROWS(diffusion::loadSdxlEmbeddingFile(dir.path() / "tiny-token-b.safetensors", w1.size(1), w2.size(1)),
                  models::WeightsError, "not an SDXL embedding");
}

TEST_CASE(sdxl_refuses_refiner_and_missing_text_encoder)
{
    const fs::path tmp = fs::temp_directory_path() / ("sdxl-refusals-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    auto copyModel = [&](const std::string& to) {
        const fs::path dst = tmp / to;
        fs::create_directories(dst);
        fs::copy(kRef / "models" / "tiny-sdxl", dst, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
        return dst;
    };
    auto editIndex = [](const fs::path& root, const std::function<void(nlohmann::json&)>& edit) {
        nlohmann::json j;
        std::ifstream(root / "model_index.json") >> j;
        edit(j);
        fs::permissions(root / "model_index.json", fs::perms::owner_write, fs::perm_options::add);
        std::ofstream(root / "model_index.json") << j.dump(2);
    };
    const fs::path refiner = copyModel("refiner");
    editIndex(refiner, [](nlohmann::json& j) { j["requires_aesthetics_score"] = true; j["text_encoder"] = {nullptr, nullptr}; });
    std::string msg;
    try {
        diffusion::SdModel::load(refiner, {});
    } catch (const models::ConfigError& e) {
        msg = e.what();
    }
    EXPECT_MSG(msg.find("refiner") != std::string::npos, msg);

    const fs::path noTe2 = copyModel("no-te2");
    fs::remove_all(noTe2 / "text_encoder_2");
    msg.clear();
    try {
        diffusion::SdModel::load(noTe2, {});
    } catch (const models::ConfigError& e) {
        msg = e.what();
    }
    EXPECT_MSG(msg.find("text_encoder_2") != std::string::npos && msg.find("missing") != std::string::npos, msg);
    fs::remove_all(tmp);
}

TEST_CASE(sdxl_model_facts)
{
    diffusion::SdModel& m = model("tiny-sdxl-inpaint");
    EXPECT(m.isSdxl());
    EXPECT(m.hasTextEncoder2());
    EXPECT_EQ(models::toString(m.kind()), std::string("sdxl-inpaint"));
    EXPECT_EQ(m.unetInChannels(), 9);
    EXPECT_EQ(m.nativeSize(), 64);  // sample_size 16 x vae_scale_factor 4 (1024 for the real SDXL)
    EXPECT(std::abs(m.scalingFactor() - 0.13025) < 1e-9);
    EXPECT(m.forceZerosForEmptyPrompt());
    EXPECT(m.vaeDtype() == torch::kFloat32);
    diffusion::SdModel& sd = model("tiny-sd");
    EXPECT(!sd.isSdxl());
    EXPECT(!sd.hasTextEncoder2());
    EXPECT_THROWS(sd.textEncoder2(), models::ConfigError, "second text encoder");
}

TEST_CASE(report)
{
    std::printf("SDXL text: worst max|d| %.3g (%s); e2e image: worst max|d| %.3g (%s)\n", g_worstText.value(),
                g_worstText.label().c_str(), g_worstImage.value(), g_worstImage.label().c_str());
    EXPECT(g_worstText.count() > 0);
    EXPECT(g_worstImage.count() == 10);
}

TEST_MAIN()
