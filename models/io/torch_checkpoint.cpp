// torch.save zip reader (see torch_checkpoint.h): the file is mapped read-only, the zip's end
// record (zip64 too, as torch writes for files over 4 GiB) and central directory are parsed here
// with every offset checked against the file, data.pkl goes to the restricted pickle VM, and each
// storage record becomes a 1-D tensor aliasing the mapping.
#include "models/io/torch_checkpoint.h"

#include "models/io/mapped_file.h"

#include "models/errors.h"

#include <torch/torch.h>

#include <array>
#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace inpaint::models {

static_assert(std::endian::native == std::endian::little, "torch checkpoint views assume a little-endian host");

namespace {


uint64_t le(const unsigned char* p, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; --k) v = (v << 8) | p[k];
    return v;
}

uint32_t crc32(const unsigned char* p, size_t n)
{
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}

struct ZipEntry {
    std::string name;
    uint16_t flags = 0;
    uint16_t method = 0;
    uint32_t crc = 0;
    uint64_t compressedSize = 0;
    uint64_t size = 0;
    uint64_t headerOffset = 0;
};

constexpr uint64_t kMaxEntries = 10'000'000;

class ZipReader {
public:
    ZipReader(const MappedFile& m, const std::string& file)
        : m_base(m.data()), m_size(m.size()), m_file(file)
    {}

    [[noreturn]] void fail(const std::string& what) const { throw FormatError("The " + m_file + " " + what); }

    // Parses the end record and the central directory. Returns false when there is no end record
    // at all (not a zip, or a zip cut short).
    bool readDirectory()
    {
        if (m_size < 22) return false;
        size_t eocd = std::string::npos;
        const size_t lowest = m_size >= 22 + 65535 ? m_size - 22 - 65535 : 0;
        for (size_t p = m_size - 22 + 1; p-- > lowest;) {
            if (le(m_base + p, 4) == 0x06054b50 && p + 22 + le(m_base + p + 20, 2) == m_size) {
                eocd = p;
                break;
            }
        }
        if (eocd == std::string::npos) return false;
        const unsigned char* e = m_base + eocd;
        uint64_t diskNo = le(e + 4, 2), cdDisk = le(e + 6, 2);
        uint64_t count = le(e + 10, 2), cdSize = le(e + 12, 4), cdOffset = le(e + 16, 4);
        // zip64: a locator just before the end record points at the zip64 end record.
        if (eocd >= 20 && le(m_base + eocd - 20, 4) == 0x07064b50) {
            const uint64_t at = le(m_base + eocd - 20 + 8, 8);
            if (at > m_size || m_size - at < 56 || le(m_base + at, 4) != 0x06064b50)
                fail("has a damaged zip64 end record (the zip is truncated or corrupt).");
            const unsigned char* z = m_base + at;
            diskNo = le(z + 16, 4);
            cdDisk = le(z + 20, 4);
            count = le(z + 32, 8);
            cdSize = le(z + 40, 8);
            cdOffset = le(z + 48, 8);
        }
        if (diskNo != 0 || cdDisk != 0) fail("is a multi-part zip, which is not supported.");
        if (count > kMaxEntries) fail("declares " + std::to_string(count) + " zip entries.");
        if (cdOffset > m_size || cdSize > m_size - cdOffset)
            fail("has a zip directory outside the file (the file is truncated or corrupt).");
        size_t p = static_cast<size_t>(cdOffset);
        const size_t end = static_cast<size_t>(cdOffset + cdSize);
        for (uint64_t k = 0; k < count; ++k) {
            if (end - p < 46 || le(m_base + p, 4) != 0x02014b50)
                fail("has a damaged zip directory (entry " + std::to_string(k) + ").");
            const unsigned char* c = m_base + p;
            ZipEntry z;
            z.flags = static_cast<uint16_t>(le(c + 8, 2));
            z.method = static_cast<uint16_t>(le(c + 10, 2));
            z.crc = static_cast<uint32_t>(le(c + 16, 4));
            z.compressedSize = le(c + 20, 4);
            z.size = le(c + 24, 4);
            const size_t nameLen = le(c + 28, 2), extraLen = le(c + 30, 2), commentLen = le(c + 32, 2);
            z.headerOffset = le(c + 42, 4);
            if (end - p - 46 < nameLen + extraLen + commentLen)
                fail("has a damaged zip directory (entry " + std::to_string(k) + " runs past it).");
            z.name.assign(reinterpret_cast<const char*>(c + 46), nameLen);
            // zip64 extra field: the 64-bit values of the fields saturated in the fixed part, in order.
            const unsigned char* x = c + 46 + nameLen;
            for (size_t q = 0; q + 4 <= extraLen;) {
                const uint64_t id = le(x + q, 2), len = le(x + q + 2, 2);
                if (q + 4 + len > extraLen) break;
                if (id == 0x0001) {
                    const unsigned char* f = x + q + 4;
                    size_t left = len;
                    auto take = [&](uint64_t& v) {
                        if (v != 0xffffffffu) return;
                        if (left < 8) fail("has a damaged zip64 field for '" + z.name + "'.");
                        v = le(f, 8);
                        f += 8;
                        left -= 8;
                    };
                    take(z.size);
                    take(z.compressedSize);
                    take(z.headerOffset);
                }
                q += 4 + len;
            }
            if (!m_entries.emplace(z.name, z).second) fail("has two zip entries named '" + z.name + "'.");
            m_order.push_back(z.name);
            p += 46 + nameLen + extraLen + commentLen;
        }
        return true;
    }

    const std::vector<std::string>& names() const { return m_order; }
    const ZipEntry* find(const std::string& name) const
    {
        const auto it = m_entries.find(name);
        return it == m_entries.end() ? nullptr : &it->second;
    }

    // The bytes of a stored entry, inside the file (checked).
    std::string_view data(const ZipEntry& z) const
    {
        if (z.flags & 1) fail("has an encrypted record '" + z.name + "'.");
        if (z.method != 0)
            fail("has a compressed record '" + z.name + "' (zip method " + std::to_string(z.method) +
                 "); torch.save writes uncompressed records, so re-save it with torch.save or convert it to "
                 ".safetensors.");
        if (z.compressedSize != z.size) fail("has a stored record '" + z.name + "' whose two sizes differ.");
        if (z.headerOffset > m_size || m_size - z.headerOffset < 30 || le(m_base + z.headerOffset, 4) != 0x04034b50)
            fail("has a damaged or missing zip header for '" + z.name + "' (the file is truncated or corrupt).");
        const unsigned char* h = m_base + z.headerOffset;
        const uint64_t start = z.headerOffset + 30 + le(h + 26, 2) + le(h + 28, 2);
        if (start > m_size || z.size > m_size - start)
            fail("is truncated: record '" + z.name + "' (" + std::to_string(z.size) + " bytes at offset " +
                 std::to_string(start) + ") runs past the end of the file (" + std::to_string(m_size) + " bytes).");
        return {reinterpret_cast<const char*>(m_base + start), static_cast<size_t>(z.size)};
    }

private:
    const unsigned char* m_base;
    size_t m_size;
    const std::string& m_file;
    std::unordered_map<std::string, ZipEntry> m_entries;
    std::vector<std::string> m_order;
};

bool startsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Legacy torch.save (torch < 1.6): a pickle whose first value is torch's magic number
// 0x1950a86a20f9469cfc6c (PROTO, [FRAME,] LONG1 of 10 bytes), or the even older tar layout.
bool isLegacyStart(const unsigned char* b, size_t n)
{
    static const unsigned char kMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    if (n >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5) {
        const size_t at = (n > 2 && b[2] == 0x95) ? 11 : 2;  // protocol 4+ starts with a FRAME
        if (n >= at + sizeof kMagic && std::memcmp(b + at, kMagic, sizeof kMagic) == 0) return true;
    }
    return n >= 262 && std::memcmp(b + 257, "ustar", 5) == 0;
}

TorchCheckpoint parse(std::shared_ptr<MappedFile> mapping, const std::string& file)
{
    const auto* base = mapping->data();
    ZipReader zip(*mapping, file);
    if (!zip.readDirectory()) {
        if (mapping->size() >= 4 && le(base, 4) == 0x04034b50)
            zip.fail("is truncated or damaged: a zip whose end-of-directory record is missing.");
        if (isLegacyStart(base, mapping->size()))
            zip.fail("is in the legacy torch format (torch < 1.6), which is not supported; re-save it with "
                     "torch>=1.6 or convert it to .safetensors.");
        zip.fail("is not a torch checkpoint: not a zip archive (torch.save's format since torch 1.6).");
    }

    // The one <root>/data.pkl.
    std::vector<std::string> pickles;
    bool torchScript = false;
    for (const auto& n : zip.names()) {
        const size_t slash = n.find('/');
        if (slash == std::string::npos || slash == 0) continue;
        const std::string_view rest = std::string_view(n).substr(slash + 1);
        if (rest == "data.pkl") pickles.push_back(n);
        if (rest == "constants.pkl" || startsWith(rest, "code/")) torchScript = true;
    }
    if (torchScript)
        zip.fail("is a TorchScript archive (torch.jit.save), not a torch.save checkpoint; it is not read.");
    if (pickles.empty()) zip.fail("is a zip without a <folder>/data.pkl: not a torch.save checkpoint.");
    if (pickles.size() > 1)
        zip.fail("has " + std::to_string(pickles.size()) + " data.pkl records ('" + pickles[0] + "', '" + pickles[1] +
                 "'): which one is the checkpoint is ambiguous.");
    TorchCheckpoint out;
    out.rootFolder = pickles[0].substr(0, pickles[0].size() - std::string("/data.pkl").size());
    const std::string prefix = out.rootFolder + "/";

    if (const ZipEntry* bo = zip.find(prefix + "byteorder")) {
        const std::string_view order = zip.data(*bo);
        if (order != "little")
            zip.fail("stores its tensors in '" + std::string(order.substr(0, 16)) +
                     "' byte order; only little-endian files are read.");
    }

    const ZipEntry& pklEntry = *zip.find(pickles[0]);
    const std::string_view pkl = zip.data(pklEntry);
    if (crc32(reinterpret_cast<const unsigned char*>(pkl.data()), pkl.size()) != pklEntry.crc)
        zip.fail("is corrupt: the checksum of '" + pickles[0] + "' does not match.");

    auto loader = [&](const std::string& key, torch::ScalarType dtype, int64_t numel) -> torch::Tensor {
        const std::string name = prefix + "data/" + key;
        const ZipEntry* z = zip.find(name);
        if (!z) zip.fail("has no record '" + name + "' for a storage its data.pkl uses.");
        const std::string_view d = zip.data(*z);
        const uint64_t elem = c10::elementSize(dtype);
        if (static_cast<uint64_t>(numel) > d.size() / elem)
            zip.fail("has a storage '" + name + "' of " + std::to_string(numel) + " " +
                     std::string(c10::toString(dtype)) + " elements, but its record holds only " +
                     std::to_string(d.size()) + " bytes.");
        const auto options = torch::TensorOptions().dtype(dtype).device(torch::kCPU);
        if (numel == 0) return torch::empty({0}, options);
        // torch.save aligns records to 64 bytes; a hand-made zip may not: copy then.
        if (reinterpret_cast<uintptr_t>(d.data()) % elem != 0) {
            auto t = torch::empty({numel}, options);
            std::memcpy(t.data_ptr(), d.data(), static_cast<size_t>(numel) * elem);
            return t;
        }
        auto keep = mapping;  // the views keep the mapping alive (read-only: PROT_READ)
        return torch::from_blob(const_cast<char*>(d.data()), {numel}, [keep](void*) mutable { keep.reset(); },
                                options);
    };
    out.globals = torchPickleGlobals(pkl, file);
    out.root = readTorchPickle(pkl, file, loader);
    return out;
}

std::string quoted(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

bool readHead(const std::filesystem::path& path, unsigned char* buf, size_t n, size_t& got)
{
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    f.read(reinterpret_cast<char*>(buf), static_cast<std::streamsize>(n));
    got = static_cast<size_t>(f.gcount());
    return true;
}

}  // namespace

bool looksLikeTorchZip(const std::filesystem::path& path)
{
    unsigned char b[4];
    size_t got = 0;
    return readHead(path, b, 4, got) && got == 4 && le(b, 4) == 0x04034b50;
}

bool looksLikeLegacyTorchFile(const std::filesystem::path& path)
{
    unsigned char b[262];
    size_t got = 0;
    return readHead(path, b, sizeof b, got) && isLegacyStart(b, got);
}

TorchCheckpoint readTorchCheckpoint(const std::filesystem::path& path)
{
    const std::string file = "torch checkpoint " + quoted(path);
    return parse(MappedFile::map(path, file), file);
}

TorchCheckpoint readTorchCheckpointBytes(std::string bytes, const std::string& what)
{
    return parse(MappedFile::fromBytes(std::move(bytes)), "torch checkpoint '" + what + "'");
}

std::map<std::string, torch::Tensor> torchStateDict(const PickleValue& root, const std::string& what,
                                                    std::vector<std::string>* skipped)
{
    const PickleValue* d = &root;
    std::string path;
    while (d->isDict()) {
        const PickleValue* inner = d->find("state_dict");
        if (!inner) break;
        path += "['state_dict']";
        d = inner;
    }
    if (!d->isDict())
        throw WeightsError("The checkpoint " + what + " holds a " + std::string(d->kindName()) +
                           (path.empty() ? std::string() : " at " + path) + ", not a dict of tensors.");
    std::map<std::string, torch::Tensor> out;
    for (size_t k = 0; k < d->keys.size(); ++k) {
        const PickleValue& key = d->keys[k];
        const PickleValue& v = d->items[k];
        if (key.kind == PickleValue::Kind::String && v.isTensor()) {
            out[key.text] = v.tensor;
        } else if (skipped) {
            skipped->push_back(key.kind == PickleValue::Kind::String  ? key.text
                               : key.kind == PickleValue::Kind::Int ? std::to_string(key.integer)
                                                                    : std::string("<") + key.kindName() + ">");
        }
    }
    return out;
}

std::map<std::string, torch::Tensor> loadTorchStateDict(const std::filesystem::path& path,
                                                        std::vector<std::string>* skipped)
{
    const TorchCheckpoint c = readTorchCheckpoint(path);
    return torchStateDict(c.root, quoted(path), skipped);
}

}  // namespace inpaint::models
