// libFuzzer harness: the safetensors parser (models/io/safetensors.cpp) on arbitrary bytes, through
// SafetensorsFile::fromBytes (the parser open() uses). An accepted file must hand out every tensor
// it lists, each exactly as many bytes as its offsets span, all readable.
#include "tests/fuzz/fuzz_util.h"

#include "models/errors.h"
#include "models/io/safetensors.h"

#include <torch/torch.h>

using namespace inpaint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::shared_ptr<models::SafetensorsFile> file;
    try {
        file = models::SafetensorsFile::fromBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz input");
    } catch (const models::FormatError&) {
        return 0;  // a documented refusal
    }
    for (const auto& name : file->names()) {
        const models::TensorInfo& info = file->info(name);
        if (info.end < info.begin) fuzz::fail("tensor '" + name + "' has reversed offsets");
        const torch::Tensor t = file->tensor(name);  // an accepted header must give every tensor
        const uint64_t bytes = info.end - info.begin;
        if (static_cast<uint64_t>(t.nbytes()) != bytes)
            fuzz::fail("tensor '" + name + "' has " + std::to_string(t.nbytes()) + " bytes, offsets span " +
                       std::to_string(bytes));
        if (t.sizes().vec() != info.shape) fuzz::fail("tensor '" + name + "' has another shape than its header");
        // Read every byte here (instrumented code), so an out-of-bounds view is reported.
        const auto* p = static_cast<const uint8_t*>(t.data_ptr());
        uint64_t sum = 0;
        for (uint64_t i = 0; i < bytes; ++i) sum += p[i];
        fuzz::sink(sum);
    }
    for (const auto& [k, v] : file->metadata()) fuzz::sink(k.size() + v.size());
    return 0;
}
