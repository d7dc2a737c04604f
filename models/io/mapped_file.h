// The bytes of a whole file: a read-only private mapping (unmapped when the last reference goes
// away), or a string the object owns (for in-memory tests and fuzzing). Tensors made from a file
// hold a shared_ptr to it, so the weights stay views into the page cache, never a second copy.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace inpaint::models {

class MappedFile {
public:
    // `what` names the file in messages ("safetensors file 'x'"). Throws FormatError.
    static std::shared_ptr<MappedFile> map(const std::filesystem::path& path, const std::string& what);
    static std::shared_ptr<MappedFile> fromBytes(std::string bytes);

    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    const unsigned char* data() const { return static_cast<const unsigned char*>(m_addr); }
    void* address() const { return m_addr; }
    size_t size() const { return m_size; }

private:
    MappedFile() = default;
    void* m_addr = nullptr;
    size_t m_size = 0;
    bool m_mapped = false;
    std::string m_owned;
};

}  // namespace inpaint::models
