// Tests of models/io/diffusers_folder: components and configs of the reference models, kind
// detection for the real SD configs, weight-file resolution (single, fp16 variant, shards),
// refusal of pickles, and errors for missing folders/configs.
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"
#include "tests/common/numeric_check.h"

#include <torch/torch.h>

#include <fstream>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";

// This process's scratch folder, removed at exit.
fs::path tempRoot()
{
    static const inpaint::test::ScratchDir d("inpaint_test_folder");
    return d.path();
}

void writeText(const fs::path& p, const std::string& text)
{
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// A fresh model folder with model_index.json and an empty "unet" component.
fs::path makeModel(const std::string& name)
{
    const auto root = tempRoot() / name;
    fs::remove_all(root);
    writeText(root / "model_index.json",
              R"({"_class_name": "StableDiffusionPipeline", "unet": ["diffusers", "UNet2DConditionModel"],)"
              R"( "safety_checker": [null, null]})");
    writeText(root / "unet" / "config.json", R"({"in_channels": 4, "cross_attention_dim": 768})");
    return root;
}

TEST_CASE(testReferenceModels)
{
    const auto f = DiffusersFolder::open(kRef / "models" / "tiny-sd");
    EXPECT_EQ(f.pipelineClass(), std::string("StableDiffusionPipeline"));
    const auto comps = f.components();
    EXPECT_EQ(comps.size(), 5u);  // scheduler, text_encoder, tokenizer, unet, vae (null entries skipped)
    EXPECT(f.hasComponent("unet"));
    EXPECT(!f.hasComponent("safety_checker"));
    EXPECT_EQ(f.componentClass("text_encoder"), std::string("CLIPTextModel"));
    EXPECT_EQ(toString(f.detectKind()), std::string("sd1"));
    EXPECT_EQ(f.defaultScheduler(), std::string("PNDMScheduler"));
    EXPECT_EQ(f.predictionType(), std::string("epsilon"));
    EXPECT_EQ(f.componentConfig("unet")["in_channels"].get<int>(), 4);
    EXPECT_EQ(f.componentConfig("scheduler")["steps_offset"].get<int>(), 1);
    EXPECT_EQ(f.componentConfig("tokenizer")["model_max_length"].get<int>(), 77);

    const auto w = f.weightFiles("text_encoder");
    EXPECT_EQ(w.files.size(), 1u);
    EXPECT_EQ(w.files[0].filename().string(), std::string("model.safetensors"));
    EXPECT(!w.fp16Variant);
    const auto te = f.loadWeights("text_encoder");
    EXPECT(te.count("text_model.embeddings.token_embedding.weight") == 1);
    EXPECT_EQ(te.at("text_model.embeddings.token_embedding.weight").size(0), 49408);
    EXPECT_EQ(f.weightFiles("unet").files[0].filename().string(), std::string("diffusion_pytorch_model.safetensors"));

    const auto inp = DiffusersFolder::open(kRef / "models" / "tiny-sd-inpaint");
    EXPECT_EQ(toString(inp.detectKind()), std::string("sd1-inpaint"));
    EXPECT_EQ(inp.defaultScheduler(), std::string("DDIMScheduler"));
    EXPECT_EQ(inp.componentConfig("unet")["in_channels"].get<int>(), 9);

    // The real checkpoints' configs (no weights in the repo).
    EXPECT_EQ(toString(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-v1-5").detectKind()),
              std::string("sd1"));
    EXPECT_EQ(toString(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-inpainting").detectKind()),
              std::string("sd1-inpaint"));
    const auto sd2 = DiffusersFolder::open(kRef / "configs" / "stable-diffusion-2-inpainting");
    EXPECT_EQ(toString(sd2.detectKind()), std::string("sd2-inpaint"));
    EXPECT_EQ(sd2.defaultScheduler(), std::string("PNDMScheduler"));
    EXPECT_EQ(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-inpainting").defaultScheduler(),
              std::string("DDIMScheduler"));
    EXPECT_THROWS(sd2.weightFiles("unet"), WeightsError, "has no weights");

    // SD2 base (4 channels, 1024 cross-attention) and an unknown channel count.
    auto root = makeModel("sd2base");
    writeText(root / "unet" / "config.json", R"({"in_channels": 4, "cross_attention_dim": 1024})");
    EXPECT_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("sd2"));
    writeText(root / "unet" / "config.json", R"({"in_channels": 8, "cross_attention_dim": 768})");
    EXPECT_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("unknown"));
    // A small model whose text encoder is OpenCLIP-style (gelu) counts as SD2.
    writeText(root / "unet" / "config.json", R"({"in_channels": 9, "cross_attention_dim": 32})");
    writeText(root / "text_encoder" / "config.json", R"({"hidden_act": "gelu"})");
    EXPECT_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("sd2-inpaint"));
}

TEST_CASE(testWeightResolution)
{
    const auto root = makeModel("weights");
    const auto unet = root / "unet";
    const auto f = DiffusersFolder::open(root);
    EXPECT_THROWS(f.weightFiles("unet"), WeightsError, "diffusion_pytorch_model.safetensors");

    // Pickles only: refused with the reason.
    writeText(unet / "diffusion_pytorch_model.bin", "not really a pickle");
    EXPECT_THROWS(f.weightFiles("unet"), WeightsError, "can run arbitrary code");
    EXPECT_THROWS(f.loadWeights("unet"), WeightsError, "diffusion_pytorch_model.bin");

    // fp16 variant only: used in both modes (with a flag).
    saveSafetensors(unet / "diffusion_pytorch_model.fp16.safetensors", {{"w", torch::ones({2}, torch::kFloat16)}});
    EXPECT(f.weightFiles("unet").fp16Variant);
    EXPECT_EQ(f.loadWeights("unet").at("w").scalar_type(), torch::kFloat16);

    // Both: full precision first unless fp16 is preferred.
    saveSafetensors(unet / "diffusion_pytorch_model.safetensors", {{"w", torch::ones({2})}});
    EXPECT(!f.weightFiles("unet").fp16Variant);
    EXPECT_EQ(f.loadWeights("unet").at("w").scalar_type(), torch::kFloat32);
    EXPECT(f.weightFiles("unet", true).fp16Variant);
    EXPECT_EQ(f.loadWeights("unet", true).at("w").scalar_type(), torch::kFloat16);
    EXPECT_EQ(f.openWeights("unet").size(), 1u);

    // Sharded (transformers naming for the text encoder).
    const auto te = root / "text_encoder";
    fs::create_directories(te);
    saveSafetensors(te / "model-00001-of-00002.safetensors", {{"a", torch::full({2}, 1.0f)}, {"b", torch::full({1}, 2.0f)}});
    saveSafetensors(te / "model-00002-of-00002.safetensors", {{"c", torch::full({3}, 3.0f)}});
    writeText(te / "model.safetensors.index.json",
              R"({"metadata": {"total_size": 24}, "weight_map": {"a": "model-00001-of-00002.safetensors",)"
              R"( "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}})");
    const auto sw = f.weightFiles("text_encoder");
    EXPECT_EQ(sw.files.size(), 2u);
    EXPECT_EQ(sw.index.filename().string(), std::string("model.safetensors.index.json"));
    const auto merged = f.loadWeights("text_encoder");
    EXPECT_EQ(merged.size(), 3u);
    EXPECT_EQ(merged.at("c")[2].item<float>(), 3.0f);
    EXPECT_EQ(f.openWeights("text_encoder").size(), 2u);

    // Inconsistent index: key in the wrong shard, shard missing, shard path escaping the folder,
    // tensor not mapped.
    writeText(te / "model.safetensors.index.json",
              R"({"weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",)"
              R"( "c": "model-00002-of-00002.safetensors"}})");
    EXPECT_THROWS(f.loadWeights("text_encoder"), WeightsError, "does not contain it");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "missing.safetensors"}})");
    EXPECT_THROWS(f.weightFiles("text_encoder"), WeightsError, "does not exist");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "../unet/x.safetensors"}})");
    EXPECT_THROWS(f.weightFiles("text_encoder"), WeightsError, "invalid shard");
    writeText(te / "model.safetensors.index.json",
              R"({"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}})");
    EXPECT_THROWS(f.loadWeights("text_encoder"), WeightsError, "holds 'b'");
    writeText(te / "model.safetensors.index.json", R"({"nothing": 1})");
    EXPECT_THROWS(f.weightFiles("text_encoder"), WeightsError, "weight_map");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "pytorch_model-1.bin"}})");
    EXPECT_THROWS(f.weightFiles("text_encoder"), WeightsError, "arbitrary code");
}

TEST_CASE(testMissingThings)
{
    EXPECT_THROWS(DiffusersFolder::open(tempRoot() / "no_such_model"), ConfigError, "does not exist");
    const auto empty = tempRoot() / "empty";
    fs::create_directories(empty);
    EXPECT_THROWS(DiffusersFolder::open(empty), ConfigError, "no model_index.json");
    writeText(tempRoot() / "model.ckpt", "x");
    EXPECT_THROWS(DiffusersFolder::open(tempRoot() / "model.ckpt"), WeightsError, "arbitrary code");
    writeText(tempRoot() / "model.safetensors", "x");
    EXPECT_THROWS(DiffusersFolder::open(tempRoot() / "model.safetensors"), ConfigError, "single file");
    const auto bad = tempRoot() / "badindex";
    writeText(bad / "model_index.json", "{\"unet\": [\"diffusers\", ");
    EXPECT_THROWS(DiffusersFolder::open(bad), FormatError, "model_index.json");

    const auto root = makeModel("missing");
    const auto f = DiffusersFolder::open(root);
    EXPECT_THROWS(f.componentDir("vae"), ConfigError, "has no 'vae' component folder");
    EXPECT_THROWS(f.componentConfig("vae"), ConfigError, "'vae'");
    fs::create_directories(root / "vae");
    EXPECT_THROWS(f.componentConfig("vae"), ConfigError, "no config file");
    EXPECT_EQ(f.defaultScheduler(), std::string(""));  // no scheduler anywhere
    EXPECT_EQ(f.predictionType(), std::string("epsilon"));
    writeText(root / "unet" / "config.json", "[1, 2]");
    EXPECT_THROWS(f.componentConfig("unet"), FormatError, "not a JSON object");
}

// Regression (tests/fuzz, corpus model_index/regress_*): a UNet config with "in_channels": null (or
// any non-integer), or a text encoder config whose hidden_act is not a string, made detectKind()
// throw nlohmann's type_error instead of saying "unknown"; a cross_attention_dim above 2^31 was
// truncated to int and could read as 768.
TEST_CASE(testKindWithWrongTypes)
{
    const auto root = makeModel("wrongtypes");
    const auto f = DiffusersFolder::open(root);
    for (const char* v : {"null", "\"4\"", "4.5", "[4]"}) {
        writeText(root / "unet" / "config.json", std::string(R"({"cross_attention_dim": 768, "in_channels": )") + v + "}");
        EXPECT_EQ(toString(f.detectKind()), std::string("unknown"));
    }
    writeText(root / "unet" / "config.json", R"({"in_channels": 9, "cross_attention_dim": 4294968064})");
    writeText(root / "text_encoder" / "config.json", R"({"hidden_act": 5})");
    EXPECT_EQ(toString(f.detectKind()), std::string("unknown"));
    writeText(root / "text_encoder" / "config.json", R"({"hidden_act": "gelu"})");
    EXPECT_EQ(toString(f.detectKind()), std::string("sd2-inpaint"));
    writeText(root / "unet" / "config.json", R"({"in_channels": 9, "cross_attention_dim": 768})");
    EXPECT_EQ(toString(f.detectKind()), std::string("sd1-inpaint"));
}

}  // namespace

TEST_MAIN()
