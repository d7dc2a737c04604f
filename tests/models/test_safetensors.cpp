// Tests of models/io/safetensors: round trip of every dtype, zero-copy views, unaligned data,
// the golden file of the reference set, and every malformed-file case of issue 3.
#include "models/errors.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using namespace inpaint::models;

namespace {

// This process's scratch folder, removed at exit.
fs::path tempDir()
{
    static const inpaint::test::ScratchDir d("inpaint_test_safetensors");
    return d.path();
}

void writeBytes(const fs::path& p, const std::string& bytes)
{
    std::ofstream o(p, std::ios::binary | std::ios::trunc);
    o.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t n)
{
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
}

// A file with the given header text and `dataBytes` bytes of data (values 0..255 repeating).
fs::path makeFile(const std::string& name, const std::string& header, size_t dataBytes)
{
    std::string bytes = le64(header.size()) + header;
    for (size_t i = 0; i < dataBytes; ++i) bytes.push_back(static_cast<char>(i & 0xff));
    const auto p = tempDir() / name;
    writeBytes(p, bytes);
    return p;
}

TEST_CASE(testRoundTrip)
{
    std::map<std::string, torch::Tensor> in;
    in["f64"] = torch::randn({3, 2}, torch::kFloat64);
    in["f32"] = torch::randn({2, 3, 4});
    in["f16"] = torch::randn({5}).to(torch::kFloat16);
    in["bf16"] = torch::randn({2, 2}).to(torch::kBFloat16);
    in["i64"] = torch::arange(-3, 4, torch::kInt64);
    in["i32"] = torch::arange(0, 6, torch::kInt32).reshape({2, 3});
    in["i16"] = torch::tensor({-7, 300}, torch::kInt16);
    in["i8"] = torch::tensor({-128, 127, 0}, torch::kInt8);
    in["u8"] = torch::tensor({0, 255, 17}, torch::kUInt8);
    in["bool"] = torch::tensor({true, false, true});
    in["scalar"] = torch::tensor(2.5f);
    in["empty"] = torch::zeros({0, 4});
    in["strided"] = torch::arange(12, torch::kFloat32).reshape({3, 4}).t();  // non-contiguous input
    const auto p = tempDir() / "roundtrip.safetensors";
    saveSafetensors(p, in, {{"format", "pt"}, {"note", "test"}});

    // Header padded so the data area is 8-byte aligned.
    {
        std::ifstream f(p, std::ios::binary);
        unsigned char len[8];
        f.read(reinterpret_cast<char*>(len), 8);
        uint64_t n = 0;
        for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
        EXPECT_EQ((8 + n) % 8, 0u);
    }
    // No temp file left beside the output.
    int files = 0;
    for (const auto& e : fs::directory_iterator(tempDir()))
        if (e.path().filename().string().rfind("roundtrip.safetensors", 0) == 0) ++files;
    EXPECT_EQ(files, 1);

    const auto f = SafetensorsFile::open(p);
    EXPECT_EQ(f->names().size(), in.size());
    EXPECT_EQ(f->metadata().at("note"), std::string("test"));
    EXPECT_EQ(f->info("bf16").dtype, std::string("BF16"));
    EXPECT_EQ(f->info("bool").dtype, std::string("BOOL"));
    EXPECT_EQ(f->info("i16").dtype, std::string("I16"));
    for (const auto& [name, t] : in) {
        const auto r = f->tensor(name);
        EXPECT_MSG(r.scalar_type() == t.scalar_type(), name);
        EXPECT_MSG(r.sizes() == t.sizes(), name);
        EXPECT_MSG(torch::equal(r, t), name);
    }
    EXPECT(f->contains("f32"));
    EXPECT(!f->contains("nope"));
    EXPECT_THROWS(f->info("nope"), FormatError, "nope");

    const auto all = loadSafetensors(p);
    EXPECT_EQ(all.size(), in.size());
    EXPECT(torch::equal(all.at("f32"), in.at("f32")));

    // Overwriting an existing file works (rename over it).
    saveSafetensors(p, {{"x", torch::ones({2})}});
    EXPECT_EQ(loadSafetensors(p).size(), 1u);

    // Unsupported dtype is refused on save, naming the tensor.
    EXPECT_THROWS(saveSafetensors(tempDir() / "c.safetensors", {{"cplx", torch::zeros({2}, torch::kComplexFloat)}}),
                  FormatError, "cplx");
}

TEST_CASE(testZeroCopyAndLifetime)
{
    const auto p = tempDir() / "view.safetensors";
    const auto src = torch::arange(64, torch::kFloat32);
    saveSafetensors(p, {{"a", src}, {"b", src * 2}});
    torch::Tensor view;
    const void* mappedData = nullptr;
    {
        const auto f = SafetensorsFile::open(p);
        view = f->tensor("b");
        const auto view2 = f->tensor("b");
        mappedData = view.data_ptr();
        EXPECT_EQ(view.data_ptr(), view2.data_ptr());  // same bytes: a view, not a copy
    }
    // The file object is gone; the view still reads the mapping.
    EXPECT(torch::equal(view, src * 2));
    EXPECT_EQ(view.data_ptr(), mappedData);
}

TEST_CASE(testUnalignedData)
{
    // Header of odd length: the data area starts at an odd address, F32 must be copied.
    nlohmann::json h;
    h["x"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}};
    std::string header = h.dump() + " ";
    if ((8 + header.size()) % 4 == 0) header += " ";
    std::string bytes = le64(header.size()) + header;
    const float vals[2] = {1.5f, -2.25f};
    bytes.append(reinterpret_cast<const char*>(vals), 8);
    const auto p = tempDir() / "unaligned.safetensors";
    writeBytes(p, bytes);
    const auto t = SafetensorsFile::open(p)->tensor("x");
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data_ptr()) % 4, 0u);
    EXPECT_EQ(t[0].item<float>(), 1.5f);
    EXPECT_EQ(t[1].item<float>(), -2.25f);
}

TEST_CASE(testGoldenFile)
{
    const fs::path dir = inpaint::test::referenceDir() / "golden";
    const auto f = SafetensorsFile::open(dir / "unet.safetensors");
    EXPECT_EQ(f->metadata().at("section"), std::string("unet"));
    EXPECT_EQ(f->metadata().at("format"), std::string("pt"));
    // Every tensor listed in the sidecar JSON is in the file with that dtype and element count.
    std::ifstream js(dir / "unet.json");
    const auto side = nlohmann::json::parse(js);
    size_t listed = 0;
    for (const auto& c : inpaint::test::goldenCases(side, "", 10)) {
        for (auto it = c["tensors"].begin(); it != c["tensors"].end(); ++it) {
            ++listed;
            EXPECT_MSG(f->contains(it.key()), it.key());
            if (!f->contains(it.key())) continue;
            const auto t = f->tensor(it.key());
            int64_t numel = 1;
            for (const auto& d : it.value()["shape"]) numel *= d.get<int64_t>();
            EXPECT_MSG(t.numel() == numel, it.key());
            const std::string dt = it.value()["dtype"];
            EXPECT_MSG((dt == "float32" ? t.scalar_type() == torch::kFloat32 : t.scalar_type() == torch::kInt64),
                      it.key());
        }
    }
    EXPECT_EQ(listed, f->names().size());
    // Values read independently with Python's struct module from the raw bytes.
    const auto sample = f->tensor("tiny-sd/t999/sample");
    EXPECT_EQ(sample.sizes().vec(), (std::vector<int64_t>{1, 4, 32, 32}));
    EXPECT_NEAR(sample.flatten()[0].item<float>(), -1.1258398294448853, 0.0);
    EXPECT_NEAR(sample.flatten()[2].item<float>(), -0.2505785822868347, 0.0);
    EXPECT_NEAR(sample.sum(torch::kFloat64).item<double>(), -39.44626941473689, 1e-9);
    EXPECT_EQ(f->tensor("tiny-sd/t999/timestep").item<int64_t>(), 999);
}

TEST_CASE(testBadFiles)
{
    const std::string good = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

    // Missing file.
    EXPECT_THROWS(SafetensorsFile::open(tempDir() / "does_not_exist.safetensors"), FormatError, "does_not_exist");

    // Truncated: fewer than 8 bytes.
    {
        const auto p = tempDir() / "short.safetensors";
        writeBytes(p, std::string("\x05\x00\x00", 3));
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "truncated");
        writeBytes(p, "");
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "short.safetensors");
    }
    // Truncated real file: the data area ends early, so offsets fall outside it.
    {
        const fs::path src = inpaint::test::modelDir("tiny-sd") / "vae" / "diffusion_pytorch_model.safetensors";
        std::ifstream in(src, std::ios::binary);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        EXPECT(all.size() > 1000);
        const auto p = tempDir() / "cut.safetensors";
        writeBytes(p, all.substr(0, all.size() / 2));
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "outside the data area");
        writeBytes(p, all.substr(0, 100));  // cut inside the header
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "beyond the end of the file");
    }
    // Header length beyond the file.
    {
        std::string bytes = le64(1u << 20) + good;
        const auto p = tempDir() / "hdrlen.safetensors";
        writeBytes(p, bytes);
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "beyond the end of the file");
        writeBytes(p, le64(~uint64_t(0)) + good);  // must not overflow the check
        EXPECT_THROWS(SafetensorsFile::open(p), FormatError, "beyond the end of the file");
    }
    // Malformed headers, each refused with a message that says what is wrong.
    struct BadHeader {
        const char* file;
        const char* header;
        size_t dataBytes;
        const char* needle;
    };
    const BadHeader badHeaders[] = {
        // Not JSON / not an object.
        {"notjson.safetensors", "{this is not json", 8, "not valid JSON"},
        {"array.safetensors", "[1, 2, 3]", 8, "not a JSON object"},
        {"entry.safetensors", R"({"a": 5})", 8, "'a'"},
        {"meta.safetensors", R"({"__metadata__": {"k": 1}})", 0, "__metadata__"},
        // Offsets out of range.
        {"range.safetensors", R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8, "tensor 'w'"},
        {"reversed.safetensors", R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", 8, "reversed"},
        {"negoff.safetensors", R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", 8, "non-negative"},
        // Overlapping tensors.
        {"overlap.safetensors",
         R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
         R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
         16, "overlapping"},
        // Unknown dtype.
        {"dtype.safetensors", R"({"w":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8,
         "unknown or unsupported dtype 'F7'"},
        // Shape not matching byte size.
        {"shape.safetensors", R"({"w":{"dtype":"F16","shape":[3],"data_offsets":[0,8]}})", 8, "needs 6 bytes"},
        {"negshape.safetensors", R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8, "shape"},
        {"hugeshape.safetensors", R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})",
         8, "too large"},
        // Missing fields.
        {"nooff.safetensors", R"({"w":{"dtype":"F32","shape":[2]}})", 8, "data_offsets"},
    };
    for (const BadHeader& b : badHeaders) {
        std::printf("  %s\n", b.file);
        EXPECT_THROWS(SafetensorsFile::open(makeFile(b.file, b.header, b.dataBytes)), FormatError, b.needle);
    }
    // Sanity: the well-formed variant of these files opens.
    EXPECT_EQ(SafetensorsFile::open(makeFile("good.safetensors", good, 8))->tensor("a").numel(), 2);
}

}  // namespace

TEST_MAIN()
