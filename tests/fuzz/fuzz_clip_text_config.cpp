// libFuzzer harness: text_encoder/config.json through the config JSON reader and ClipTextConfig::fromJson.
#include "tests/fuzz/fuzz_util.h"

#include "models/clip/clip_text_model.h"
#include "models/errors.h"
#include "models/io/json_config.h"

using namespace inpaint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    try {
        const auto json = models::parseConfigJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
        const auto c = models::ClipTextConfig::fromJson(json);
        if (c.hiddenSize <= 0 || c.numAttentionHeads <= 0 || c.hiddenSize % c.numAttentionHeads != 0)
            fuzz::fail("accepted a text encoder config with inconsistent sizes");
        fuzz::sink(static_cast<uint64_t>(c.vocabSize + c.maxPositionEmbeddings));
    } catch (const models::ModelError&) {
    }
    return 0;
}
