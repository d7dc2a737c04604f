// Tests of models/io/torch_checkpoint + pickle_reader: the reference .ckpt gives exactly the
// tensors of its .safetensors twin, the malicious .ckpt is refused without running anything, the
// A1111 embedding .pt reads with its nested values, and hand-made zips/pickles (written here from
// bytes; no Python at test time) cover the other opcodes and every refusal.
#include "models/errors.h"
#include "models/io/pickle_reader.h"
#include "models/io/safetensors.h"
#include "models/io/torch_checkpoint.h"
#include "tests/common/reference.h"

#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

fs::path tempDir()
{
    static const inpaint::test::ScratchDir d("inpaint_test_torch_checkpoint");
    return d.path();
}

fs::path singleFile(const std::string& name) { return inpaint::test::referenceDir() / "models" / "single-file" / name; }

std::string readAll(const fs::path& p)
{
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

fs::path writeFile(const std::string& name, const std::string& bytes)
{
    const auto p = tempDir() / name;
    std::ofstream o(p, std::ios::binary | std::ios::trunc);
    o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return p;
}

std::string le(uint64_t v, int n)
{
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return s;
}

uint32_t crc32(const std::string& s)
{
    uint32_t c = 0xffffffffu;
    for (const char ch : s) {
        c ^= static_cast<uint8_t>(ch);
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffu;
}

struct ZipItem {
    std::string name;
    std::string data;
    uint16_t method = 0;  // 0 stored; 8 claims deflate (the bytes are not really compressed)
};

// A zip of stored entries, as torch.save writes (without its 64-byte alignment padding).
std::string makeZip(const std::vector<ZipItem>& items)
{
    std::string out, dir;
    for (const auto& it : items) {
        const uint64_t offset = out.size();
        const uint32_t crc = crc32(it.data);
        out += le(0x04034b50, 4) + le(20, 2) + le(0, 2) + le(it.method, 2) + le(0, 4) + le(crc, 4) +
               le(it.data.size(), 4) + le(it.data.size(), 4) + le(it.name.size(), 2) + le(0, 2) + it.name + it.data;
        dir += le(0x02014b50, 4) + le(20, 2) + le(20, 2) + le(0, 2) + le(it.method, 2) + le(0, 4) + le(crc, 4) +
               le(it.data.size(), 4) + le(it.data.size(), 4) + le(it.name.size(), 2) + le(0, 2) + le(0, 2) +
               le(0, 2) + le(0, 2) + le(0, 4) + le(offset, 4) + it.name;
    }
    const uint64_t dirOffset = out.size();
    out += dir;
    out += le(0x06054b50, 4) + le(0, 2) + le(0, 2) + le(items.size(), 2) + le(items.size(), 2) + le(dir.size(), 4) +
           le(dirOffset, 4) + le(0, 2);
    return out;
}

// Pickle bytes, opcode by opcode.
struct Pickle {
    std::string b;
    Pickle& op(unsigned c)
    {
        b.push_back(static_cast<char>(c));
        return *this;
    }
    Pickle& raw(const std::string& s)
    {
        b += s;
        return *this;
    }
    Pickle& proto(int v) { return op(0x80).op(static_cast<unsigned>(v)); }
    Pickle& str(const std::string& s) { return op('X').raw(le(s.size(), 4) + s); }
    Pickle& shortStr(const std::string& s) { return op(0x8c).op(static_cast<unsigned>(s.size())).raw(s); }
    Pickle& int32(int32_t v) { return op('J').raw(le(static_cast<uint32_t>(v), 4)); }
    Pickle& global(const std::string& module, const std::string& name) { return op('c').raw(module + "\n" + name + "\n"); }
    Pickle& mark() { return op('('); }
    Pickle& tuple() { return op('t'); }
    Pickle& emptyTuple() { return op(')'); }
    Pickle& emptyDict() { return op('}'); }
    Pickle& reduce() { return op('R'); }
    Pickle& setitem() { return op('s'); }
    Pickle& stop() { return op('.'); }
    // _rebuild_tensor_v2(<storage type, key, numel>, offset, sizes, strides, False, OrderedDict())
    Pickle& tensor(const std::string& storageType, const std::string& key, int64_t numel, int64_t offset,
                   const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides)
    {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").int32(static_cast<int32_t>(numel)).tuple();
        op('Q').int32(static_cast<int32_t>(offset));
        mark();
        for (auto s : sizes) int32(static_cast<int32_t>(s));
        tuple().mark();
        for (auto s : strides) int32(static_cast<int32_t>(s));
        tuple().op(0x89).global("collections", "OrderedDict").emptyTuple().reduce();
        return tuple().reduce();
    }
};

// {'w': tensor on storage '0'} with the given view, and a record of `recordBytes` bytes.
std::string oneTensorFile(int64_t numel, int64_t offset, const std::vector<int64_t>& sizes,
                          const std::vector<int64_t>& strides, size_t recordBytes)
{
    Pickle p;
    p.proto(2).emptyDict().str("w").tensor("FloatStorage", "0", numel, offset, sizes, strides).setitem().stop();
    return makeZip({{"arch/data.pkl", p.b}, {"arch/data/0", std::string(recordBytes, '\0')}, {"arch/version", "3\n"}});
}

// A zip holding just this pickle.
std::string pickleOnly(const std::string& pkl) { return makeZip({{"x/data.pkl", pkl}}); }

std::string floats(const std::vector<float>& v)
{
    std::string s(v.size() * 4, '\0');
    std::memcpy(s.data(), v.data(), s.size());
    return s;
}

bool bitEqual(const torch::Tensor& a, const torch::Tensor& b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
    const auto ca = a.contiguous(), cb = b.contiguous();
    return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reference files

TEST_CASE(testTinySdCkptEqualsSafetensors)
{
    const auto ckpt = readTorchCheckpoint(singleFile("tiny-sd.ckpt"));
    EXPECT_EQ(ckpt.rootFolder, std::string("tiny-sd"));
    REQUIRE(ckpt.root.isDict());
    EXPECT_EQ(ckpt.root.keyStrings().size(), 1u);
    EXPECT(ckpt.root.find("state_dict") != nullptr);
    // The globals of the reference's static scan (INDEX-single-file.md).
    for (const char* g : {"collections.OrderedDict", "torch.FloatStorage", "torch.LongStorage", "torch._utils._rebuild_tensor_v2"})
        EXPECT_MSG(std::find(ckpt.globals.begin(), ckpt.globals.end(), g) != ckpt.globals.end(), g);

    std::vector<std::string> skipped;
    const auto sd = torchStateDict(ckpt.root, "tiny-sd.ckpt", &skipped);
    EXPECT(skipped.empty());
    const auto st = loadSafetensors(singleFile("tiny-sd.safetensors"));
    REQUIRE(!st.empty());
    EXPECT_EQ(sd.size(), st.size());
    int same = 0, int64s = 0;
    for (const auto& [name, t] : st) {
        const auto it = sd.find(name);
        EXPECT_MSG(it != sd.end(), "ckpt lacks " << name);
        if (it == sd.end()) continue;
        EXPECT_MSG(bitEqual(it->second, t), name << ": " << it->second.scalar_type() << it->second.sizes() << " vs "
                                                << t.scalar_type() << t.sizes());
        same += bitEqual(it->second, t);
        int64s += t.scalar_type() == torch::kInt64;
    }
    std::cout << "  tiny-sd.ckpt: " << same << " of " << st.size() << " tensors bit-equal (" << int64s << " int64)"
              << std::endl;
    EXPECT_EQ(same, static_cast<int>(st.size()));
    EXPECT(int64s >= 1);  // position_ids: a LongStorage
    EXPECT_EQ(sd.size(), 388u);  // 208 UNet + 124 VAE + 52 text encoder + position_ids + 3 DDPM buffers

    // The views outlive the checkpoint object (they keep the mapping) and are zero-copy.
    const auto again = loadTorchStateDict(singleFile("tiny-sd.ckpt"));
    const auto& w = again.at("model.diffusion_model.time_embed.0.weight");
    EXPECT(bitEqual(w, st.at("model.diffusion_model.time_embed.0.weight")));
    EXPECT_EQ(reinterpret_cast<uintptr_t>(w.data_ptr()) % 64, 0u);  // a 64-byte aligned record of the mapping
}

TEST_CASE(testMaliciousCkptRefusedNothingRun)
{
    const fs::path marker = "/tmp/sd-reference-malicious-ckpt-WAS-EXECUTED";
    std::error_code ec;
    fs::remove(marker, ec);
    REQUIRE(!fs::exists(marker));
    EXPECT(looksLikeTorchZip(singleFile("malicious.ckpt")));
    EXPECT_THROWS(readTorchCheckpoint(singleFile("malicious.ckpt")), FormatError, "Refused global 'posix.system'");
    EXPECT_THROWS(loadTorchStateDict(singleFile("malicious.ckpt")), FormatError, "only tensor data is read");
    EXPECT(!fs::exists(marker));
}

TEST_CASE(testEmbeddingPt)
{
    const auto pt = readTorchCheckpoint(inpaint::test::referenceDir() / "models" / "embeddings" / "tiny-token.pt");
    EXPECT_EQ(pt.rootFolder, std::string("tiny-token"));
    REQUIRE(pt.root.isDict());
    const std::vector<std::string> keys = {"string_to_token", "string_to_param", "name", "step"};
    EXPECT(pt.root.keyStrings() == keys);
    const PickleValue* tok = pt.root.find("string_to_token");
    REQUIRE(tok && tok->isDict());
    REQUIRE(tok->find("*"));
    EXPECT(tok->find("*")->kind == PickleValue::Kind::Int);
    EXPECT_EQ(tok->find("*")->integer, 265);
    const PickleValue* param = pt.root.find("string_to_param");
    REQUIRE(param && param->isDict() && param->find("*"));
    const PickleValue& emb = *param->find("*");
    REQUIRE(emb.isTensor());
    EXPECT_EQ(emb.tensor.scalar_type(), torch::kFloat32);
    EXPECT(emb.tensor.sizes() == torch::IntArrayRef({2, 16}));  // D = the tiny text encoder's hidden size
    EXPECT(torch::isfinite(emb.tensor).all().item<bool>());
    EXPECT(emb.tensor.abs().sum().item<float>() > 0.f);
    EXPECT(pt.root.find("name") && pt.root.find("name")->text == "tiny-token");
    EXPECT(pt.root.find("step") && pt.root.find("step")->integer == 100);
    // As a state dict: only the top-level tensors (none here); the rest is reported as skipped.
    std::vector<std::string> skipped;
    EXPECT(torchStateDict(pt.root, "tiny-token.pt", &skipped).empty());
    EXPECT(skipped == keys);
}

TEST_CASE(testSniffing)
{
    EXPECT(looksLikeTorchZip(singleFile("tiny-sd.ckpt")));
    EXPECT(!looksLikeLegacyTorchFile(singleFile("tiny-sd.ckpt")));
    EXPECT(!looksLikeTorchZip(singleFile("tiny-sd.safetensors")));
    EXPECT(!looksLikeLegacyTorchFile(singleFile("tiny-sd.safetensors")));
    EXPECT(!looksLikeTorchZip(tempDir() / "does-not-exist.ckpt"));
    const auto legacy = writeFile("legacy.pt", std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15));
    EXPECT(looksLikeLegacyTorchFile(legacy));
    EXPECT(!looksLikeTorchZip(legacy));
    // A pickle that is not torch's magic number, and a safetensors header of 640 bytes (0x80 0x02...).
    EXPECT(!looksLikeLegacyTorchFile(writeFile("plain.pkl", std::string("\x80\x02}.", 4))));
    EXPECT(!looksLikeLegacyTorchFile(writeFile("st640.safetensors", std::string("\x80\x02\0\0\0\0\0\0{", 9))));
}

// ---------------------------------------------------------------------------------------------
// Hand-made files that read

TEST_CASE(testProtocol4OpcodesAndViews)
{
    // {'a': <3x2 float view, strides (1, 3), offset 1>, 'p': Parameter(<half [2]>), 'n': [None, True, -5, 2.5, (1, 'x')],
    //  'big': -2**40} with FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL, LONG1, BINFLOAT, BINGET.
    Pickle r;
    r.proto(4).op(0x95).raw(le(0, 8)).emptyDict().op(0x94).mark();                         // memo 0: root
    r.shortStr("a").op(0x94);                                                                 // memo 1
    r.shortStr("torch._utils").op(0x94).shortStr("_rebuild_tensor_v2").op(0x94).op(0x93).op(0x94);  // 2, 3, 4
    r.mark();
    r.mark().shortStr("storage").op(0x94).shortStr("torch").shortStr("FloatStorage").op(0x93).shortStr("0")  // 5
        .shortStr("cpu").op(0x94).op('K').op(7).tuple().op('Q');                             // 6: 'cpu'
    r.op('K').op(1).op('K').op(3).op('K').op(2).op(0x86).op('K').op(1).op('K').op(3).op(0x86).op(0x89);
    r.shortStr("collections").shortStr("OrderedDict").op(0x93).op(0x94).emptyTuple().reduce();  // 7: OrderedDict
    r.tuple().reduce();
    r.shortStr("p").global("torch._utils", "_rebuild_parameter");
    r.op('h').op(4).mark();  // _rebuild_tensor_v2 through the memo, then its arguments
    r.mark().op('h').op(5).shortStr("torch").shortStr("HalfStorage").op(0x93).shortStr("1").op('h').op(6)
        .op('K').op(2).tuple().op('Q');
    r.op('K').op(0).op('K').op(2).op(0x85).op('K').op(1).op(0x85).op(0x89).op('h').op(7).emptyTuple().reduce();
    r.tuple().reduce();
    r.op(0x88).op('h').op(7).emptyTuple().reduce().op(0x87).reduce();
    r.shortStr("n").op(']').mark().op('N').op(0x88).op(0x8a).op(1).op(0xfb).op('G')
        .raw(std::string("\x40\x04\x00\x00\x00\x00\x00\x00", 8)).op('K').op(1).shortStr("x").op(0x86).op('e');
    r.shortStr("big").op(0x8a).op(6).raw(le(static_cast<uint64_t>(-(int64_t(1) << 40)), 6));
    r.op('u').stop();

    const std::vector<float> values = {0, 1, 2, 3, 4, 5, 6};
    const uint16_t halfs[2] = {0x3c00, 0xc000};  // 1.0, -2.0
    const auto bytes = makeZip({{"archive/data.pkl", r.b},
                                {"archive/data/0", floats(values)},
                                {"archive/data/1", std::string(reinterpret_cast<const char*>(halfs), 4)},
                                {"archive/version", "3\n"}});
    const auto c = readTorchCheckpoint(writeFile("p4.ckpt", bytes));
    EXPECT_EQ(c.rootFolder, std::string("archive"));
    const std::vector<std::string> keys = {"a", "p", "n", "big"};
    EXPECT(c.root.keyStrings() == keys);
    const auto& a = c.root.find("a")->tensor;
    REQUIRE(a.defined());
    EXPECT(a.sizes() == torch::IntArrayRef({3, 2}));
    // element (i, j) = storage[1 + i*1 + j*3]
    EXPECT(torch::equal(a, torch::tensor({{1.f, 4.f}, {2.f, 5.f}, {3.f, 6.f}})));
    const auto& ph = c.root.find("p")->tensor;
    REQUIRE(ph.defined());
    EXPECT_EQ(ph.scalar_type(), torch::kFloat16);
    EXPECT(torch::equal(ph.to(torch::kFloat32), torch::tensor({1.f, -2.f})));
    const PickleValue& n = *c.root.find("n");
    REQUIRE(n.kind == PickleValue::Kind::List && n.items.size() == 5);
    EXPECT(n.items[0].kind == PickleValue::Kind::None);
    EXPECT(n.items[1].kind == PickleValue::Kind::Bool && n.items[1].boolean);
    EXPECT(n.items[2].kind == PickleValue::Kind::Int && n.items[2].integer == -5);
    EXPECT(n.items[3].kind == PickleValue::Kind::Float && n.items[3].real == 2.5);
    EXPECT(n.items[4].kind == PickleValue::Kind::Tuple && n.items[4].items.size() == 2 &&
           n.items[4].items[1].text == "x");
    EXPECT_EQ(c.root.find("big")->integer, -(int64_t(1) << 40));
    std::vector<std::string> skipped;
    const auto sd = torchStateDict(c.root, "p4.ckpt", &skipped);
    EXPECT_EQ(sd.size(), 2u);
    EXPECT(skipped == std::vector<std::string>({"n", "big"}));
    // The same bytes through the in-memory entry point.
    EXPECT(torch::equal(readTorchCheckpointBytes(bytes, "mem").root.find("a")->tensor, a));
}

TEST_CASE(testParameterDictEmbeddingAndNestedStateDict)
{
    // {'string_to_param': ParameterDict({'*': Parameter}) as pickled by nn.Module (NEWOBJ + BUILD
    //  with a state holding set() and OrderedDicts), 'state_dict': {'state_dict': {'w': t, 'step': 3}}}
    Pickle p;
    p.proto(2).emptyDict().mark();
    p.str("string_to_param").global("torch.nn.modules.container", "ParameterDict").emptyTuple().op(0x81);
    p.emptyDict().mark();
    p.str("training").op(0x88);
    p.str("_parameters").global("collections", "OrderedDict").emptyTuple().reduce().mark();
    p.str("*").global("torch._utils", "_rebuild_parameter").mark();
    p.tensor("FloatStorage", "0", 4, 0, {2, 2}, {2, 1}).op(0x88).global("collections", "OrderedDict").emptyTuple()
        .reduce().tuple().reduce();
    p.op('u');
    p.str("_non_persistent_buffers_set").global("__builtin__", "set").op(']').op(0x85).reduce();
    p.str("_keys").emptyDict().str("*").op('N').setitem();
    p.op('u').op('b');  // BUILD
    p.str("state_dict").emptyDict().str("state_dict").emptyDict().mark();
    p.str("w").tensor("FloatStorage", "0", 4, 2, {2}, {1}).str("step").op('K').op(3).op('u').setitem();
    p.op('u').stop();
    const auto c = readTorchCheckpointBytes(
        makeZip({{"emb/data.pkl", p.b}, {"emb/data/0", floats({1, 2, 3, 4})}}), "paramdict.pt");
    const PickleValue* params = c.root.find("string_to_param");
    REQUIRE(params && params->isDict());
    EXPECT(params->keyStrings() == std::vector<std::string>({"*"}));
    EXPECT(torch::equal(params->find("*")->tensor, torch::tensor({{1.f, 2.f}, {3.f, 4.f}})));
    std::vector<std::string> skipped;
    const auto sd = torchStateDict(c.root, "paramdict.pt", &skipped);
    REQUIRE(sd.size() == 1u);
    EXPECT(torch::equal(sd.at("w"), torch::tensor({3.f, 4.f})));
    EXPECT(skipped == std::vector<std::string>({"step"}));
    // The two tensors share the storage record (no copy).
    EXPECT_EQ(static_cast<const float*>(sd.at("w").data_ptr()),
              static_cast<const float*>(params->find("*")->tensor.data_ptr()) + 2);
}

TEST_CASE(testPythonPickledStandIns)
{
    // tests/data/ckpt (see its INDEX.md): pickled by Python's own pickle module at protocols 2 and 4.
    const fs::path dir = fs::path(INPAINT_TEST_DATA_DIR) / "ckpt";
    std::string raw0;
    for (int i = 0; i < 64; ++i) raw0.push_back(static_cast<char>(i));
    const auto f32 = torch::from_blob(raw0.data(), {16}, torch::kFloat32).clone();
    const auto f16 = torch::from_blob(raw0.data(), {4}, torch::kFloat16).clone();
    int files = 0;
    for (const char* name : {"standin-p2.ckpt", "standin-p4.ckpt"}) {
        const auto c = readTorchCheckpoint(dir / name);
        ++files;
        EXPECT_EQ(c.rootFolder, std::string(name == std::string("standin-p2.ckpt") ? "archive" : "standin-p4"));
        EXPECT_MSG(std::find(c.globals.begin(), c.globals.end(), "torch._utils._rebuild_tensor_v2") != c.globals.end(),
                   name << ": the static scan missed _rebuild_tensor_v2");
        EXPECT(c.root.find("epoch") && c.root.find("epoch")->integer == 3);
        EXPECT(c.root.find("global_step") && c.root.find("global_step")->integer == 1200);
        EXPECT(c.root.find("lr") && c.root.find("lr")->real == 2.5e-4);
        EXPECT(c.root.find("note") && c.root.find("note")->kind == PickleValue::Kind::None);
        const PickleValue* flags = c.root.find("flags");
        EXPECT(flags && flags->kind == PickleValue::Kind::List && flags->items.size() == 2 && flags->items[0].boolean &&
               !flags->items[1].boolean);
        std::vector<std::string> skipped;
        const auto sd = torchStateDict(c.root, name, &skipped);
        EXPECT(skipped.empty());  // the non-tensor entries are beside 'state_dict', not in it
        REQUIRE(sd.size() == 6u);
        EXPECT(torch::equal(sd.at("w"), f32.reshape({4, 4})));
        EXPECT(torch::equal(sd.at("w.t"), f32.reshape({4, 4}).t()));
        EXPECT(!sd.at("w.t").is_contiguous());
        EXPECT(torch::equal(sd.at("b"), f32.slice(0, 12, 16)));
        EXPECT(sd.at("h").scalar_type() == torch::kFloat16);
        EXPECT(torch::equal(sd.at("h"), f16.slice(0, 1, 4)));
        EXPECT(sd.at("ids").scalar_type() == torch::kInt64);
        EXPECT(torch::equal(sd.at("ids"), torch::zeros({1, 3}, torch::kInt64)));
        EXPECT_EQ(sd.at("scalar").dim(), 0);
        EXPECT(torch::equal(sd.at("scalar"), f32[5]));
    }
    for (const char* name : {"standin-embedding-p2.pt", "standin-embedding-p4.pt"}) {
        const auto c = readTorchCheckpoint(dir / name);
        ++files;
        const PickleValue* params = c.root.find("string_to_param");
        REQUIRE(params && params->isDict());
        EXPECT(params->keyStrings() == std::vector<std::string>({"*"}));
        REQUIRE(params->find("*") && params->find("*")->isTensor());
        EXPECT(torch::equal(params->find("*")->tensor, f32.reshape({2, 8})));
        EXPECT(c.root.find("string_to_token") && c.root.find("string_to_token")->find("*") &&
               c.root.find("string_to_token")->find("*")->integer == 265);
        EXPECT(c.root.find("name") && c.root.find("name")->text == "tok");
        EXPECT(std::find(c.globals.begin(), c.globals.end(), "torch.nn.modules.container.ParameterDict") !=
               c.globals.end());
    }
    EXPECT_EQ(files, 4);
}

// ---------------------------------------------------------------------------------------------
// Refusals

TEST_CASE(testBadZips)
{
    const std::string ckpt = readAll(singleFile("tiny-sd.ckpt"));
    REQUIRE(ckpt.size() > 1000000);
    EXPECT_THROWS(readTorchCheckpoint(writeFile("half.ckpt", ckpt.substr(0, ckpt.size() / 2))), FormatError,
                  "truncated");
    EXPECT_THROWS(readTorchCheckpoint(writeFile("tail-cut.ckpt", ckpt.substr(0, ckpt.size() - 10))), FormatError,
                  "truncated");
    EXPECT_THROWS(readTorchCheckpoint(writeFile("text.ckpt", "this is not a checkpoint\n")), FormatError,
                  "not a zip archive");
    EXPECT_THROWS(readTorchCheckpoint(writeFile("empty.ckpt", "")), FormatError, "not a zip archive");
    EXPECT_THROWS(readTorchCheckpoint(tempDir() / "missing.ckpt"), FormatError, "Cannot open");
    EXPECT_THROWS(readTorchCheckpoint(
                      writeFile("legacy.ckpt", std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15))),
                  FormatError, "legacy torch format");

    Pickle p;
    p.proto(2).emptyDict().stop();
    EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", p.b}, {"b/data.pkl", p.b}}), "two.ckpt"), FormatError,
                  "2 data.pkl records");
    EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/other.pkl", p.b}}), "none.ckpt"), FormatError, "without a");
    EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", p.b}, {"a/constants.pkl", p.b}}), "jit.pt"),
                  FormatError, "TorchScript");
    EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", p.b}, {"a/data.pkl", p.b}}), "dup.ckpt"),
                  FormatError, "two zip entries named");
    EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", p.b}, {"a/byteorder", "big"}}), "be.ckpt"),
                  FormatError, "byte order");
    // A record whose checksum does not match (a flipped byte of data.pkl).
    {
        auto z = makeZip({{"a/data.pkl", p.b}});
        z[30 + 10 + 1] ^= 0x01;  // inside data.pkl, after the 30-byte header and 10-byte name
        EXPECT_THROWS(readTorchCheckpointBytes(z, "crc.ckpt"), FormatError, "checksum");
    }
    // A deflated storage record.
    {
        Pickle q;
        q.proto(2).emptyDict().str("w").tensor("FloatStorage", "0", 1, 0, {1}, {1}).setitem().stop();
        EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", q.b}, {"a/data/0", "abcd", 8}}), "deflate.ckpt"),
                      FormatError, "compressed record 'a/data/0'");
        EXPECT_THROWS(readTorchCheckpointBytes(makeZip({{"a/data.pkl", q.b}}), "norecord.ckpt"), FormatError,
                      "no record 'a/data/0'");
    }
    // The ok versions of the same files read (the refusals above are not blanket ones).
    EXPECT(readTorchCheckpointBytes(makeZip({{"a/data.pkl", p.b}, {"a/byteorder", "little"}}), "ok.ckpt").root.isDict());
}

TEST_CASE(testTensorBounds)
{
    // 16 floats = 64 bytes.
    EXPECT(readTorchCheckpointBytes(oneTensorFile(16, 0, {4, 4}, {4, 1}, 64), "ok").root.find("w")->tensor.numel() == 16);
    EXPECT(readTorchCheckpointBytes(oneTensorFile(16, 15, {1}, {1}, 64), "ok").root.find("w")->tensor.item<float>() == 0.f);
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 20, {1}, {1}, 64), "offset.ckpt"), FormatError,
                  "outside its storage");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 1, {4, 4}, {4, 1}, 64), "offset2.ckpt"), FormatError,
                  "reaches element 16, outside its storage of 16 elements");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 0, {4, 4}, {5, 1}, 64), "stride.ckpt"), FormatError,
                  "outside its storage");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 0, {4, -4}, {4, 1}, 64), "negsize.ckpt"), FormatError,
                  "negative size or stride");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(17, 0, {16}, {1}, 64), "numel.ckpt"), FormatError,
                  "holds only 64 bytes");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 0, {4, 4}, {4}, 64), "rank.ckpt"), FormatError,
                  "2 sizes but 1 strides");
    EXPECT_THROWS(readTorchCheckpointBytes(
                      oneTensorFile(16, 0, {0x7fffffff, 0x7fffffff, 0x7fffffff}, {0x7fffffff, 0x7fffffff, 1}, 64),
                      "huge.ckpt"),
                  FormatError, "too many elements");
    EXPECT_THROWS(readTorchCheckpointBytes(oneTensorFile(16, 0, {0x7fffffff, 0x7fffffff}, {0x7fffffff, 1}, 64), "big.ckpt"),
                  FormatError, "outside its storage");
    // An empty view is fine anywhere inside (or at the end of) the storage.
    EXPECT(readTorchCheckpointBytes(oneTensorFile(16, 16, {0, 3}, {3, 1}, 64), "empty").root.find("w")->tensor.numel() == 0);
}

TEST_CASE(testBadPickles)
{
    auto read = [](const std::string& pkl) { return readTorchCheckpointBytes(pickleOnly(pkl), "bad.ckpt"); };
    EXPECT_THROWS(read(std::string("\x80\x02}\xff.", 5)), FormatError, "unknown opcode byte 0xff at offset 3");
    EXPECT_THROWS(read(std::string("\x80\x02(i__main__\nX\n.", 16)), FormatError, "unsupported opcode INST (0x69) at offset 3");
    EXPECT_THROWS(read(std::string("\x80\x09}.", 4)), FormatError, "protocol 9");
    EXPECT_THROWS(read(std::string("\x80\x02}", 3)), FormatError, "no STOP");
    EXPECT_THROWS(read(std::string("\x80\x02X\xff\xff\x00\x00" "ab.", 10)), FormatError, "truncated");
    EXPECT_THROWS(read(std::string("\x80\x02\x8a\x09", 4) + std::string(9, '\1') + "."), FormatError, "more than 64 bits");
    EXPECT_THROWS(read(std::string("\x80\x02h\x05.", 5)), FormatError, "memo index 5 was never stored");
    EXPECT_THROWS(read(std::string("\x80\x02s.", 4)), FormatError, "stack underflow");
    EXPECT_THROWS(read(std::string("\x80\x02}(K\x01u(.", 9)), FormatError, "odd number");
    EXPECT_THROWS(read(std::string("\x80\x02}(\x86.", 6)), FormatError, "stack underflow");  // pops through a MARK
    EXPECT_THROWS(read(std::string("\x80\x02K\x01)R.", 7)), FormatError, "REDUCE calls a int");
    EXPECT_THROWS(read(std::string("\x80\x02]K\x01K\x02s.", 9)), FormatError, "SETITEM on a list");
    // Refused globals, by GLOBAL and by STACK_GLOBAL; the static scan refuses before any REDUCE.
    EXPECT_THROWS(read(Pickle().proto(2).global("builtins", "eval").str("1").op(0x85).reduce().stop().b), FormatError,
                  "Refused global 'builtins.eval'");
    EXPECT_THROWS(read(Pickle().proto(4).shortStr("posix").shortStr("system").op(0x93).stop().b), FormatError,
                  "Refused global 'posix.system'");
    EXPECT_THROWS(read(Pickle().proto(4).shortStr("posix").op(0x94).op(']').op('0').op('h').op(0).shortStr("system")
                           .op(0x93).stop().b),
                  FormatError, "Refused global 'posix.system'");
    // The scan comes first: a REDUCE that would fail (or run) before the GLOBAL is never reached.
    EXPECT_THROWS(read(std::string("\x80\x02K\x01)R", 6) + "cposix\nsystem\n."), FormatError,
                  "Refused global 'posix.system'");
    // A storage type where a function is expected, and a function where a storage type is.
    EXPECT_THROWS(read(Pickle().proto(2).global("torch", "FloatStorage").emptyTuple().reduce().stop().b), FormatError,
                  "cannot be called");
    EXPECT_THROWS(read(Pickle().proto(2).mark().str("storage").global("collections", "OrderedDict").str("0").str("cpu")
                           .op('K').op(1).tuple().op('Q').stop().b),
                  FormatError, "not a torch storage class");
    EXPECT_THROWS(read(Pickle().proto(2).global("collections", "OrderedDict").stop().b), FormatError,
                  "holds a global 'collections.OrderedDict'");
    // Nesting: 200 lists inside each other; a list that contains itself.
    {
        Pickle deep;
        deep.proto(2);
        for (int i = 0; i < 200; ++i) deep.op(']');
        for (int i = 0; i < 199; ++i) deep.op('a');
        EXPECT_THROWS(read(deep.stop().b), FormatError, "deeper than 100");
        EXPECT_THROWS(read(std::string("\x80\x02]q\x00h\x00" "a.", 9)), FormatError, "deeper than 100");
    }
    // Sharing one list 2^40 times over (each level appends the previous one twice).
    {
        Pickle wide;
        wide.proto(2).op(']');
        for (int i = 0; i < 40; ++i) wide.op('q').op(0).op(']').op('h').op(0).op('a').op('h').op(0).op('a');
        EXPECT_THROWS(read(wide.stop().b), FormatError, "expands to more than");
    }
}

TEST_MAIN()
