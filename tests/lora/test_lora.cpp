// LoRA merged into tiny-sd-inpaint (core/diffusion/lora.h) against diffusers 0.25.1's goldens
// (golden/single_file lora_*: load_lora_weights + cross_attention_kwargs scale, and fuse_lora),
// and the state handling: exact restore, apply twice = once, shape mismatch leaves the weights,
// unmatched and ignored keys counted, other namings, LoCon, separate multipliers.
#include "core/diffusion/lora.h"
#include "core/diffusion/pipeline.h"
#include "core/diffusion/sd_model.h"
#include "models/clip/clip_text_model.h"
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "models/unet/unet_2d_condition.h"
#include "tests/common/reference.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>


#include <unistd.h>

#include <map>
#include <tuple>
#include <regex>

using namespace inpaint;
namespace fs = std::filesystem;

namespace {

const fs::path kRef = test::referenceDir();
const fs::path kLora = kRef / "models" / "lora" / "kohya-unet-te.safetensors";

// Same tolerances as tests/pipeline/test_pipeline_e2e.cpp.
constexpr double kLatentsTol = 1e-3;
constexpr double kImageTol = 1e-4;
constexpr double kEmbedsTol = 1e-4;  // tests/models/test_clip_text_model.cpp

std::shared_ptr<diffusion::SdModel> loadModel()
{
    return diffusion::SdModel::load(kRef / "models" / "tiny-sd-inpaint", {});
}

// Every parameter of both networks, cloned, under "te." / "unet." prefixes.
std::map<std::string, torch::Tensor> snapshot(diffusion::SdModel& m)
{
    c10::InferenceMode guard;
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m.textEncoder()->named_parameters(true)) out["te." + p.key()] = p.value().clone();
    for (const auto& p : m.unet()->named_parameters(true)) out["unet." + p.key()] = p.value().clone();
    return out;
}

// Names whose values differ (bitwise) between two snapshots; also counts a missing name.
std::vector<std::string> differing(const std::map<std::string, torch::Tensor>& a, const std::map<std::string, torch::Tensor>& b)
{
    std::vector<std::string> out;
    for (const auto& [k, t] : a) {
        auto it = b.find(k);
        if (it == b.end() || !torch::equal(t, it->second)) out.push_back(k);
    }
    for (const auto& [k, t] : b)
        if (!a.count(k)) out.push_back(k);
    return out;
}

size_t countPrefix(const std::vector<std::string>& names, const std::string& prefix)
{
    return static_cast<size_t>(std::count_if(names.begin(), names.end(), [&](const std::string& n) { return n.rfind(prefix, 0) == 0; }));
}

fs::path tempDir()
{
    const fs::path d = fs::temp_directory_path() / ("inpaint-test-lora-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

std::map<std::string, torch::Tensor> loraTensors()
{
    std::map<std::string, torch::Tensor> out;
    for (const auto& [k, v] : models::loadSafetensors(kLora)) out[k] = v.clone();
    return out;
}

// The kohya file's modules: name -> count by network.
int64_t countModules(const std::map<std::string, torch::Tensor>& t, const std::string& prefix)
{
    int64_t n = 0;
    for (const auto& [k, v] : t)
        if (k.rfind(prefix, 0) == 0 && k.size() > 17 && k.compare(k.size() - 17, 17, ".lora_down.weight") == 0) ++n;
    return n;
}

diffusion::PipelineInputs referenceInputs()
{
    auto f = models::SafetensorsFile::open(kRef / "inputs" / "inputs.safetensors");
    return {f->tensor("image/preprocessed").to(torch::kFloat32).clone(),
            f->tensor("mask/preprocessed").to(torch::kFloat32).clone()};
}

uint64_t seedOf(const nlohmann::json& params)
{
    std::smatch m;
    const std::string g = params.at("generator").get<std::string>();
    if (!std::regex_search(g, m, std::regex(R"(manual_seed\((\d+)\))"))) throw std::runtime_error("no seed in " + g);
    return std::stoull(m[1].str());
}

// The (text encoder, unet) scale a golden case used: fuse_lora(lora_scale) merges both; unfused,
// cross_attention_kwargs {"scale": s} scales the UNet and encode_prompt's lora_scale = s the
// text encoder (params.text_encoder_lora_scaling).
std::pair<double, double> caseScales(const nlohmann::json& p)
{
    if (p.contains("fuse_lora_scale") && !p.at("fuse_lora_scale").is_null()) {
        const double s = p.at("fuse_lora_scale");
        EXPECT_MSG(p.at("cross_attention_kwargs").is_null(), "fused case with a scale kwarg");
        return {s, s};
    }
    const double te = p.at("lora_scale");
    const double unet = p.at("cross_attention_kwargs").at("scale");
    return {te, unet};
}

}  // namespace

TEST_CASE(golden_lora_cases)
{
    c10::InferenceMode guard;
    auto model = loadModel();
    diffusion::LoraState lora(*model);
    const auto goldenFile = test::openGolden("single_file");
    const diffusion::PipelineInputs inputs = referenceInputs();
    const auto file = loraTensors();
    const int64_t unetModules = countModules(file, "lora_unet_"), teModules = countModules(file, "lora_te_");
    EXPECT(unetModules > 0 && teModules > 0);

    for (const auto& c : test::goldenCases(test::loadGoldenJson("single_file"), "lora_", 3)) {
        const std::string name = c.at("name");
        const auto& p = c.at("params");
        const auto [teScale, unetScale] = caseScales(p);
        EXPECT_EQ(p.at("lora_file").get<std::string>(), std::string("models/lora/kohya-unet-te.safetensors"));
        const auto summary = lora.apply({{kRef / p.at("lora_file").get<std::string>(), teScale, unetScale}});
        EXPECT(summary.changed);
        EXPECT_EQ(summary.unetModules, unetModules);
        EXPECT_EQ(summary.textEncoderModules, teModules);
        EXPECT_EQ(summary.unmatchedModules, 0);
        EXPECT_EQ(summary.touchedWeights, unetModules + teModules);
        std::printf("  %-16s te %.2f unet %.2f: %lld unet + %lld te modules, %lld weights backed up (%lld bytes)\n",
                    name.c_str(), teScale, unetScale, static_cast<long long>(summary.unetModules),
                    static_cast<long long>(summary.textEncoderModules), static_cast<long long>(summary.touchedWeights),
                    static_cast<long long>(summary.backupBytes));

        const std::string prompt = p.at("prompt");
        const double pe = test::maxAbsDiff(model->encodePrompt(prompt), goldenFile->tensor(name + "/prompt_embeds"));
        const double ne = test::maxAbsDiff(model->encodePrompt(""), goldenFile->tensor(name + "/negative_prompt_embeds"));
        EXPECT_MSG(pe <= kEmbedsTol, name << " prompt_embeds differ by " << pe);
        EXPECT_MSG(ne <= kEmbedsTol, name << " negative_prompt_embeds differ by " << ne);

        diffusion::PipelineParams params;
        params.mode = diffusion::PipelineMode::InpaintUnet;  // StableDiffusionInpaintPipeline, 9-channel UNet
        params.blendTiming = diffusion::BlendTiming::Next;
        params.prompt = prompt;
        EXPECT(p.at("negative_prompt").is_null());
        params.steps = p.at("num_inference_steps");
        params.guidance = p.at("guidance_scale");
        params.strength = p.at("strength");
        params.eta = p.value("eta", 0.0);
        params.scheduler = "default";  // the checkpoint's own (DDIM)
        EXPECT_EQ(p.at("rng_mode").get<std::string>(), std::string("seeded"));
        diffusion::GeneratorRandomSource random(seedOf(p));
        diffusion::PipelineOutput out;
        try {
            out = diffusion::runPipeline(*model, inputs, params, random);
        } catch (const std::exception& e) {
            EXPECT_MSG(false, name << " threw: " << e.what());
            continue;
        }
        EXPECT_EQ(random.drawCount(), static_cast<int64_t>(p.at("randn_draws").size()));
        const double lat = test::maxAbsDiff(out.latents, goldenFile->tensor(name + "/final_latents"));
        const double img = test::maxAbsDiff(out.image[0].permute({1, 2, 0}), goldenFile->tensor(name + "/image"));
        std::printf("  %-16s prompt_embeds max|d| %.3g  negative %.3g  final latents %.3g  image %.3g\n", name.c_str(), pe,
                    ne, lat, img);
        EXPECT_MSG(lat <= kLatentsTol, name << " final latents differ by " << lat);
        EXPECT_MSG(img <= kImageTol, name << " image differs by " << img);
    }

    // Back to the base model: the embeddings diffusers computed without the LoRA.
    lora.restore();
    EXPECT(lora.applied().empty());
    EXPECT_EQ(lora.backupBytes(), 0);
    const double base = test::maxAbsDiff(model->encodePrompt("a photo of a red cat sitting on a wooden table, highly detailed"),
                                         goldenFile->tensor("lora_scale1.0/prompt_embeds_base"));
    EXPECT_MSG(base <= kEmbedsTol, "restored prompt_embeds differ from the base by " << base);
}

TEST_CASE(restore_is_bit_identical_to_a_fresh_load)
{
    auto fresh = snapshot(*loadModel());
    auto model = loadModel();
    diffusion::LoraState lora(*model);
    const auto file = loraTensors();
    lora.apply({{kLora, 0.8, 1.3}});
    const auto merged = snapshot(*model);
    const auto changed = differing(fresh, merged);
    EXPECT_EQ(static_cast<int64_t>(changed.size()), countModules(file, "lora_"));
    EXPECT_EQ(static_cast<int64_t>(countPrefix(changed, "te.")), countModules(file, "lora_te_"));
    for (const auto& n : changed)
        EXPECT_MSG(n.size() > 7 && n.compare(n.size() - 7, 7, ".weight") == 0, n << " changed but is no weight");
    // A different set restores first, then merges.
    lora.apply({{kLora, 0.25, 0.25}});
    EXPECT(!differing(merged, snapshot(*model)).empty());
    lora.restore();
    const auto restored = differing(fresh, snapshot(*model));
    EXPECT_MSG(restored.empty(), restored.size() << " tensors differ from a fresh load after restore, e.g. "
                                                  << (restored.empty() ? "" : restored[0]));
    EXPECT_EQ(lora.lastSummary().touchedWeights, 0);
}

TEST_CASE(apply_twice_is_apply_once)
{
    auto model = loadModel();
    diffusion::LoraState lora(*model);
    const std::vector<diffusion::LoraSpec> list{{kLora, 0.7, 0.7}};
    const auto first = lora.apply(list);
    EXPECT(first.changed);
    const auto once = snapshot(*model);
    const auto second = lora.apply(list);
    EXPECT(!second.changed);
    EXPECT_EQ(second.touchedWeights, first.touchedWeights);
    EXPECT(differing(once, snapshot(*model)).empty());
    // Another scale and back: restore + merge is deterministic, bit for bit.
    EXPECT(lora.apply({{kLora, 0.7, 0.5}}).changed);
    EXPECT(!differing(once, snapshot(*model)).empty());
    EXPECT(lora.apply(list).changed);
    EXPECT(differing(once, snapshot(*model)).empty());
    // The same file twice is summed (two LoRAs on one weight): 0.35 + 0.35 = 0.7 up to rounding.
    lora.apply({{kLora, 0.35, 0.35}, {kLora, 0.35, 0.35}});
    double worst = 0;
    const auto twice = snapshot(*model);
    for (const auto& [k, t] : once) worst = std::max(worst, test::maxAbsDiff(t, twice.at(k)));
    EXPECT_MSG(worst <= 1e-6, "two halves differ from the whole by " << worst);
    EXPECT_EQ(lora.lastSummary().touchedWeights, first.touchedWeights);
}

TEST_CASE(shape_mismatch_is_an_error_and_changes_nothing)
{
    const fs::path dir = tempDir();
    auto bad = loraTensors();
    const std::string key = "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k";
    REQUIRE(bad.count(key + ".lora_down.weight") == 1);
    const auto downShape = bad.at(key + ".lora_down.weight").sizes().vec();  // [4, 16] (cross_attention_dim 16)
    bad[key + ".lora_down.weight"] = torch::randn({downShape[0], 24});       // made for a 24-wide text encoder
    const fs::path badFile = dir / "other-base.safetensors";
    models::saveSafetensors(badFile, bad);

    auto model = loadModel();
    const auto fresh = snapshot(*model);
    diffusion::LoraState lora(*model);
    EXPECT_THROWS(lora.apply({{badFile, 1.0, 1.0}}), models::WeightsError, key);
    EXPECT_THROWS(lora.apply({{badFile, 1.0, 1.0}}), models::WeightsError, "[4, 24]");
    EXPECT_THROWS(lora.apply({{badFile, 1.0, 1.0}}), models::WeightsError, "[64, 16]");
    EXPECT(differing(fresh, snapshot(*model)).empty());
    EXPECT(lora.applied().empty());

    // With a good LoRA applied, a failing list keeps it applied, weights untouched.
    lora.apply({{kLora, 1.0, 1.0}});
    const auto applied = snapshot(*model);
    EXPECT_THROWS(lora.apply({{kLora, 0.5, 0.5}, {badFile, 1.0, 1.0}}), models::WeightsError, key);
    EXPECT(differing(applied, snapshot(*model)).empty());
    EXPECT_EQ(lora.applied().size(), size_t{1});
    lora.restore();
    EXPECT(differing(fresh, snapshot(*model)).empty());

    EXPECT_THROWS(lora.apply({{dir / "missing.safetensors", 1.0, 1.0}}), models::ModelError, "missing.safetensors");
    models::saveSafetensors(dir / "x.lora", {{"a", torch::zeros({1})}});
    EXPECT_THROWS(lora.apply({{dir / "x.lora", 1.0, 1.0}}), models::FormatError, "unknown file type '.lora'");
    models::saveSafetensors(dir / "x.pt", {{"a", torch::zeros({1})}});  // a safetensors file named .pt
    EXPECT_THROWS(lora.apply({{dir / "x.pt", 1.0, 1.0}}), models::FormatError, "x.pt");
    fs::remove_all(dir);
}

TEST_CASE(unmatched_and_ignored_keys_are_counted)
{
    const fs::path dir = tempDir();
    auto t = loraTensors();
    const int64_t good = countModules(t, "lora_");
    t["lora_unet_no_such_block_attn1_to_q.lora_down.weight"] = torch::randn({4, 8});
    t["lora_unet_no_such_block_attn1_to_q.lora_up.weight"] = torch::randn({8, 4});
    t["lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_down.weight"] = torch::randn({4, 16});  // SDXL's 2nd encoder
    t["lora_te2_text_model_encoder_layers_0_mlp_fc1.lora_up.weight"] = torch::randn({37, 4});
    t["emb_params"] = torch::randn({1, 16});  // a bundled embedding: not a LoRA weight
    const fs::path f = dir / "extra.safetensors";
    models::saveSafetensors(f, t);

    auto model = loadModel();
    diffusion::LoraState lora(*model);
    const auto s = lora.apply({{f, 1.0, 1.0}});
    EXPECT_EQ(s.unmatchedModules, 2);
    EXPECT_EQ(s.unmatchedNames.size(), size_t{2});
    const std::string names = s.unmatchedNames.size() == 2 ? s.unmatchedNames[0] + "|" + s.unmatchedNames[1] : "";
    EXPECT_MSG(names.find("extra.safetensors: lora_unet_no_such_block_attn1_to_q") != std::string::npos, names);
    EXPECT_MSG(names.find("lora_te2_text_model_encoder_layers_0_mlp_fc1") != std::string::npos, names);
    EXPECT_EQ(s.ignoredKeys, 1);
    EXPECT(s.ignoredNames.size() == 1 && s.ignoredNames[0] == "extra.safetensors: emb_params");
    EXPECT_EQ(s.unetModules + s.textEncoderModules, good);

    // Zero multipliers: matched but not merged; the other network alone changes.
    const auto fresh = [&] { lora.restore(); return snapshot(*model); }();
    const auto s2 = lora.apply({{kLora, 1.0, 0.0}});
    EXPECT_EQ(s2.unetModules, 0);
    EXPECT_EQ(s2.zeroScaleModules, countModules(loraTensors(), "lora_unet_"));
    const auto teOnly = differing(fresh, snapshot(*model));
    EXPECT(!teOnly.empty() && countPrefix(teOnly, "te.") == teOnly.size());
    // ... and the text encoder then gives diffusers' embeddings at lora_scale 1.
    const auto golden = test::openGolden("single_file");
    const double pe = test::maxAbsDiff(model->encodePrompt("a photo of a red cat sitting on a wooden table, highly detailed"),
                                       golden->tensor("lora_scale1.0/prompt_embeds"));
    EXPECT_MSG(pe <= kEmbedsTol, "text-encoder-only LoRA: prompt_embeds differ by " << pe);
    lora.apply({{kLora, 0.0, 1.0}});
    const auto unetOnly = differing(fresh, snapshot(*model));
    EXPECT(!unetOnly.empty() && countPrefix(unetOnly, "unet.") == unetOnly.size());
    fs::remove_all(dir);
}

TEST_CASE(unsupported_module_types_are_named)
{
    const fs::path dir = tempDir();
    auto model = loadModel();
    diffusion::LoraState lora(*model);
    const auto fresh = snapshot(*model);
    auto t = loraTensors();
    t["lora_unet_down_blocks_1_attentions_0_proj_out.hada_w1_a"] = torch::randn({64, 4});
    models::saveSafetensors(dir / "loha.safetensors", t);
    EXPECT_THROWS(lora.apply({{dir / "loha.safetensors", 1.0, 1.0}}), models::FormatError,
                  "'lora_unet_down_blocks_1_attentions_0_proj_out.hada_w1_a' belongs to a LoHa");
    t = loraTensors();
    t["lora_unet_down_blocks_1_attentions_0_proj_out.lokr_w1"] = torch::randn({8, 8});
    models::saveSafetensors(dir / "lokr.safetensors", t);
    EXPECT_THROWS(lora.apply({{dir / "lokr.safetensors", 1.0, 1.0}}), models::FormatError, "LoKr");
    t = loraTensors();
    t.erase("lora_unet_mid_block_attentions_0_proj_in.lora_up.weight");
    models::saveSafetensors(dir / "half.safetensors", t);
    EXPECT_THROWS(lora.apply({{dir / "half.safetensors", 1.0, 1.0}}), models::FormatError,
                  "'lora_unet_mid_block_attentions_0_proj_in' has");
    EXPECT(differing(fresh, snapshot(*model)).empty());
    fs::remove_all(dir);
}

// The same LoRA in PEFT naming (no alpha: factor 1, so up carries alpha/rank = 0.5) and in the
// old diffusers naming merges to the same weights, bit for bit.
TEST_CASE(peft_and_old_diffusers_names)
{
    const fs::path dir = tempDir();
    auto model = loadModel();
    std::map<std::string, std::string> unetNames, teNames;  // kohya module -> dotted path
    for (const auto& p : model->unet()->named_parameters(true)) {
        if (!p.key().ends_with(".weight")) continue;
        std::string k = p.key().substr(0, p.key().size() - 7);
        std::string u = k;
        std::replace(u.begin(), u.end(), '.', '_');
        unetNames["lora_unet_" + u] = k;
    }
    for (const auto& p : model->textEncoder()->named_parameters(true)) {
        if (!p.key().ends_with(".weight")) continue;
        std::string k = p.key().substr(0, p.key().size() - 7);
        std::string u = k;
        std::replace(u.begin(), u.end(), '.', '_');
        teNames["lora_te_" + u] = k;
    }
    std::map<std::string, torch::Tensor> peft, old;
    const auto kohya = loraTensors();
    int64_t converted = 0;
    for (const auto& [k, v] : kohya) {
        const auto dot = k.find('.');
        const std::string module = k.substr(0, dot), suffix = k.substr(dot);
        if (suffix == ".alpha") continue;
        const bool te = module.rfind("lora_te_", 0) == 0;
        const auto& names = te ? teNames : unetNames;
        REQUIRE(names.count(module) == 1);
        const std::string path = names.at(module);
        const bool isDown = suffix == ".lora_down.weight";
        const double factor = kohya.at(module + ".alpha").item<double>() / 4.0;
        const torch::Tensor value = isDown ? v : v * factor;
        peft[(te ? "text_encoder." : "unet.") + path + (isDown ? ".lora_A.weight" : ".lora_B.weight")] = value;
        // Old diffusers: text encoder lora_linear_layer, attention processors to_q_lora, conv .lora.
        std::string oldName;
        if (te) {
            oldName = "text_encoder." + path + ".lora_linear_layer." + (isDown ? "down" : "up") + ".weight";
        } else if (std::regex_search(path, std::regex(R"(attn[12]\.to_(q|k|v|out\.0)$)"))) {
            std::string proc = std::regex_replace(path, std::regex(R"(\.(to_(q|k|v|out))(\.0)?$)"), ".processor.$1_lora");
            oldName = "unet." + proc + (isDown ? ".down.weight" : ".up.weight");
        } else {
            oldName = path + ".lora." + (isDown ? "down" : "up") + ".weight";
        }
        old[oldName] = value;
        ++converted;
    }
    EXPECT_EQ(converted, 2 * countModules(kohya, "lora_"));
    models::saveSafetensors(dir / "peft.safetensors", peft);
    models::saveSafetensors(dir / "old.safetensors", old);

    diffusion::LoraState lora(*model);
    lora.apply({{kLora, 0.9, 0.6}});
    const auto ref = snapshot(*model);
    for (const char* f : {"peft.safetensors", "old.safetensors"}) {
        const auto s = lora.apply({{dir / f, 0.9, 0.6}});
        EXPECT_MSG(s.unmatchedModules == 0, f << ": unmatched " << s.unmatchedModules << " e.g. "
                                              << (s.unmatchedNames.empty() ? "" : s.unmatchedNames[0]));
        EXPECT_EQ(s.unetModules + s.textEncoderModules, countModules(kohya, "lora_"));
        const auto d = differing(ref, snapshot(*model));
        EXPECT_MSG(d.empty(), f << ": " << d.size() << " tensors differ from the kohya file's merge, e.g. "
                                << (d.empty() ? "" : d[0]));
    }
    fs::remove_all(dir);
}

// The same LoRA as a torch.save zip (tests/lora/data/kohya-unet-te.pt, made by make_pt_lora.py
// with sd-scripts' layout, one non-tensor entry added) merges to the same weights, bit for bit.
TEST_CASE(torch_save_pt_file)
{
    const fs::path pt = fs::path(INPAINT_TEST_DATA_DIR).parent_path() / "lora" / "data" / "kohya-unet-te.pt";
    REQUIRE(fs::exists(pt));
    const auto kohya = loraTensors();
    auto model = loadModel();
    diffusion::LoraState lora(*model);
    lora.apply({{kLora, 0.9, 0.6}});
    const auto ref = snapshot(*model);
    const auto s = lora.apply({{pt, 0.9, 0.6}});
    EXPECT_EQ(s.unetModules + s.textEncoderModules, countModules(kohya, "lora_"));
    EXPECT_EQ(s.unmatchedModules, 0);
    EXPECT(s.ignoredKeys == 1 && s.ignoredNames.size() == 1 && s.ignoredNames[0] == "kohya-unet-te.pt: ss_network_dim");
    const auto d = differing(ref, snapshot(*model));
    EXPECT_MSG(d.empty(), d.size() << " tensors differ from the .safetensors merge");
}

// A half-precision model: the merge is computed in float32 and cast once; restore is exact.
TEST_CASE(fp16_weights_merge_in_fp32)
{
    c10::InferenceMode guard;
    diffusion::ModelLoadOptions o;
    o.dtype = torch::kFloat16;
    auto model = diffusion::SdModel::load(kRef / "models" / "tiny-sd-inpaint", o);
    const auto fresh = snapshot(*model);
    diffusion::LoraState lora(*model);
    const auto s = lora.apply({{kLora, 0.3, 0.7}});
    const auto file = loraTensors();
    EXPECT_EQ(s.touchedWeights, countModules(file, "lora_"));
    const auto merged = snapshot(*model);
    int checked = 0;
    for (const auto& [key, module, weight, mult] :
         {std::tuple<std::string, std::string, std::string, double>{
              "unet", "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn2_to_v",
              "unet.down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v.weight", 0.7},
          {"unet", "lora_unet_up_blocks_0_attentions_1_proj_out", "unet.up_blocks.0.attentions.1.proj_out.weight", 0.7},
          {"te", "lora_te_text_model_encoder_layers_1_mlp_fc2", "te.text_model.encoder.layers.1.mlp.fc2.weight", 0.3}}) {
        const torch::Tensor w0 = fresh.at(weight);
        REQUIRE(w0.scalar_type() == torch::kFloat16);
        const torch::Tensor up = file.at(module + ".lora_up.weight").flatten(1) * file.at(module + ".alpha").item<double>() / 4.0;
        const torch::Tensor delta = at::mm(up, file.at(module + ".lora_down.weight").flatten(1)).view(w0.sizes());
        const torch::Tensor expect = (w0.to(torch::kFloat32) + mult * delta).to(torch::kFloat16);
        EXPECT_MSG(torch::equal(merged.at(weight), expect), key << " " << weight << " differs from the fp32 merge by "
                                                               << test::maxAbsDiff(merged.at(weight), expect));
        ++checked;
    }
    EXPECT_EQ(checked, 3);
    EXPECT_EQ(s.backupBytes, [&] {
        int64_t n = 0;
        for (const auto& k : differing(fresh, merged)) n += static_cast<int64_t>(fresh.at(k).nbytes());
        return n;
    }());
    lora.restore();
    EXPECT(differing(fresh, snapshot(*model)).empty());
}

// LoCon on a 3x3 resnet conv: the merged conv equals conv(x, W) + scale * up(down(x)).
TEST_CASE(locon_3x3_conv)
{
    c10::InferenceMode guard;
    const fs::path dir = tempDir();
    auto model = loadModel();
    const std::string path = "down_blocks.0.resnets.0.conv1";
    torch::Tensor w0;
    for (const auto& p : model->unet()->named_parameters(true))
        if (p.key() == path + ".weight") w0 = p.value().clone();
    REQUIRE(w0.defined() && w0.dim() == 4 && w0.size(2) == 3);
    const int64_t out = w0.size(0), in = w0.size(1), rank = 3;
    torch::manual_seed(7);
    const torch::Tensor down = torch::randn({rank, in, 3, 3}) / 10, up = torch::randn({out, rank, 1, 1}) / 3;
    const double alpha = 1.5, mult = 0.8;
    models::saveSafetensors(dir / "locon.safetensors", {{"lora_unet_down_blocks_0_resnets_0_conv1.lora_down.weight", down},
                                                        {"lora_unet_down_blocks_0_resnets_0_conv1.lora_up.weight", up},
                                                        {"lora_unet_down_blocks_0_resnets_0_conv1.alpha", torch::tensor(static_cast<float>(alpha))}});
    const auto contents = diffusion::readLoraFile(dir / "locon.safetensors");
    REQUIRE(contents.modules.size() == 1);
    EXPECT(contents.modules[0].type() == diffusion::LoraModuleType::LoCon);
    // A UNet run before and after: the conv's prepacked (oneDNN) weight must follow the merge.
    const torch::Tensor sample = torch::randn({1, 9, 16, 16}), context = torch::randn({1, 77, 16});
    const torch::Tensor before = model->unetForward(sample, 501, context);
    diffusion::LoraState lora(*model);
    const auto s = lora.apply({{dir / "locon.safetensors", 1.0, mult}});
    EXPECT_EQ(s.unetModules, 1);
    const torch::Tensor after = model->unetForward(sample, 501, context);
    EXPECT_MSG(test::maxAbsDiff(after, before) > 1e-4, "the UNet output did not change with the LoCon merged ("
                                                          << test::maxAbsDiff(after, before) << ")");
    lora.restore();
    EXPECT_MSG(torch::equal(model->unetForward(sample, 501, context), before), "restored UNet gives another output");
    lora.apply({{dir / "locon.safetensors", 1.0, mult}});
    EXPECT(torch::equal(model->unetForward(sample, 501, context), after));
    torch::Tensor w1;
    for (const auto& p : model->unet()->named_parameters(true))
        if (p.key() == path + ".weight") w1 = p.value().clone();
    const torch::Tensor x = torch::randn({1, in, 9, 9});
    const auto opts = torch::nn::functional::Conv2dFuncOptions().padding(1);
    const torch::Tensor expect = torch::nn::functional::conv2d(x, w0, opts) +
                                 mult * alpha / rank * torch::nn::functional::conv2d(torch::nn::functional::conv2d(x, down, opts), up);
    const double d = test::maxAbsDiff(torch::nn::functional::conv2d(x, w1, opts), expect);
    EXPECT_MSG(d <= 1e-5, "LoCon merged conv differs by " << d);
    EXPECT(test::maxAbsDiff(w1, w0) > 1e-3);
    fs::remove_all(dir);
}

TEST_MAIN()

// SDXL kohya LoRA (sd-scripts): lora_te1_/lora_te2_ for the two text encoders and the UNet's
// modules under sgm/LDM names. Each module lands on the diffusers weight the single-file
// loader's rule gives (checked value by value: W + alpha/rank * up @ down), nothing else changes,
// and restore is bit-exact.
TEST_CASE(sdxl_kohya_ldm_names_land_on_their_weights)
{
    c10::InferenceMode guard;
    auto model = diffusion::SdModel::load(kRef / "models" / "tiny-sdxl", {});
    std::map<std::string, torch::Tensor> params;
    for (const auto& p : model->unet()->named_parameters(true)) params["unet." + p.key()] = p.value().clone();
    for (const auto& p : model->textEncoder()->named_parameters(true)) params["te1." + p.key()] = p.value().clone();
    for (const auto& p : model->textEncoder2()->named_parameters(true)) params["te2." + p.key()] = p.value().clone();
    // kohya module -> the weight it must change (tiny-sdxl: DownBlock2D + CrossAttnDownBlock2D,
    // 2 layers per block, so input_blocks 4/5 are down_blocks.1 and output_blocks 0-2 up_blocks.0).
    const std::vector<std::pair<std::string, std::string>> expected{
        {"lora_unet_input_blocks_4_1_transformer_blocks_1_attn2_to_k", "unet.down_blocks.1.attentions.0.transformer_blocks.1.attn2.to_k.weight"},
        {"lora_unet_input_blocks_5_1_proj_out", "unet.down_blocks.1.attentions.1.proj_out.weight"},
        {"lora_unet_input_blocks_1_0_in_layers_2", "unet.down_blocks.0.resnets.0.conv1.weight"},
        {"lora_unet_input_blocks_3_0_op", "unet.down_blocks.0.downsamplers.0.conv.weight"},
        {"lora_unet_middle_block_1_transformer_blocks_0_ff_net_0_proj", "unet.mid_block.attentions.0.transformer_blocks.0.ff.net.0.proj.weight"},
        {"lora_unet_middle_block_2_emb_layers_1", "unet.mid_block.resnets.1.time_emb_proj.weight"},
        {"lora_unet_output_blocks_2_2_conv", "unet.up_blocks.0.upsamplers.0.conv.weight"},
        {"lora_unet_output_blocks_3_0_skip_connection", "unet.up_blocks.1.resnets.0.conv_shortcut.weight"},
        {"lora_unet_label_emb_0_0", "unet.add_embedding.linear_1.weight"},
        {"lora_te1_text_model_encoder_layers_0_self_attn_q_proj", "te1.text_model.encoder.layers.0.self_attn.q_proj.weight"},
        {"lora_te2_text_model_encoder_layers_1_mlp_fc1", "te2.text_model.encoder.layers.1.mlp.fc1.weight"},
    };
    std::map<std::string, torch::Tensor> file;
    torch::manual_seed(5);
    const int64_t rank = 2;
    for (const auto& [module, weight] : expected) {
        EXPECT_MSG(params.count(weight), "the test's weight " << weight << " is not in tiny-sdxl");
        if (!params.count(weight)) continue;
        const auto w = params.at(weight);
        std::vector<int64_t> down{rank, w.size(1)}, up{w.size(0), rank};
        if (w.dim() == 4) down = {rank, w.size(1), w.size(2), w.size(3)}, up = {w.size(0), rank, 1, 1};
        file[module + ".lora_down.weight"] = torch::randn(down) * 0.1;
        file[module + ".lora_up.weight"] = torch::randn(up) * 0.1;
        file[module + ".alpha"] = torch::tensor(1.0);
    }
    const fs::path f = tempDir() / "sdxl-kohya.safetensors";
    models::saveSafetensors(f, file);

    diffusion::LoraState& lora = model->loras();
    const auto s = lora.apply({{f, 0.8, 0.6}});
    EXPECT_EQ(s.unmatchedModules, 0);
    for (const auto& n : s.unmatchedNames) std::printf("  unmatched: %s\n", n.c_str());
    EXPECT_EQ(s.unetModules, 9);
    EXPECT_EQ(s.textEncoderModules, 2);
    std::map<std::string, torch::Tensor> now;
    for (const auto& p : model->unet()->named_parameters(true)) now["unet." + p.key()] = p.value();
    for (const auto& p : model->textEncoder()->named_parameters(true)) now["te1." + p.key()] = p.value();
    for (const auto& p : model->textEncoder2()->named_parameters(true)) now["te2." + p.key()] = p.value();
    size_t changed = 0;
    for (const auto& [k, t] : params) changed += !torch::equal(t, now.at(k));
    EXPECT_EQ(changed, expected.size());
    double worst = 0;
    for (const auto& [module, weight] : expected) {
        if (!params.count(weight)) continue;
        const double scale = (weight.rfind("unet.", 0) == 0 ? 0.6 : 0.8) * 1.0 / rank;
        const auto delta = at::mm(file.at(module + ".lora_up.weight").flatten(1), file.at(module + ".lora_down.weight").flatten(1));
        const auto want = params.at(weight) + scale * delta.view(params.at(weight).sizes());
        worst = std::max(worst, (now.at(weight) - want).abs().max().item<double>());
    }
    std::printf("SDXL kohya LoRA: %zu weights changed, worst |merged - expected| %.3g\n", changed, worst);
    EXPECT(worst <= 1e-6);
    lora.restore();
    size_t still = 0;
    for (const auto& [k, t] : params) still += !torch::equal(t, now.at(k));
    EXPECT_EQ(still, size_t{0});

    // The other family: named, nothing merged.
    EXPECT_THROWS(lora.apply({{kLora, 1.0, 1.0}}), models::WeightsError, "SD 1.x/2.x LoRA");
    EXPECT_THROWS(lora.apply({{kLora, 1.0, 1.0}}), models::WeightsError, "the model is SDXL");
    auto sd = loadModel();
    EXPECT_THROWS(sd->loras().apply({{f, 1.0, 1.0}}), models::WeightsError, "SDXL LoRA");
    EXPECT_THROWS(sd->loras().apply({{f, 1.0, 1.0}}), models::WeightsError, "the model is SD 1.x");
    fs::remove_all(f.parent_path());
}
