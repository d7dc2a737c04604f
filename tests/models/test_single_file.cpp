// Tests of models/io/single_file + ldm_keys: the reference single files (LDM layout) rename to
// exactly the diffusers folder's weights (keys equal, values bit-identical; the fp16 file within
// its rounding), the yaml gives the folder's configs, EMA extraction, separate VAE files, the
// OpenCLIP layout (in_proj split, last layer dropped), and the bad inputs: unknown family, a
// 9-channel file with a 4-channel config, keys that map nowhere, a text encoder no config
// describes, SDXL.
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/ldm_keys.h"
#include "models/io/safetensors.h"
#include "models/io/single_file.h"
#include "tests/common/numeric_check.h"

#include <torch/torch.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";
const fs::path kSingle = kRef / "models" / "single-file";

fs::path tempRoot()
{
    static const inpaint::test::ScratchDir d("inpaint_test_single_file");
    return d.path();
}

// Same keys, same shapes, max |a - b| <= tol for every tensor (compared in fp32).
void expectSameWeights(const std::map<std::string, torch::Tensor>& got, const std::map<std::string, torch::Tensor>& want,
                       double tol, const std::string& what)
{
    std::vector<std::string> missing, extra;
    for (const auto& [k, t] : want)
        if (!got.count(k)) missing.push_back(k);
    for (const auto& [k, t] : got)
        if (!want.count(k)) extra.push_back(k);
    EXPECT_MSG(missing.empty(), what + ": missing " + (missing.empty() ? "" : missing.front()) + " and " +
                                    std::to_string(missing.size()) + " in all");
    EXPECT_MSG(extra.empty(), what + ": unexpected " + (extra.empty() ? "" : extra.front()) + " and " +
                                  std::to_string(extra.size()) + " in all");
    double worst = 0;
    std::string worstKey;
    for (const auto& [k, t] : want) {
        const auto it = got.find(k);
        if (it == got.end()) continue;
        // The VAE's attention weights are 1x1-conv shaped in LDM files; the loader flattens them.
        const torch::Tensor a = it->second.to(torch::kFloat32).reshape(t.sizes());
        EXPECT_MSG(it->second.numel() == t.numel(), what + ": " + k + " has " + std::to_string(it->second.numel()) + " values");
        const double d = (a - t.to(torch::kFloat32)).abs().max().item<double>();
        if (d > worst) worst = d, worstKey = k;
    }
    std::printf("%s: %zu tensors, worst |diff| %.3g (%s)\n", what.c_str(), want.size(), worst, worstKey.c_str());
    EXPECT_MSG(worst <= tol, what + ": " + worstKey + " differs by " + std::to_string(worst));
}

struct FolderWeights {
    std::map<std::string, torch::Tensor> unet, vae, text;
};
FolderWeights folderWeights(const std::string& model)
{
    const auto f = DiffusersFolder::open(kRef / "models" / model);
    FolderWeights w{f.loadWeights("unet"), f.loadWeights("vae"), f.loadWeights("text_encoder")};
    return w;
}

SingleFileOptions withFolderText(const std::string& model)
{
    SingleFileOptions o;
    o.originalConfig = kSingle / (model + ".yaml");
    o.configDir = kRef / "models" / (model.find("inpaint") != std::string::npos ? "tiny-sd-inpaint" : "tiny-sd");
    return o;
}

void writeText(const fs::path& p, const std::string& text)
{
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

TEST_CASE(testRenamedWeightsEqualTheFolder)
{
    for (const auto& [file, folder, tol] : std::vector<std::tuple<std::string, std::string, double>>{
             {"tiny-sd", "tiny-sd", 0.0}, {"tiny-sd-inpaint", "tiny-sd-inpaint", 0.0}, {"tiny-sd-fp16", "tiny-sd", 4.9e-4}}) {
        SingleFileOptions o;
        o.originalConfig = kSingle / (file + ".yaml");
        o.configDir = kRef / "models" / folder;
        const auto c = SingleFileCheckpoint::open(kSingle / (file + ".safetensors"), o);
        const auto w = folderWeights(folder);
        expectSameWeights(c.unet().weights, w.unet, tol, file + " unet");
        expectSameWeights(c.vae().weights, w.vae, tol, file + " vae");
        auto te = c.textEncoder().weights;
        auto want = w.text;
        te.erase("text_model.embeddings.position_ids");
        want.erase("text_model.embeddings.position_ids");
        expectSameWeights(te, want, tol, file + " text encoder");
    }
}

TEST_CASE(testYamlGivesTheFolderConfigs)
{
    const auto folder = DiffusersFolder::open(kRef / "models" / "tiny-sd");
    SingleFileOptions o;
    o.originalConfig = kSingle / "tiny-sd.yaml";
    o.configDir = kRef / "models" / "tiny-sd";  // text encoder only: the yaml is explicit
    const auto c = SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors", o);
    const auto unet = c.unet().config, want = folder.componentConfig("unet");
    for (const char* k : {"in_channels", "out_channels", "block_out_channels", "down_block_types", "up_block_types",
                          "layers_per_block", "cross_attention_dim", "attention_head_dim", "use_linear_projection",
                          "sample_size"})
        EXPECT_MSG(unet.at(k) == want.at(k), std::string("unet ") + k + ": " + unet.at(k).dump() + " vs " + want.at(k).dump());
    const auto vae = c.vae().config, wantVae = folder.componentConfig("vae");
    for (const char* k : {"in_channels", "out_channels", "block_out_channels", "latent_channels", "layers_per_block",
                          "scaling_factor"})
        EXPECT_MSG(vae.at(k) == wantVae.at(k), std::string("vae ") + k + ": " + vae.at(k).dump() + " vs " + wantVae.at(k).dump());
    const auto s = c.schedulerConfig(), wantS = folder.componentConfig("scheduler");
    for (const char* k : {"_class_name", "beta_start", "beta_end", "beta_schedule", "num_train_timesteps", "steps_offset",
                          "clip_sample", "set_alpha_to_one", "skip_prk_steps"})
        EXPECT_MSG(s.at(k) == wantS.at(k), std::string("scheduler ") + k + ": " + s.at(k).dump() + " vs " + wantS.at(k).dump());
    EXPECT_EQ(c.predictionType(), std::string("epsilon"));
    EXPECT_EQ(toString(c.kind()), std::string("sd1"));
    EXPECT(c.configSource().find("--original-config") != std::string::npos);
    EXPECT_EQ(c.textEncoder().config.at("num_attention_heads").get<int>(), 2);
}

TEST_CASE(testInspect)
{
    const auto i = SingleFileCheckpoint::inspect(kSingle / "tiny-sd-inpaint.safetensors");
    EXPECT_EQ(toString(i.kind), std::string("sd1-inpaint"));
    EXPECT_EQ(i.inChannels, 9);
    EXPECT_EQ(i.contextDim, 16);
    EXPECT_EQ(i.textEncoderLayout, std::string("clip"));
    EXPECT(!i.hasEma);
    EXPECT_EQ(SingleFileCheckpoint::inspect(kSingle / "tiny-sd-fp16.safetensors").dtype, std::string("F16"));
    EXPECT(SingleFileCheckpoint::inspect(kSingle / "tiny-sd-ema.safetensors").hasEma);
}

TEST_CASE(testEma)
{
    const fs::path file = kSingle / "tiny-sd-ema.safetensors";
    auto o = withFolderText("tiny-sd");
    o.originalConfig = kSingle / "tiny-sd-ema.yaml";
    const auto regular = SingleFileCheckpoint::open(file, o);
    EXPECT(!regular.emaUsed());  // the default, even though the yaml says use_ema: True (as diffusers)
    expectSameWeights(regular.unet().weights, folderWeights("tiny-sd").unet, 0.0, "ema file, regular weights");
    o.ema = true;
    const auto ema = SingleFileCheckpoint::open(file, o);
    EXPECT(ema.emaUsed());
    const auto all = loadSafetensors(file);
    const auto w = ema.unet().weights;
    // conv_in comes from model_ema.diffusion_modelinput_blocks00weight.
    EXPECT(torch::equal(w.at("conv_in.weight"), all.at("model_ema.diffusion_modelinput_blocks00weight")));
    EXPECT(!torch::equal(w.at("conv_in.weight"), all.at("model.diffusion_model.input_blocks.0.0.weight")));
    // A file without EMA weights refuses --ema.
    auto o2 = withFolderText("tiny-sd");
    o2.ema = true;
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors", o2), WeightsError, "has none");
}

TEST_CASE(testSeparateVae)
{
    const auto folder = DiffusersFolder::open(kRef / "models" / "tiny-sd-inpaint");
    const auto alt = loadVaeSource(kSingle / "vae-alt.safetensors", folder.componentConfig("vae"), "vae config");
    const auto raw = loadSafetensors(kSingle / "vae-alt.safetensors");
    EXPECT_EQ(alt.weights.size(), raw.size());
    EXPECT(torch::equal(alt.weights.at("decoder.up_blocks.0.resnets.0.conv1.weight"), raw.at("decoder.up.1.block.0.conv1.weight")));
    EXPECT(alt.weights.count("encoder.mid_block.attentions.0.to_q.weight"));
    // The folder's own VAE file (diffusers names) is taken as it is; a folder works too.
    const auto same = loadVaeSource(kRef / "models" / "tiny-sd-inpaint" / "vae", nlohmann::json::object(), "unused");
    expectSameWeights(same.weights, folder.loadWeights("vae"), 0.0, "vae folder");
}

// An OpenCLIP (SD 2.x) text encoder made from the HF weights of the tiny model by the inverse
// mapping, plus one extra last layer: renaming gives the HF weights back.
TEST_CASE(testOpenClipLayout)
{
    const auto hf = DiffusersFolder::open(kRef / "models" / "tiny-sd").loadWeights("text_encoder");
    std::map<std::string, torch::Tensor> oc;
    const std::string tm = "text_model.";
    oc["token_embedding.weight"] = hf.at(tm + "embeddings.token_embedding.weight");
    oc["positional_embedding"] = hf.at(tm + "embeddings.position_embedding.weight");
    oc["ln_final.weight"] = hf.at(tm + "final_layer_norm.weight");
    oc["ln_final.bias"] = hf.at(tm + "final_layer_norm.bias");
    oc["text_projection"] = torch::zeros({16, 16});
    oc["logit_scale"] = torch::zeros({});
    int64_t layers = 0;
    while (hf.count(tm + "encoder.layers." + std::to_string(layers) + ".mlp.fc1.weight")) ++layers;
    for (int64_t n = 0; n <= layers; ++n) {  // one more than HF: the one SD 2 does not use
        const int64_t src = std::min(n, layers - 1);
        const std::string h = tm + "encoder.layers." + std::to_string(src) + ".";
        const std::string o = "transformer.resblocks." + std::to_string(n) + ".";
        for (const char* s : {"weight", "bias"}) {
            const std::string x = s;
            oc[o + "attn.in_proj_" + x] = torch::cat({hf.at(h + "self_attn.q_proj." + x), hf.at(h + "self_attn.k_proj." + x),
                                                      hf.at(h + "self_attn.v_proj." + x)});
            oc[o + "attn.out_proj." + x] = hf.at(h + "self_attn.out_proj." + x);
            oc[o + "ln_1." + x] = hf.at(h + "layer_norm1." + x);
            oc[o + "ln_2." + x] = hf.at(h + "layer_norm2." + x);
            oc[o + "mlp.c_fc." + x] = hf.at(h + "mlp.fc1." + x);
            oc[o + "mlp.c_proj." + x] = hf.at(h + "mlp.fc2." + x);
        }
    }
    int64_t kept = 0;
    auto renamed = ldm::renameOpenClipText(oc, "synthetic OpenCLIP", &kept);
    EXPECT_EQ(kept, layers);
    auto want = hf;
    want.erase(tm + "embeddings.position_ids");
    expectSameWeights(renamed, want, 0.0, "OpenCLIP -> CLIPTextModel");
}

TEST_CASE(testBadInputs)
{
    // A 9-channel file with the 4-channel yaml.
    SingleFileOptions o;
    o.originalConfig = kSingle / "tiny-sd.yaml";
    o.configDir = kRef / "models" / "tiny-sd";
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd-inpaint.safetensors", o), ConfigError,
                  "inpainting checkpoint");
    // The beside-yaml alone cannot describe the tiny text encoder (hidden 16): ask for --config.
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors"), ConfigError, "--config");
    // Unknown family: a LoRA file, a VAE file, random keys.
    EXPECT_THROWS(SingleFileCheckpoint::open(kRef / "models" / "lora" / "kohya-unet-te.safetensors"), WeightsError, "LoRA");
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "vae-alt.safetensors"), WeightsError, "VAE file");
    const fs::path odd = tempRoot() / "odd.safetensors";
    saveSafetensors(odd, {{"foo.bar", torch::zeros({2})}});
    EXPECT_THROWS(SingleFileCheckpoint::open(odd), WeightsError, "not a Stable Diffusion");
    // A key that maps nowhere is named.
    auto all = loadSafetensors(kSingle / "tiny-sd.safetensors");
    std::map<std::string, torch::Tensor> extra(all.begin(), all.end());
    extra["model.diffusion_model.input_blocks.1.0.surprise.weight"] = torch::zeros({2});
    const fs::path bad = tempRoot() / "extra.safetensors";
    saveSafetensors(bad, extra);
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError, "input_blocks.1.0.surprise.weight");
    std::map<std::string, torch::Tensor> stray(all.begin(), all.end());
    stray["something_else"] = torch::zeros({2});
    saveSafetensors(bad, stray);
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError, "something_else");
    // SDXL.
    std::map<std::string, torch::Tensor> xl(all.begin(), all.end());
    xl["conditioner.embedders.0.transformer.text_model.final_layer_norm.weight"] = torch::zeros({2});
    saveSafetensors(bad, xl);
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), ConfigError, "SDXL");
    // A yaml without the UNet section names the key.
    writeText(tempRoot() / "broken.yaml", "model:\n  params:\n    scale_factor: 0.18215\n");
    SingleFileOptions ob = o;
    ob.originalConfig = tempRoot() / "broken.yaml";
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors", ob), ConfigError, "unet_config");
    writeText(tempRoot() / "invalid.yaml", "model: [unclosed\n");
    ob.originalConfig = tempRoot() / "invalid.yaml";
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors", ob), FormatError, "YAML");
}

// SDXL single files (sgm layout, written from the tiny SDXL folders by make_sdxl_single_file.py):
// with --config the folder, every component renames to exactly the folder's weights, including
// the OpenCLIP bigG encoder (in_proj split into q/k/v, text_projection transposed back) and
// label_emb -> add_embedding.
const fs::path kSdxlSingle = fs::path(INPAINT_TEST_DATA_DIR) / "sdxl-single-file";

TEST_CASE(testSdxlRenamedWeightsEqualTheFolder)
{
    for (const std::string model : {"tiny-sdxl", "tiny-sdxl-inpaint"}) {
        SingleFileOptions o;
        o.configDir = kRef / "models" / model;
        const auto c = SingleFileCheckpoint::open(kSdxlSingle / (model + ".safetensors"), o);
        EXPECT_EQ(toString(c.info().kind), model == "tiny-sdxl" ? std::string("sdxl") : std::string("sdxl-inpaint"));
        EXPECT(c.info().hasTextEncoder && c.info().hasTextEncoder2);
        EXPECT(c.unusedKeys().empty());
        EXPECT_EQ(c.tokenizerPad(), std::string("<|endoftext|>"));
        EXPECT_EQ(c.tokenizer2Pad(), std::string("!"));
        EXPECT(!c.tokenizerDir2().empty());
        EXPECT_EQ(c.schedulerConfig().value("_class_name", std::string()), std::string("EulerDiscreteScheduler"));
        const auto f = DiffusersFolder::open(kRef / "models" / model);
        expectSameWeights(c.unet().weights, f.loadWeights("unet"), 0.0, model + " unet");
        expectSameWeights(c.vae().weights, f.loadWeights("vae"), 0.0, model + " vae");
        for (const auto& [mine, theirs] : {std::pair{c.textEncoder(), f.loadWeights("text_encoder")},
                                           std::pair{c.textEncoder2(), f.loadWeights("text_encoder_2")}}) {
            auto got = mine.weights;
            auto want = theirs;
            got.erase("text_model.embeddings.position_ids");
            want.erase("text_model.embeddings.position_ids");
            expectSameWeights(got, want, 0.0, model + " " + mine.weightsWhat.substr(0, 24));
        }
        EXPECT(c.textEncoder2().config.at("architectures")[0] == "CLIPTextModelWithProjection");
    }
    // Without --config the real SDXL configs are compiled in; the tiny weights do not fit them,
    // and the error names a key.
    EXPECT_THROWS(SingleFileCheckpoint::open(kSdxlSingle / "tiny-sdxl.safetensors"), ModelError, "");
    // An SD 1.x file has no second text encoder.
    SingleFileOptions sd = withFolderText("tiny-sd");
    EXPECT_THROWS(SingleFileCheckpoint::open(kSingle / "tiny-sd.safetensors", sd).textEncoder2(), ConfigError, "not SDXL");
}

TEST_CASE(testSdxlBadFiles)
{
    const auto all = loadSafetensors(kSdxlSingle / "tiny-sdxl.safetensors");
    SingleFileOptions o;
    o.configDir = kRef / "models" / "tiny-sdxl";
    const fs::path bad = tempRoot() / "sdxl-bad.safetensors";
    auto without = [&](const std::string& prefix) {
        std::map<std::string, torch::Tensor> out;
        for (const auto& [k, t] : all)
            if (k.rfind(prefix, 0) != 0) out[k] = t;
        return out;
    };
    // One text encoder missing: named.
    saveSafetensors(bad, without("conditioner.embedders.1."));
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError, "second text encoder is missing");
    saveSafetensors(bad, without("conditioner.embedders.0."));
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError, "first text encoder is missing");
    // A missing OpenCLIP tensor is named by its file key.
    saveSafetensors(bad, without("conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight"));
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError,
                  "conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight");
    // The refiner (one OpenCLIP encoder at embedders.0.model): refused, saying what it is.
    std::map<std::string, torch::Tensor> refiner;
    for (const auto& [k, t] : without("conditioner.embedders.")) refiner[k] = t;
    for (const auto& [k, t] : all)
        if (k.rfind("conditioner.embedders.1.model.", 0) == 0)
            refiner["conditioner.embedders.0.model." + k.substr(std::string("conditioner.embedders.1.model.").size())] = t;
    saveSafetensors(bad, refiner);
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), ConfigError, "SDXL refiner");
    // An SD 1.x .yaml cannot describe it.
    SingleFileOptions y = o;
    y.originalConfig = kSingle / "tiny-sd.yaml";
    EXPECT_THROWS(SingleFileCheckpoint::open(kSdxlSingle / "tiny-sdxl.safetensors", y), ConfigError, "--original-config");
    // A key that maps nowhere.
    auto extra = all;
    extra["conditioner.embedders.2.model.surprise"] = torch::zeros({2});
    saveSafetensors(bad, extra);
    EXPECT_THROWS(SingleFileCheckpoint::open(bad, o), WeightsError, "conditioner.embedders.2.model.surprise");
}

TEST_CASE(testCompiledInConfigs)
{
    // Full-size shapes without a yaml use the real configs: a synthetic SD 1.5-shaped conv_in
    // is enough for detection; the strict load itself is exercised by the full-size bench.
    const fs::path f = tempRoot() / "sd2-like.safetensors";
    auto all = loadSafetensors(kSingle / "tiny-sd.safetensors");
    std::map<std::string, torch::Tensor> m(all.begin(), all.end());
    m["model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"] = torch::zeros({320, 1024});
    saveSafetensors(f, m);
    const auto i = SingleFileCheckpoint::inspect(f);
    EXPECT_EQ(toString(i.kind), std::string("sd2"));
}

}  // namespace

TEST_MAIN()
