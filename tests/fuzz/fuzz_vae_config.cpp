// libFuzzer harness: vae/config.json through the config JSON reader and AutoencoderKLConfig::fromJson.
#include "tests/fuzz/fuzz_util.h"

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/vae/vae_config.h"

using namespace inpaint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto json = models::parseConfigJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
        const auto c = models::AutoencoderKLConfig::fromJson(json);
        fuzz::sink(static_cast<uint64_t>(c.vaeScaleFactor()));
    } catch (const models::ModelError&) {
    }
    return 0;
}
