// libFuzzer harness: unet/config.json through the config JSON reader (NaN/Infinity literals) and
// UNet2DConditionConfig::fromJson, then the derived sizes the model builder asks for.
#include "tests/fuzz/fuzz_util.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/unet/unet_config.h"

using namespace inpaint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto json = models::parseConfigJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
        const auto c = models::UNet2DConditionConfig::fromJson(json);
        fuzz::sink(static_cast<uint64_t>(c.timeEmbedDim()) + static_cast<uint64_t>(c.downsampleFactor()));
    } catch (const models::ModelError&) {
    }
    return 0;
}
