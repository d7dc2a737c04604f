// libFuzzer harness: a diffusers folder's JSON files (models/io/diffusers_folder.cpp) through its
// real file-path entry points. The input holds up to five files separated by "\n===\n" lines:
//   model_index.json, unet/config.json, text_encoder/config.json, scheduler/scheduler_config.json,
//   unet/diffusion_pytorch_model.safetensors.index.json (a shard index);
// a missing part means a missing file. The folder is rewritten in a scratch directory per input,
// then opened and asked what the model library and the loader ask.
#include "tests/fuzz/fuzz_util.h"

#include "models/errors.h"
#include "models/io/diffusers_folder.h"

using namespace inpaint;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const char* kFiles[] = {"model_index.json", "unet/config.json", "text_encoder/config.json",
                                   "scheduler/scheduler_config.json",
                                   "unet/diffusion_pytorch_model.safetensors.index.json"};
    const auto parts = fuzz::splitParts(data, size, std::size(kFiles));
    const fs::path root = fuzz::scratchDir() / "model";
    std::error_code ec;
    fs::remove_all(root, ec);
    for (const char* dir : {"unet", "text_encoder", "scheduler"}) fs::create_directories(root / dir);
    for (size_t i = 0; i < parts.size(); ++i) fuzz::writeFile(root / kFiles[i], parts[i]);

    models::DiffusersFolder folder;
    try {
        folder = models::DiffusersFolder::open(root);
    } catch (const models::ModelError&) {
        return 0;
    }
    fuzz::sink(folder.pipelineClass().size());
    for (const auto& c : folder.components()) {
        if (!folder.hasComponent(c)) fuzz::fail("components() lists '" + c + "' but hasComponent() denies it");
        fuzz::sink(folder.componentClass(c).size());
    }
    auto guarded = [](auto&& fn) {
        try {
            fn();
        } catch (const models::ModelError&) {
        }
    };
    guarded([&] { fuzz::sink(static_cast<uint64_t>(folder.detectKind())); });
    guarded([&] { fuzz::sink(folder.defaultScheduler().size()); });
    guarded([&] { fuzz::sink(folder.predictionType().size()); });
    guarded([&] { fuzz::sink(folder.componentConfig("unet").size()); });
    guarded([&] { fuzz::sink(folder.weightFiles("unet").files.size()); });
    return 0;
}
