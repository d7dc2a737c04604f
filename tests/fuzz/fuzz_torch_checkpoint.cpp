// libFuzzer harness: the torch.save reader (models/io/torch_checkpoint.cpp, pickle_reader.cpp).
// An input starting with a zip header ("PK\3\4") is a whole checkpoint (readTorchCheckpointBytes:
// zip directory, records, data.pkl); any other input is a data.pkl on its own, read by the pickle
// VM with every storage key resolving to a slice of one 4 KiB buffer. An accepted file must give a
// tree whose tensors all lie inside their storage (every element is read here, in instrumented
// code), within the documented depth; refusals are FormatError / WeightsError.
#include "tests/fuzz/fuzz_util.h"

#include "models/errors.h"
#include "models/io/pickle_reader.h"
#include "models/io/torch_checkpoint.h"

#include <torch/torch.h>

using namespace inpaint;

namespace {

constexpr int64_t kBufferBytes = 4096;

// Reads every element of `t` through its strides (bounded), checking it lies in its storage.
void readTensor(const torch::Tensor& t)
{
    if (!t.defined()) fuzz::fail("undefined tensor in an accepted tree");
    if (t.numel() == 0) return;
    const int64_t elem = static_cast<int64_t>(t.element_size());
    const int64_t storageBytes = static_cast<int64_t>(t.storage().nbytes());
    const auto* base = static_cast<const uint8_t*>(t.storage().data());
    const auto* first = static_cast<const uint8_t*>(t.data_ptr());
    int64_t last = t.storage_offset();
    for (int64_t d = 0; d < t.dim(); ++d) last += (t.size(d) - 1) * t.stride(d);
    if (first < base || (last + 1) * elem > storageBytes)
        fuzz::fail("tensor reaches element " + std::to_string(last) + " of a storage of " +
                   std::to_string(storageBytes) + " bytes");
    // Every element (at most 64k of them), read byte by byte here.
    if (t.numel() > 65536) return;
    std::vector<int64_t> idx(static_cast<size_t>(t.dim()), 0);
    uint64_t sum = 0;
    for (int64_t n = 0; n < t.numel(); ++n) {
        int64_t off = 0;
        for (int64_t d = 0; d < t.dim(); ++d) off += idx[static_cast<size_t>(d)] * t.stride(d);
        for (int64_t b = 0; b < elem; ++b) sum += first[off * elem + b];
        for (int64_t d = t.dim() - 1; d >= 0; --d) {
            if (++idx[static_cast<size_t>(d)] < t.size(d)) break;
            idx[static_cast<size_t>(d)] = 0;
        }
    }
    fuzz::sink(sum);
}

void walk(const models::PickleValue& v, size_t depth)
{
    if (depth > 101) fuzz::fail("accepted tree deeper than the documented limit");
    if (v.kind == models::PickleValue::Kind::Dict && v.keys.size() != v.items.size())
        fuzz::fail("dict with " + std::to_string(v.keys.size()) + " keys and " + std::to_string(v.items.size()) +
                   " values");
    if (v.isTensor()) readTensor(v.tensor);
    fuzz::sink(v.text.size() + static_cast<uint64_t>(v.integer));
    for (const auto& k : v.keys) walk(k, depth + 1);
    for (const auto& i : v.items) walk(i, depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        if (size >= 4 && bytes.compare(0, 4, "PK\x03\x04", 4) == 0) {
            const models::TorchCheckpoint c = models::readTorchCheckpointBytes(bytes, "fuzz input");
            walk(c.root, 0);
            std::vector<std::string> skipped;
            for (const auto& [k, t] : models::torchStateDict(c.root, "fuzz input", &skipped)) readTensor(t);
        } else {
            static const torch::Tensor buffer = torch::arange(kBufferBytes, torch::kInt64).to(torch::kUInt8);
            auto loader = [](const std::string& key, torch::ScalarType dtype, int64_t numel) -> torch::Tensor {
                const int64_t elem = static_cast<int64_t>(c10::elementSize(dtype));
                if (numel > kBufferBytes / elem) throw models::FormatError("storage '" + key + "' too large");
                // A fresh 1-D tensor of exactly `numel` elements over the buffer's bytes.
                return buffer.narrow(0, 0, numel * elem).clone().view(dtype);
            };
            const models::PickleValue v = models::readTorchPickle(bytes, "fuzz input", loader);
            walk(v, 0);
            (void)models::torchPickleGlobals(bytes, "fuzz input");
        }
    } catch (const models::ModelError&) {
        return 0;  // FormatError / WeightsError: a documented refusal
    }
    return 0;
}
