// safetensors reader/writer (format of huggingface/safetensors: u64 LE header length, JSON header,
// data area). The file is mapped read-only; tensors are zero-copy views that own a reference to
// the mapping, so the mapping lives as long as any tensor taken from it.
#include "models/io/safetensors.h"

#include "models/io/mapped_file.h"

#include "models/errors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace inpaint::models {

// safetensors is little-endian; views into the mapping are only valid on a little-endian host.
static_assert(std::endian::native == std::endian::little, "safetensors views assume a little-endian host");

namespace {

struct DtypeDesc {
    const char* name;
    torch::ScalarType type;
    size_t size;
};

// The dtypes a header may name that LibTorch can represent. (safetensors also defines
// U16/U32/U64 and F8 variants, which LibTorch 1.13 has no type for: reported as unsupported.)
constexpr DtypeDesc kDtypes[] = {
    {"F64", torch::kFloat64, 8}, {"F32", torch::kFloat32, 4}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8}, {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},      {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeDesc* findDtype(const std::string& name)
{
    for (const auto& d : kDtypes)
        if (name == d.name) return &d;
    return nullptr;
}

const DtypeDesc* findDtype(torch::ScalarType t)
{
    for (const auto& d : kDtypes)
        if (t == d.type) return &d;
    return nullptr;
}

uint64_t readLe64(const unsigned char* p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    return v;
}

}  // namespace

struct SafetensorsFile::Impl {
    std::filesystem::path path;
    std::shared_ptr<MappedFile> mapping;
    const unsigned char* data = nullptr;  // start of the data area
    uint64_t dataSize = 0;
    std::map<std::string, TensorInfo> tensors;
    std::map<std::string, std::string> metadata;
};

// The parser shared by open() and fromBytes(): `file` is "safetensors file '<name>'".
std::shared_ptr<SafetensorsFile> SafetensorsFile::parse(std::shared_ptr<Impl> impl, const std::string& file)
{
    const size_t fileSize = impl->mapping->size();
    const auto* base = impl->mapping->data();

    if (fileSize < 8)
        throw FormatError("The " + file + " is truncated: " + std::to_string(fileSize) +
                          " bytes, shorter than the 8-byte header length.");
    const uint64_t headerLen = readLe64(base);
    if (headerLen > fileSize - 8)
        throw FormatError("The " + file + " declares a " + std::to_string(headerLen) +
                          "-byte header, beyond the end of the file (" + std::to_string(fileSize) +
                          " bytes): the file is truncated or not safetensors.");
    if (headerLen < 2)
        throw FormatError("The " + file + " has an empty header (" + std::to_string(headerLen) + " bytes).");

    const std::string headerText(reinterpret_cast<const char*>(base + 8), static_cast<size_t>(headerLen));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(headerText);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError("The " + file + " has a header that is not valid JSON: " + e.what());
    }
    if (!header.is_object())
        throw FormatError("The " + file + " has a header that is not a JSON object.");

    impl->data = base + 8 + headerLen;
    impl->dataSize = fileSize - 8 - headerLen;

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& name = it.key();
        const auto& v = it.value();
        if (name == "__metadata__") {
            if (!v.is_object()) throw FormatError("The " + file + " has a '__metadata__' that is not an object.");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string())
                    throw FormatError("The " + file + " has a non-string '__metadata__' value for '" + m.key() + "'.");
                impl->metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = file + ", tensor '" + name + "'";
        if (!v.is_object()) throw FormatError("In the " + where + ": entry is not an object.");
        const auto dt = v.find("dtype");
        const auto sh = v.find("shape");
        const auto off = v.find("data_offsets");
        if (dt == v.end() || !dt->is_string()) throw FormatError("In the " + where + ": missing or non-string 'dtype'.");
        if (sh == v.end() || !sh->is_array()) throw FormatError("In the " + where + ": missing or non-array 'shape'.");
        if (off == v.end() || !off->is_array() || off->size() != 2)
            throw FormatError("In the " + where + ": 'data_offsets' must be an array of two integers.");

        TensorInfo info;
        info.name = name;
        info.dtype = dt->get<std::string>();
        const DtypeDesc* desc = findDtype(info.dtype);
        if (!desc) throw FormatError("In the " + where + ": unknown or unsupported dtype '" + info.dtype + "'.");

        // numel with overflow checks: a hostile header must not wrap the size computation.
        uint64_t numel = 1;
        for (const auto& d : *sh) {
            if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
                throw FormatError("In the " + where + ": shape entries must be non-negative integers.");
            const uint64_t dim = d.get<uint64_t>();
            if (dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                throw FormatError("In the " + where + ": shape dimension too large.");
            info.shape.push_back(static_cast<int64_t>(dim));
            if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / dim)
                throw FormatError("In the " + where + ": shape is too large.");
            numel *= dim;
        }
        if (numel > std::numeric_limits<uint64_t>::max() / desc->size)
            throw FormatError("In the " + where + ": shape is too large.");
        const uint64_t expectBytes = numel * desc->size;

        for (const auto& o : *off)
            if (!o.is_number_unsigned() && !(o.is_number_integer() && o.get<int64_t>() >= 0))
                throw FormatError("In the " + where + ": 'data_offsets' must be non-negative integers.");
        info.begin = (*off)[0].get<uint64_t>();
        info.end = (*off)[1].get<uint64_t>();
        if (info.begin > info.end)
            throw FormatError("In the " + where + ": data_offsets [" + std::to_string(info.begin) + ", " +
                              std::to_string(info.end) + "] are reversed.");
        if (info.end > impl->dataSize)
            throw FormatError("In the " + where + ": data_offsets [" + std::to_string(info.begin) + ", " +
                              std::to_string(info.end) + "] lie outside the data area (" +
                              std::to_string(impl->dataSize) + " bytes).");
        if (info.end - info.begin != expectBytes)
            throw FormatError("In the " + where + ": " + std::to_string(info.end - info.begin) +
                              " bytes of data but dtype " + info.dtype + " x shape needs " +
                              std::to_string(expectBytes) + " bytes.");
        impl->tensors.emplace(name, std::move(info));
    }

    // Overlap check: sort by begin and compare neighbours (empty tensors overlap nothing).
    std::vector<const TensorInfo*> byOffset;
    for (const auto& [n, i] : impl->tensors)
        if (i.end > i.begin) byOffset.push_back(&i);
    std::sort(byOffset.begin(), byOffset.end(), [](const TensorInfo* a, const TensorInfo* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (size_t i = 1; i < byOffset.size(); ++i) {
        if (byOffset[i]->begin < byOffset[i - 1]->end)
            throw FormatError("In the " + file + ": tensors '" + byOffset[i - 1]->name + "' and '" +
                              byOffset[i]->name + "' have overlapping data_offsets.");
    }

    auto f = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
    f->m_impl = std::move(impl);
    return f;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path)
{
    auto impl = std::make_shared<Impl>();
    impl->path = path;
    impl->mapping = MappedFile::map(path, "safetensors file '" + path.string() + "'");
    return parse(std::move(impl), "safetensors file '" + path.string() + "'");
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::fromBytes(std::string bytes, const std::string& what)
{
    auto impl = std::make_shared<Impl>();
    impl->mapping = MappedFile::fromBytes(std::move(bytes));
    return parse(std::move(impl), "safetensors file '" + what + "'");
}

SafetensorsFile::~SafetensorsFile() = default;

const std::filesystem::path& SafetensorsFile::path() const { return m_impl->path; }

std::vector<std::string> SafetensorsFile::names() const
{
    std::vector<std::string> out;
    out.reserve(m_impl->tensors.size());
    for (const auto& [n, i] : m_impl->tensors) out.push_back(n);
    return out;  // std::map keeps them sorted
}

bool SafetensorsFile::contains(const std::string& name) const { return m_impl->tensors.count(name) != 0; }

const TensorInfo& SafetensorsFile::info(const std::string& name) const
{
    const auto it = m_impl->tensors.find(name);
    if (it == m_impl->tensors.end())
        throw FormatError("The safetensors file '" + m_impl->path.string() + "' has no tensor '" + name + "'.");
    return it->second;
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const
{
    const TensorInfo& i = info(name);
    const DtypeDesc* desc = findDtype(i.dtype);
    const auto options = torch::TensorOptions().dtype(desc->type).device(torch::kCPU);
    const uint64_t bytes = i.end - i.begin;
    if (bytes == 0) return torch::empty(i.shape, options);
    const unsigned char* p = m_impl->data + i.begin;
    // The header's length is arbitrary, so data may be misaligned for the element type; torch
    // kernels assume natural alignment, so such tensors are copied into an aligned buffer.
    if (reinterpret_cast<uintptr_t>(p) % desc->size != 0) {
        auto t = torch::empty(i.shape, options);
        std::memcpy(t.data_ptr(), p, bytes);
        return t;
    }
    // from_blob wants a mutable pointer; the mapping is PROT_READ, which the header documents
    // (views are read-only: writing faults). The deleter keeps the mapping alive.
    auto keep = m_impl->mapping;
    return torch::from_blob(const_cast<unsigned char*>(p), i.shape, [keep](void*) mutable { keep.reset(); },
                            options);
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return m_impl->metadata; }

std::map<std::string, torch::Tensor> loadSafetensors(const std::filesystem::path& path)
{
    const auto f = SafetensorsFile::open(path);
    std::map<std::string, torch::Tensor> out;
    for (const auto& n : f->names()) out.emplace(n, f->tensor(n));
    return out;
}

void saveSafetensors(const std::filesystem::path& path, const std::map<std::string, torch::Tensor>& tensors,
                     const std::map<std::string, std::string>& metadata)
{
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<torch::Tensor> data;
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        if (name == "__metadata__") throw FormatError("Cannot save a tensor named '__metadata__'.");
        if (!t.defined()) throw FormatError("Cannot save undefined tensor '" + name + "' to '" + path.string() + "'.");
        const DtypeDesc* desc = findDtype(t.scalar_type());
        if (!desc)
            throw FormatError("Cannot save tensor '" + name + "' of dtype " +
                              std::string(c10::toString(t.scalar_type())) + " to safetensors.");
        auto c = t.detach().to(torch::kCPU).contiguous();
        const uint64_t bytes = static_cast<uint64_t>(c.numel()) * desc->size;
        header[name] = {{"dtype", desc->name}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        data.push_back(std::move(c));
    }
    std::string text = header.dump();
    // Pad with spaces so the data area starts 8-byte aligned (as the reference writer does).
    while ((8 + text.size()) % 8 != 0) text.push_back(' ');

    // Unique temp name beside the target, then rename: readers never see a half-written file.
    std::random_device rd;
    const auto tmp = path.parent_path() /
                     (path.filename().string() + ".tmp" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw FormatError("Cannot write '" + tmp.string() + "'.");
        unsigned char len[8];
        uint64_t n = text.size();
        for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        for (const auto& c : data)
            out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.nbytes()));
        out.flush();
        if (!out) {
            out.close();
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            throw FormatError("Writing '" + path.string() + "' failed (disk full?).");
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        const std::string why = ec.message();
        std::filesystem::remove(tmp, ec);
        throw FormatError("Cannot move the written file into place at '" + path.string() + "': " + why + ".");
    }
}

}  // namespace inpaint::models
