// Tests of models/io/diffusers_folder: components and configs of the reference models, kind
// detection for the real SD configs, weight-file resolution (single, fp16 variant, shards),
// refusal of pickles, and errors for missing folders/configs.
#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/safetensors.h"
#include "tests/models/check.h"

#include <torch/torch.h>

#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";

fs::path tempRoot()
{
    static const fs::path d = [] {
        auto p = fs::temp_directory_path() / ("inpaint_test_folder_" + std::to_string(::getpid()));
        fs::create_directories(p);
        return p;
    }();
    return d;
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

void testReferenceModels()
{
    const auto f = DiffusersFolder::open(kRef / "models" / "tiny-sd");
    VERIFY_EQ(f.pipelineClass(), std::string("StableDiffusionPipeline"));
    const auto comps = f.components();
    VERIFY_EQ(comps.size(), 5u);  // scheduler, text_encoder, tokenizer, unet, vae (null entries skipped)
    VERIFY(f.hasComponent("unet"));
    VERIFY(!f.hasComponent("safety_checker"));
    VERIFY_EQ(f.componentClass("text_encoder"), std::string("CLIPTextModel"));
    VERIFY_EQ(toString(f.detectKind()), std::string("sd1"));
    VERIFY_EQ(f.defaultScheduler(), std::string("PNDMScheduler"));
    VERIFY_EQ(f.predictionType(), std::string("epsilon"));
    VERIFY_EQ(f.componentConfig("unet")["in_channels"].get<int>(), 4);
    VERIFY_EQ(f.componentConfig("scheduler")["steps_offset"].get<int>(), 1);
    VERIFY_EQ(f.componentConfig("tokenizer")["model_max_length"].get<int>(), 77);

    const auto w = f.weightFiles("text_encoder");
    VERIFY_EQ(w.files.size(), 1u);
    VERIFY_EQ(w.files[0].filename().string(), std::string("model.safetensors"));
    VERIFY(!w.fp16Variant);
    const auto te = f.loadWeights("text_encoder");
    VERIFY(te.count("text_model.embeddings.token_embedding.weight") == 1);
    VERIFY_EQ(te.at("text_model.embeddings.token_embedding.weight").size(0), 49408);
    VERIFY_EQ(f.weightFiles("unet").files[0].filename().string(), std::string("diffusion_pytorch_model.safetensors"));

    const auto inp = DiffusersFolder::open(kRef / "models" / "tiny-sd-inpaint");
    VERIFY_EQ(toString(inp.detectKind()), std::string("sd1-inpaint"));
    VERIFY_EQ(inp.defaultScheduler(), std::string("DDIMScheduler"));
    VERIFY_EQ(inp.componentConfig("unet")["in_channels"].get<int>(), 9);

    // The real checkpoints' configs (no weights in the repo).
    VERIFY_EQ(toString(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-v1-5").detectKind()),
              std::string("sd1"));
    VERIFY_EQ(toString(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-inpainting").detectKind()),
              std::string("sd1-inpaint"));
    const auto sd2 = DiffusersFolder::open(kRef / "configs" / "stable-diffusion-2-inpainting");
    VERIFY_EQ(toString(sd2.detectKind()), std::string("sd2-inpaint"));
    VERIFY_EQ(sd2.defaultScheduler(), std::string("PNDMScheduler"));
    VERIFY_EQ(DiffusersFolder::open(kRef / "configs" / "stable-diffusion-inpainting").defaultScheduler(),
              std::string("DDIMScheduler"));
    VERIFY_THROWS(WeightsError, sd2.weightFiles("unet"), "has no weights");

    // SD2 base (4 channels, 1024 cross-attention) and an unknown channel count.
    auto root = makeModel("sd2base");
    writeText(root / "unet" / "config.json", R"({"in_channels": 4, "cross_attention_dim": 1024})");
    VERIFY_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("sd2"));
    writeText(root / "unet" / "config.json", R"({"in_channels": 8, "cross_attention_dim": 768})");
    VERIFY_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("unknown"));
    // A small model whose text encoder is OpenCLIP-style (gelu) counts as SD2.
    writeText(root / "unet" / "config.json", R"({"in_channels": 9, "cross_attention_dim": 32})");
    writeText(root / "text_encoder" / "config.json", R"({"hidden_act": "gelu"})");
    VERIFY_EQ(toString(DiffusersFolder::open(root).detectKind()), std::string("sd2-inpaint"));
}

void testWeightResolution()
{
    const auto root = makeModel("weights");
    const auto unet = root / "unet";
    const auto f = DiffusersFolder::open(root);
    VERIFY_THROWS(WeightsError, f.weightFiles("unet"), "diffusion_pytorch_model.safetensors");

    // Pickles only: refused with the reason.
    writeText(unet / "diffusion_pytorch_model.bin", "not really a pickle");
    VERIFY_THROWS(WeightsError, f.weightFiles("unet"), "can run arbitrary code");
    VERIFY_THROWS(WeightsError, f.loadWeights("unet"), "diffusion_pytorch_model.bin");

    // fp16 variant only: used in both modes (with a flag).
    saveSafetensors(unet / "diffusion_pytorch_model.fp16.safetensors", {{"w", torch::ones({2}, torch::kFloat16)}});
    VERIFY(f.weightFiles("unet").fp16Variant);
    VERIFY_EQ(f.loadWeights("unet").at("w").scalar_type(), torch::kFloat16);

    // Both: full precision first unless fp16 is preferred.
    saveSafetensors(unet / "diffusion_pytorch_model.safetensors", {{"w", torch::ones({2})}});
    VERIFY(!f.weightFiles("unet").fp16Variant);
    VERIFY_EQ(f.loadWeights("unet").at("w").scalar_type(), torch::kFloat32);
    VERIFY(f.weightFiles("unet", true).fp16Variant);
    VERIFY_EQ(f.loadWeights("unet", true).at("w").scalar_type(), torch::kFloat16);
    VERIFY_EQ(f.openWeights("unet").size(), 1u);

    // Sharded (transformers naming for the text encoder).
    const auto te = root / "text_encoder";
    fs::create_directories(te);
    saveSafetensors(te / "model-00001-of-00002.safetensors", {{"a", torch::full({2}, 1.0f)}, {"b", torch::full({1}, 2.0f)}});
    saveSafetensors(te / "model-00002-of-00002.safetensors", {{"c", torch::full({3}, 3.0f)}});
    writeText(te / "model.safetensors.index.json",
              R"({"metadata": {"total_size": 24}, "weight_map": {"a": "model-00001-of-00002.safetensors",)"
              R"( "b": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}})");
    const auto sw = f.weightFiles("text_encoder");
    VERIFY_EQ(sw.files.size(), 2u);
    VERIFY_EQ(sw.index.filename().string(), std::string("model.safetensors.index.json"));
    const auto merged = f.loadWeights("text_encoder");
    VERIFY_EQ(merged.size(), 3u);
    VERIFY_EQ(merged.at("c")[2].item<float>(), 3.0f);
    VERIFY_EQ(f.openWeights("text_encoder").size(), 2u);

    // Inconsistent index: key in the wrong shard, shard missing, shard path escaping the folder,
    // tensor not mapped.
    writeText(te / "model.safetensors.index.json",
              R"({"weight_map": {"a": "model-00002-of-00002.safetensors", "b": "model-00001-of-00002.safetensors",)"
              R"( "c": "model-00002-of-00002.safetensors"}})");
    VERIFY_THROWS(WeightsError, f.loadWeights("text_encoder"), "does not contain it");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "missing.safetensors"}})");
    VERIFY_THROWS(WeightsError, f.weightFiles("text_encoder"), "does not exist");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "../unet/x.safetensors"}})");
    VERIFY_THROWS(WeightsError, f.weightFiles("text_encoder"), "invalid shard");
    writeText(te / "model.safetensors.index.json",
              R"({"weight_map": {"a": "model-00001-of-00002.safetensors", "c": "model-00002-of-00002.safetensors"}})");
    VERIFY_THROWS(WeightsError, f.loadWeights("text_encoder"), "holds 'b'");
    writeText(te / "model.safetensors.index.json", R"({"nothing": 1})");
    VERIFY_THROWS(WeightsError, f.weightFiles("text_encoder"), "weight_map");
    writeText(te / "model.safetensors.index.json", R"({"weight_map": {"a": "pytorch_model-1.bin"}})");
    VERIFY_THROWS(WeightsError, f.weightFiles("text_encoder"), "arbitrary code");
}

void testMissingThings()
{
    VERIFY_THROWS(ConfigError, DiffusersFolder::open(tempRoot() / "no_such_model"), "does not exist");
    const auto empty = tempRoot() / "empty";
    fs::create_directories(empty);
    VERIFY_THROWS(ConfigError, DiffusersFolder::open(empty), "no model_index.json");
    writeText(tempRoot() / "model.ckpt", "x");
    VERIFY_THROWS(WeightsError, DiffusersFolder::open(tempRoot() / "model.ckpt"), "arbitrary code");
    writeText(tempRoot() / "model.safetensors", "x");
    VERIFY_THROWS(ConfigError, DiffusersFolder::open(tempRoot() / "model.safetensors"), "single file");
    const auto bad = tempRoot() / "badindex";
    writeText(bad / "model_index.json", "{\"unet\": [\"diffusers\", ");
    VERIFY_THROWS(FormatError, DiffusersFolder::open(bad), "model_index.json");

    const auto root = makeModel("missing");
    const auto f = DiffusersFolder::open(root);
    VERIFY_THROWS(ConfigError, f.componentDir("vae"), "has no 'vae' component folder");
    VERIFY_THROWS(ConfigError, f.componentConfig("vae"), "'vae'");
    fs::create_directories(root / "vae");
    VERIFY_THROWS(ConfigError, f.componentConfig("vae"), "no config file");
    VERIFY_EQ(f.defaultScheduler(), std::string(""));  // no scheduler anywhere
    VERIFY_EQ(f.predictionType(), std::string("epsilon"));
    writeText(root / "unet" / "config.json", "[1, 2]");
    VERIFY_THROWS(FormatError, f.componentConfig("unet"), "not a JSON object");
}

}  // namespace

int main()
{
    const auto run = [](const char* name, void (*fn)()) {
        try {
            fn();
        } catch (const std::exception& e) {
            inpaint::test::fail(__FILE__, __LINE__, std::string(name) + " threw: " + e.what());
        }
    };
    run("referenceModels", testReferenceModels);
    run("weightResolution", testWeightResolution);
    run("missingThings", testMissingThings);
    std::error_code ec;
    fs::remove_all(tempRoot(), ec);
    return inpaint::test::checkReport("test_diffusers_folder");
}
