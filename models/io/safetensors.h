// safetensors reader: memory-mapped file, JSON header, strict bounds checks.
// Format: 8-byte little-endian header length N, N bytes of JSON, then the data area.
#pragma once

#include <torch/types.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace inpaint::models {

struct TensorInfo {
    std::string name;
    std::string dtype;            // as in the header: "F32", "F16", "BF16", "I64", "U8", ...
    std::vector<int64_t> shape;
    uint64_t begin = 0;           // byte offsets inside the data area
    uint64_t end = 0;
};

// An open safetensors file. Tensors returned by tensor() alias the mapping (no copy) and
// keep it alive; they are read-only views: clone() before writing into them.
class SafetensorsFile {
public:
    // Throws FormatError (naming the file and, where it applies, the tensor) on any violation:
    // file shorter than 8 bytes, header length beyond the file, header not JSON / not an object,
    // unknown dtype, offsets outside the data area, size != dtype size x numel, overlapping tensors.
    static std::shared_ptr<SafetensorsFile> open(const std::filesystem::path& path);
    // The same parser over bytes held in memory (a whole file: length, header, data area); the
    // tensors alias `bytes`, which the object keeps. `what` names the source in messages
    // ("safetensors file '<what>'"); path() is empty. Used by the fuzzer and by tests.
    static std::shared_ptr<SafetensorsFile> fromBytes(std::string bytes, const std::string& what);

    const std::filesystem::path& path() const;
    std::vector<std::string> names() const;                 // sorted
    bool contains(const std::string& name) const;
    const TensorInfo& info(const std::string& name) const;  // throws FormatError if absent
    torch::Tensor tensor(const std::string& name) const;    // CPU tensor in the file's dtype
    const std::map<std::string, std::string>& metadata() const;  // "__metadata__"

    ~SafetensorsFile();
    struct Impl;
private:
    static std::shared_ptr<SafetensorsFile> parse(std::shared_ptr<Impl> impl, const std::string& file);
    std::shared_ptr<Impl> m_impl;
};

// Convenience: every tensor of a file (views into the mapping).
std::map<std::string, torch::Tensor> loadSafetensors(const std::filesystem::path& path);

// Writes tensors (contiguous CPU copies are made as needed) to `path` atomically
// (temp file + rename). Used for --latents-out and by tests.
void saveSafetensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata = {});

}  // namespace inpaint::models
