// SDXL model layer vs diffusers 0.25.1 / transformers goldens (tests/data/reference/golden/sdxl.*,
// INDEX-sdxl.md): the text_time UNet2DConditionModel of both tiny SDXL folders (4- and 9-channel;
// every unet/* case, with its text_embeds / time_ids and, for t_int, every intermediate), and the
// two text encoders (CLIPTextModel + CLIPTextModelWithProjection) of every text/* case at the model
// level: hidden_states[-2] / [-3] of both encoders concatenated (= prompt_embeds) and the pooled,
// projected text_embeds of text_encoder_2 (= pooled_prompt_embeds). The zeroed negatives of
// force_zeros_for_empty_prompt (neg_none) are pipeline logic and are not checked here.
// Plus the refusals: unsupported addition_embed_type, a text_time UNet called without its added
// conditioning, a state dict without add_embedding.linear_1.weight.
//
// Tolerances, absolute, fp32:
// * UNet 1e-4, as test_unet_golden: outputs reach 5.08 in magnitude (INDEX-sdxl.md), diffusers
//   itself moves by up to 5.6e-6 between 1 and 2 threads; a port with other kernel orders (oneDNN
//   convolutions, channels-last, the fused GroupNorm + SiLU, our attention kernel) lands ~1e-5 away,
//   so 1e-4 (2e-5 relative to the largest value) leaves margin while any real error (a wrong added
//   embedding, swapped time ids, wrong transformer depth per block) moves outputs by > 1e-2.
// * Text 1e-4, as test_clip_text_model: the goldens are bit-identical across thread counts,
//   magnitudes <= 2.82; float32 GEMM/LayerNorm reorderings stay ~1e-6.
#include "models/clip/clip_text_model.h"
#include "models/clip/clip_tokenizer.h"
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/nn/attention.h"
#include "tests/unet_vae/tiny_models.h"

#include <torch/torch.h>

using namespace inpaint;
using models::ConfigError;
using models::UNet2DConditionConfig;
using models::UNetAddedCond;
using models::WeightsError;

namespace {

constexpr double kUnetTol = 1e-4;
constexpr double kTextTol = 1e-4;
test::WorstCase g_worstUnet, g_worstText;

const std::vector<std::string> kModels{"tiny-sdxl", "tiny-sdxl-inpaint"};

UNetAddedCond addedCond(const std::map<std::string, torch::Tensor>& golden, const std::string& name)
{
    return UNetAddedCond{golden.at(name + "/text_embeds"), golden.at(name + "/time_ids")};
}

void runUnetCases(const std::string& model, bool channelsLast, models::nn::AttentionBackend backend)
{
    auto golden = test::loadGolden("sdxl");
    auto meta = test::loadGoldenJson("sdxl");
    auto unet = test::loadTinyUnet(model);
    models::nn::setDefaultAttentionBackend(backend);
    unet->setChannelsLast(channelsLast);
    c10::InferenceMode guard;
    int activations = 0;
    for (const auto& c : test::goldenCases(meta, "unet/" + model + "/", 3)) {
        const std::string name = c.at("name").get<std::string>();
        std::map<std::string, torch::Tensor> acts;
        models::ActivationSink sink = [&](const std::string& n, const torch::Tensor& t) { acts[n] = t.clone(); };
        const torch::Tensor out = unet->forward(golden.at(name + "/sample"), golden.at(name + "/timestep"),
                                                golden.at(name + "/encoder_hidden_states"), addedCond(golden, name),
                                                &sink);
        double d = 0;
        EXPECT_MSG(test::tensorsClose(out, golden.at(name + "/out"), kUnetTol, name + "/out", &d), name);
        g_worstUnet.record(name + "/out", d);
        EXPECT(out.scalar_type() == torch::kFloat);
        EXPECT(out.is_contiguous());
        const std::string prefix = name + "/act/";
        for (const auto& [key, info] : c.at("tensors").items()) {
            if (key.rfind(prefix, 0) != 0) continue;
            const std::string act = key.substr(prefix.size());
            REQUIRE(acts.count(act));
            ++activations;
            double a = 0;
            EXPECT_MSG(test::tensorsClose(acts.at(act), golden.at(key), kUnetTol, key, &a), key);
            g_worstUnet.record(key, a);
        }
    }
    EXPECT_EQ(activations, 12);  // the intermediates of t_int (add_time_proj, add_embedding, ...)
    models::nn::setDefaultAttentionBackend(models::nn::AttentionBackend::Auto);
}

}  // namespace

TEST_CASE(unet_tiny_sdxl_channels_last) { runUnetCases("tiny-sdxl", true, models::nn::AttentionBackend::Auto); }
TEST_CASE(unet_tiny_sdxl_inpaint_channels_last)
{
    runUnetCases("tiny-sdxl-inpaint", true, models::nn::AttentionBackend::Auto);
}
TEST_CASE(unet_tiny_sdxl_nchw) { runUnetCases("tiny-sdxl", false, models::nn::AttentionBackend::Auto); }
TEST_CASE(unet_tiny_sdxl_inpaint_nchw) { runUnetCases("tiny-sdxl-inpaint", false, models::nn::AttentionBackend::Auto); }
TEST_CASE(unet_tiny_sdxl_inpaint_batched_attention)
{
    runUnetCases("tiny-sdxl-inpaint", true, models::nn::AttentionBackend::Batched);
}

TEST_CASE(unet_sdxl_structure_from_config)
{
    // transformer_layers_per_block [1, 2]: down_blocks.1 has 2 transformer layers, the mid block
    // the last entry (2), up_blocks.0 (the reversed list) 2; DownBlock2D / UpBlock2D have none.
    const auto cfg = UNet2DConditionConfig::fromFile(test::modelDir("tiny-sdxl") / "unet" / "config.json");
    EXPECT(cfg.hasTextTimeEmbedding());
    EXPECT_EQ(cfg.additionTimeEmbedDim, 8);
    EXPECT_EQ(cfg.projectionClassEmbeddingsInputDim, 58);
    models::UNet2DConditionModel unet(cfg);
    std::set<std::string> names;
    for (const auto& p : unet->named_parameters(true)) names.insert(p.key());
    for (const char* k : {"add_embedding.linear_1.weight", "add_embedding.linear_1.bias", "add_embedding.linear_2.weight",
                          "add_embedding.linear_2.bias", "down_blocks.1.attentions.1.transformer_blocks.1.attn2.to_k.weight",
                          "mid_block.attentions.0.transformer_blocks.1.ff.net.2.weight",
                          "up_blocks.0.attentions.2.transformer_blocks.1.norm3.weight"})
        EXPECT_MSG(names.count(k), "missing parameter " << k);
    for (const char* k : {"down_blocks.1.attentions.0.transformer_blocks.2.attn1.to_q.weight",
                          "mid_block.attentions.0.transformer_blocks.2.attn1.to_q.weight",
                          "up_blocks.0.attentions.0.transformer_blocks.2.attn1.to_q.weight",
                          "down_blocks.0.attentions.0.proj_in.weight", "up_blocks.1.attentions.0.proj_in.weight"})
        EXPECT_MSG(!names.count(k), "unexpected parameter " << k);
    EXPECT(unet->named_parameters(true)["add_embedding.linear_1.weight"].sizes() == torch::IntArrayRef({64, 58}));

    // An explicit reverse_transformer_layers_per_block sets the up blocks' depths.
    auto j = models::readConfigJson(test::modelDir("tiny-sdxl") / "unet" / "config.json");
    j["reverse_transformer_layers_per_block"] = {3, 1};
    const auto rc = UNet2DConditionConfig::fromJson(j);
    EXPECT_EQ(rc.upTransformerLayers(0), 3);
    models::UNet2DConditionModel ru(rc);
    const auto rp = ru->named_parameters(true);
    EXPECT(rp.contains("up_blocks.0.attentions.0.transformer_blocks.2.attn1.to_q.weight"));
    EXPECT(rp.contains("mid_block.attentions.0.transformer_blocks.1.attn1.to_q.weight"));  // still the last down entry
    EXPECT(!rp.contains("mid_block.attentions.0.transformer_blocks.2.attn1.to_q.weight"));
    j["reverse_transformer_layers_per_block"] = {{1, 2}, {1, 2}};
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "reverse_transformer_layers_per_block");
}

TEST_CASE(unet_real_sdxl_configs_parse)
{
    // The real checkpoints' configs (tests/data/reference/configs, SOURCES-sdxl.md): parsed, not
    // built (an SDXL UNet is 2.6 billion parameters).
    const auto base = UNet2DConditionConfig::fromFile(test::referenceDir() / "configs" / "stable-diffusion-xl-base-1.0" /
                                                      "unet" / "config.json");
    EXPECT(base.hasTextTimeEmbedding());
    EXPECT_EQ(base.additionTimeEmbedDim, 256);
    EXPECT_EQ(base.projectionClassEmbeddingsInputDim, 2816);
    EXPECT((base.transformerLayersPerBlock == std::vector<int64_t>{1, 2, 10}));
    EXPECT_EQ(base.upTransformerLayers(0), 10);
    EXPECT_EQ(base.upTransformerLayers(2), 1);
    EXPECT((base.numAttentionHeads == std::vector<int64_t>{5, 10, 20}));
    EXPECT(base.useLinearProjection);
    EXPECT(!base.upcastAttention);  // null in the file
    EXPECT((base.crossAttentionDim == std::vector<int64_t>{2048, 2048, 2048}));
    EXPECT(base.downBlockTypes.front() == "DownBlock2D");
    const auto inpaintJson = models::readConfigJson(test::referenceDir() / "configs" /
                                                   "stable-diffusion-xl-1.0-inpainting-0.1" / "unet" / "config.json");
    // The inpainting UNet's config carries EMA leftovers (decay, optimization_step, ...; diffusers'
    // from_config ignores them): accepted as metadata.
    const auto inpaintCfg = UNet2DConditionConfig::fromJson(inpaintJson);
    EXPECT_EQ(inpaintCfg.inChannels, 9);
    EXPECT(inpaintCfg.hasTextTimeEmbedding());
    EXPECT((inpaintCfg.transformerLayersPerBlock == std::vector<int64_t>{1, 2, 10}));
    // text_encoder_2: CLIPTextModelWithProjection, gelu, projection_dim 1280.
    const auto te2 = models::ClipTextConfig::fromJson(models::readConfigJson(
        test::referenceDir() / "configs" / "stable-diffusion-xl-base-1.0" / "text_encoder_2" / "config.json"));
    EXPECT(te2.withProjection);
    EXPECT_EQ(te2.projectionDim, 1280);
    EXPECT(te2.hiddenAct == "gelu");
    EXPECT_EQ(te2.numHiddenLayers, 32);
}

TEST_CASE(unet_added_cond_forms)
{
    // [1, ...] text_embeds / time_ids broadcast over the batch; 0-d, [1] and [B] timesteps agree.
    auto golden = test::loadGolden("sdxl");
    auto unet = test::loadTinyUnet("tiny-sdxl");
    c10::InferenceMode guard;
    const std::string n = "unet/tiny-sdxl/cfg_batch2";
    const torch::Tensor sample = golden.at(n + "/sample"), ehs = golden.at(n + "/encoder_hidden_states");
    const torch::Tensor expected = golden.at(n + "/out");
    const UNetAddedCond full = addedCond(golden, n);
    // Both rows of time_ids are equal ([64, 64, 0, 0, 64, 64]): one row broadcasts.
    REQUIRE(torch::equal(full.timeIds[0], full.timeIds[1]));
    const UNetAddedCond oneRow{full.textEmbeds, full.timeIds.narrow(0, 0, 1)};
    EXPECT(test::tensorsClose(unet->forward(sample, torch::tensor(751.0f), ehs, oneRow), expected, kUnetTol,
                              "time_ids [1, 6] broadcast"));
    EXPECT(test::tensorsClose(unet->forward(sample, torch::tensor({751, 751}), ehs, full), expected, kUnetTol,
                              "[B] int64 timestep"));
    // Batch elements are independent: element 1 alone equals element 1 of the batch.
    const UNetAddedCond one{full.textEmbeds.narrow(0, 1, 1), full.timeIds.narrow(0, 1, 1)};
    EXPECT(test::tensorsClose(unet->forward(sample.narrow(0, 1, 1), torch::tensor(751), ehs.narrow(0, 1, 1), one),
                              expected.narrow(0, 1, 1), kUnetTol, "batch element 1 alone"));
    // The time ids matter (a port that dropped them would pass nothing above by chance, but check).
    const UNetAddedCond other{full.textEmbeds, full.timeIds * 2};
    EXPECT(test::maxAbsDiff(unet->forward(sample, torch::tensor(751.0f), ehs, other), expected) > 1e-3);
}

TEST_CASE(unet_sdxl_bf16_is_close_to_fp32)
{
    auto golden = test::loadGolden("sdxl");
    auto unet = test::loadTinyUnet("tiny-sdxl-inpaint");
    unet->to(torch::kBFloat16);
    c10::InferenceMode guard;
    const std::string n = "unet/tiny-sdxl-inpaint/t_float";
    torch::Tensor out = unet->forward(golden.at(n + "/sample"), golden.at(n + "/timestep"),
                                      golden.at(n + "/encoder_hidden_states"), addedCond(golden, n));
    EXPECT(out.scalar_type() == torch::kFloat);
    const double rel = test::relativeL2(out, golden.at(n + "/out"));
    std::printf("  sdxl bf16 relative L2 error %.3e\n", rel);
    EXPECT(rel < 0.05);
}

TEST_CASE(unet_sd15_ignores_added_cond)
{
    // A UNet without addition_embed_type (tiny-sd) ignores text_embeds / time_ids entirely.
    auto golden = test::loadGolden("unet");
    auto unet = test::loadTinyUnet("tiny-sd");
    c10::InferenceMode guard;
    const torch::Tensor sample = golden.at("tiny-sd/t500/sample"), t = golden.at("tiny-sd/t500/timestep");
    const torch::Tensor ehs = golden.at("tiny-sd/t500/encoder_hidden_states");
    const torch::Tensor plain = unet->forward(sample, t, ehs);
    const torch::Tensor with = unet->forward(sample, t, ehs, UNetAddedCond{torch::randn({1, 3}), torch::randn({1, 6})});
    EXPECT(torch::equal(plain, with));
    EXPECT(test::tensorsClose(plain, golden.at("tiny-sd/t500/out"), kUnetTol, "tiny-sd/t500 via the new overload"));
}

TEST_CASE(unet_unsupported_addition_embed_type_is_refused)
{
    auto base = models::readConfigJson(test::modelDir("tiny-sdxl") / "unet" / "config.json");
    for (const nlohmann::json& v : {nlohmann::json("image"), nlohmann::json("text"), nlohmann::json("image_hint"),
                                    nlohmann::json("frobnicate"), nlohmann::json(3)}) {
        auto j = base;
        j["addition_embed_type"] = v;
        EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, "addition_embed_type");
        if (v.is_string()) EXPECT_THROWS(UNet2DConditionConfig::fromJson(j), ConfigError, v.get<std::string>());
    }
    auto noDim = base;
    noDim.erase("addition_time_embed_dim");
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(noDim), ConfigError, "addition_time_embed_dim");
    auto badProj = base;
    badProj["projection_class_embeddings_input_dim"] = 48;  // = 6 x 8: no room for text_embeds
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(badProj), ConfigError, "projection_class_embeddings_input_dim");
    auto nullType = base;  // null switches it off; the time-embed keys must then be null too
    nullType["addition_embed_type"] = nullptr;
    EXPECT_THROWS(UNet2DConditionConfig::fromJson(nullType), ConfigError, "addition_time_embed_dim");
}

TEST_CASE(unet_text_time_without_added_cond_throws)
{
    auto golden = test::loadGolden("sdxl");
    auto unet = test::loadTinyUnet("tiny-sdxl");
    c10::InferenceMode guard;
    const std::string n = "unet/tiny-sdxl/t_int";
    const torch::Tensor s = golden.at(n + "/sample"), t = golden.at(n + "/timestep"), e = golden.at(n + "/encoder_hidden_states");
    EXPECT_THROWS(unet->forward(s, t, e), ConfigError, "text_time");
    EXPECT_THROWS(unet->forward(s, t, e), ConfigError, "without them");
    EXPECT_THROWS(unet->forward(s, t, e, UNetAddedCond{golden.at(n + "/text_embeds"), {}}), ConfigError,
                  "time_ids is missing");
    EXPECT_THROWS(unet->forward(s, t, e, UNetAddedCond{{}, golden.at(n + "/time_ids")}), ConfigError,
                  "text_embeds is missing");
    EXPECT_THROWS(unet->forward(s, t, e, UNetAddedCond{torch::zeros({1, 9}), golden.at(n + "/time_ids")}), ConfigError,
                  "text_embeds of shape");
    EXPECT_THROWS(unet->forward(s, t, e, UNetAddedCond{golden.at(n + "/text_embeds"), torch::zeros({1, 5})}), ConfigError,
                  "time_ids of shape");
}

TEST_CASE(unet_missing_add_embedding_weight_is_named)
{
    const auto dir = test::modelDir("tiny-sdxl") / "unet";
    auto weights = models::loadSafetensors(dir / "diffusion_pytorch_model.safetensors");
    REQUIRE(weights.count("add_embedding.linear_1.weight"));
    {
        models::UNet2DConditionModel unet(UNet2DConditionConfig::fromFile(dir / "config.json"));
        auto w = weights;
        w.erase("add_embedding.linear_1.weight");
        EXPECT_THROWS(unet->loadWeights(w, "tiny-sdxl unet"), WeightsError, "add_embedding.linear_1.weight");
    }
    {
        models::UNet2DConditionModel unet(UNet2DConditionConfig::fromFile(dir / "config.json"));
        auto w = weights;
        w["add_embedding.linear_1.weight"] = torch::zeros({64, 57});
        EXPECT_THROWS(unet->loadWeights(w, "tiny-sdxl unet"), WeightsError, "add_embedding.linear_1.weight");
    }
    {
        // An SD-style UNet (no addition embedding) given SDXL weights: the add_embedding keys are unexpected.
        auto j = models::readConfigJson(dir / "config.json");
        j["addition_embed_type"] = nullptr;
        j["addition_time_embed_dim"] = nullptr;
        j["projection_class_embeddings_input_dim"] = nullptr;
        models::UNet2DConditionModel unet(UNet2DConditionConfig::fromJson(j));
        EXPECT_THROWS(unet->loadWeights(weights, "tiny-sdxl unet"), WeightsError, "add_embedding.linear_1.weight");
    }
}

// ---------------------------------------------------------------------------------------------
// Text encoders

namespace {

struct Encoders {
    models::ClipTextModel te1{nullptr}, te2{nullptr};
    models::ClipTokenizer tok1, tok2;
};

Encoders loadEncoders(const std::string& model)
{
    const auto folder = models::DiffusersFolder::open(test::modelDir(model));
    return Encoders{models::loadClipTextEncoder(folder, "text_encoder"), models::loadClipTextEncoder(folder, "text_encoder_2"),
                    models::ClipTokenizer::fromFolder(test::modelDir(model) / "tokenizer"),
                    models::ClipTokenizer::fromFolder(test::modelDir(model) / "tokenizer_2")};
}

torch::Tensor ids(const models::ClipTokenizer& tok, const std::string& text)
{
    return torch::tensor(tok.encode(text), torch::kInt64).unsqueeze(0);
}

double checkText(const torch::Tensor& actual, const torch::Tensor& expected, const std::string& label)
{
    double d = 0;
    EXPECT_MSG(test::tensorsClose(actual, expected, kTextTol, label, &d), label);
    g_worstText.record(label, d);
    return d;
}

// prompt_embeds = cat(te1 hs[index], te2 hs[index]) (no final_layer_norm), pooled = te2 text_embeds.
void checkEmbeds(Encoders& e, const std::map<std::string, torch::Tensor>& golden, const std::string& name,
                 const std::string& what, const torch::Tensor& ids1, const torch::Tensor& ids2, int index)
{
    const auto o1 = e.te1->forward(ids1, true);
    const auto o2 = e.te2->forward(ids2, true);
    REQUIRE(o2.textEmbeds.defined());
    const auto hs = [&](const models::ClipTextOutput& o) {
        return o.hiddenStates.at(static_cast<size_t>(static_cast<int>(o.hiddenStates.size()) + index));
    };
    const std::string p = what.empty() ? "" : what + "_";
    checkText(torch::cat({hs(o1), hs(o2)}, -1), golden.at(name + "/" + p + "prompt_embeds"), name + "/" + p + "prompt_embeds");
    checkText(o2.textEmbeds, golden.at(name + "/" + p + "pooled_prompt_embeds"), name + "/" + p + "pooled_prompt_embeds");
}

void runTextCases(const std::string& model)
{
    c10::InferenceMode guard;
    auto golden = test::loadGolden("sdxl");
    auto meta = test::loadGoldenJson("sdxl");
    Encoders e = loadEncoders(model);
    EXPECT(!e.te1->hasProjection());
    EXPECT(e.te2->hasProjection());
    EXPECT(e.te2->config().hiddenAct == "gelu");
    EXPECT(e.tok2.padId() == 0);  // "!"
    int perLayer = 0;
    for (const auto& c : test::goldenCases(meta, "text/" + model + "/", 10)) {
        const std::string name = c.at("name").get<std::string>();
        const auto& params = c.at("params");
        const std::string prompt = params.at("prompt").get<std::string>();
        const int clipSkip = params.value("clip_skip", nlohmann::json()).is_null() ? 0 : params.at("clip_skip").get<int>();
        const int index = -(clipSkip + 2);
        // The tokenizers give the ids the pipeline fed (tokenizer_2 pads with "!" and splits it off).
        const torch::Tensor ids1 = ids(e.tok1, prompt), ids2 = ids(e.tok2, prompt);
        if (golden.count(name + "/input_ids")) {
            EXPECT_MSG(torch::equal(ids1, golden.at(name + "/input_ids")), name << " tokenizer ids");
            EXPECT_MSG(torch::equal(ids2, golden.at(name + "/input_ids_2")), name << " tokenizer_2 ids");
        }
        checkEmbeds(e, golden, name, "", ids1, ids2, index);
        // Negatives: encoded like the prompt, always hs[-2] (diffusers 0.25.1 ignores clip_skip).
        const auto& neg = params.value("negative_prompt", nlohmann::json());
        if (neg.is_string()) {
            const torch::Tensor n1 = ids(e.tok1, neg.get<std::string>()), n2 = ids(e.tok2, neg.get<std::string>());
            EXPECT_MSG(torch::equal(n1, golden.at(name + "/negative_input_ids")), name << " negative tokenizer ids");
            EXPECT_MSG(torch::equal(n2, golden.at(name + "/negative_input_ids_2")), name << " negative tokenizer_2 ids");
            checkEmbeds(e, golden, name, "negative", n1, n2, -2);
        }
        // Per-encoder tensors, where the case stores them (astronaut).
        if (golden.count(name + "/te2_text_embeds")) {
            const auto o1 = e.te1->forward(ids1, true);
            const auto o2 = e.te2->forward(ids2, true);
            for (size_t i = 0; i < o1.hiddenStates.size(); ++i, ++perLayer)
                checkText(o1.hiddenStates[i], golden.at(name + "/te1_hidden_states_" + std::to_string(i)),
                          name + "/te1_hidden_states_" + std::to_string(i));
            for (size_t i = 0; i < o2.hiddenStates.size(); ++i, ++perLayer)
                checkText(o2.hiddenStates[i], golden.at(name + "/te2_hidden_states_" + std::to_string(i)),
                          name + "/te2_hidden_states_" + std::to_string(i));
            checkText(o1.lastHiddenState, golden.at(name + "/te1_last_hidden_state"), name + "/te1_last_hidden_state");
            checkText(o2.lastHiddenState, golden.at(name + "/te2_last_hidden_state"), name + "/te2_last_hidden_state");
            checkText(o2.textEmbeds, golden.at(name + "/te2_text_embeds"), name + "/te2_text_embeds");
            perLayer += 3;
        }
    }
    EXPECT_EQ(perLayer, (3 + 1) + (4 + 1) + 3);  // the astronaut case's per-encoder tensors
}

}  // namespace

TEST_CASE(text_tiny_sdxl) { runTextCases("tiny-sdxl"); }
TEST_CASE(text_tiny_sdxl_inpaint) { runTextCases("tiny-sdxl-inpaint"); }

TEST_CASE(text_encoder_2_loading_is_strict)
{
    const auto folder = models::DiffusersFolder::open(test::modelDir("tiny-sdxl"));
    const auto cfg = models::ClipTextConfig::fromJson(folder.componentConfig("text_encoder_2"));
    EXPECT(cfg.withProjection);  // from config.json's architectures
    EXPECT_EQ(cfg.projectionDim, 10);
    auto weights = folder.loadWeights("text_encoder_2", false);
    REQUIRE(weights.count("text_projection.weight"));
    EXPECT(weights.at("text_projection.weight").sizes() == torch::IntArrayRef({10, 12}));
    {
        auto w = weights;
        w.erase("text_projection.weight");
        EXPECT_THROWS(models::loadClipTextModel(cfg, w, "tiny-sdxl text_encoder_2"), WeightsError, "text_projection.weight");
    }
    {
        auto w = weights;
        w["text_projection.weight"] = torch::zeros({12, 12});
        EXPECT_THROWS(models::loadClipTextModel(cfg, w, "tiny-sdxl text_encoder_2"), WeightsError, "text_projection.weight");
    }
    {
        // As a plain CLIPTextModel the projection is an unexpected key.
        auto plain = cfg;
        plain.withProjection = false;
        EXPECT_THROWS(models::loadClipTextModel(plain, weights, "tiny-sdxl text_encoder_2"), WeightsError,
                      "text_projection.weight");
    }
    // The projection has no bias; every parameter name equals a checkpoint key.
    auto model = models::loadClipTextModel(cfg, weights, "tiny-sdxl text_encoder_2");
    const auto params = model->named_parameters(true);
    EXPECT(!params.contains("text_projection.bias"));
    EXPECT_EQ(params.size(), weights.size());
    // A model without text_projection returns no text_embeds.
    auto te1 = models::loadClipTextEncoder(folder, "text_encoder");
    c10::InferenceMode guard;
    EXPECT(!te1->forward(torch::zeros({1, 77}, torch::kLong)).textEmbeds.defined());
}

TEST_CASE(report_worst)
{
    std::printf("  worst SDXL UNet diff: %.3e (%s)\n", g_worstUnet.value(), g_worstUnet.label().c_str());
    std::printf("  worst SDXL text diff: %.3e (%s)\n", g_worstText.value(), g_worstText.label().c_str());
    EXPECT(g_worstUnet.count() > 0);
    EXPECT(g_worstText.count() > 0);
    EXPECT(g_worstUnet.value() <= kUnetTol);
    EXPECT(g_worstText.value() <= kTextTol);
}

TEST_MAIN()
