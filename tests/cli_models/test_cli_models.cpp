// Runs the built inpaint-cli: `tokenize` must print the golden ids of transformers' CLIPTokenizer
// for every prompt of golden/tokenizer.*, `info` must describe the reference models (kind,
// in_channels, scheduler, parameter counts equal to the weights' element counts), and failures
// give exactly one stderr line and a non-zero exit code.
#include "models/io/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

// After torch: its headers use the word `slots`, which Qt (QTest) defines as a macro.
#include "tests/common/cli_runner.h"

#include <QTest>

#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";

int lineCount(const QString& s) { return static_cast<int>(s.count(QLatin1Char('\n'))); }

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

}  // namespace

class TestCliModels : public QObject {
    Q_OBJECT
private slots:
    void tokenizeMatchesGolden()
    {
        std::ifstream js(kRef / "golden" / "tokenizer.json");
        const auto side = nlohmann::json::parse(js);
        const auto golden = inpaint::models::SafetensorsFile::open(kRef / "golden" / "tokenizer.safetensors");
        QStringList args{"tokenize", "--model", q(kRef / "models" / "tiny-sd"), "--"};
        std::vector<std::string> names;
        for (const auto& c : side["cases"]) {
            args << QString::fromUtf8(c["params"]["prompt"].get<std::string>().c_str());
            names.push_back(c["name"]);
        }
        const auto r = clitest::run(args);
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.err.isEmpty());
        std::istringstream lines(r.out.toStdString());
        std::string line;
        size_t i = 0;
        while (std::getline(lines, line)) {
            QVERIFY(i < names.size());
            const auto got = nlohmann::json::parse(line).get<std::vector<int64_t>>();
            const auto t = golden->tensor(names[i] + "/input_ids").flatten();
            const std::vector<int64_t> expect(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
            QVERIFY2(got == expect, names[i].c_str());
            QCOMPARE(got.size(), size_t(77));
            ++i;
        }
        QCOMPARE(i, names.size());
        QCOMPARE(names.size(), size_t(31));
    }

    void tokenizeSd2PadAndTokens()
    {
        // The SD2 inpainting configs (tokenizer files without vocabulary): "!" pads and splits.
        auto r = clitest::run({"tokenize", "--model", q(kRef / "configs" / "stable-diffusion-2-inpainting"), "wow!!!"});
        QCOMPARE(r.exitCode, 0);
        const auto ids = nlohmann::json::parse(r.out.toStdString()).get<std::vector<int64_t>>();
        QCOMPARE(ids.size(), size_t(77));
        QCOMPARE(ids[0], int64_t(49406));
        QCOMPARE(ids[2], int64_t(0));
        QCOMPARE(ids[5], int64_t(49407));
        QCOMPARE(ids[76], int64_t(0));
        r = clitest::run({"tokenize", "--model", q(kRef / "models" / "tiny-sd"), "--tokens", "A Photo, OF a cat"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(QString::fromStdString(nlohmann::json::parse(r.out.toStdString()).dump()),
                 QString::fromStdString(nlohmann::json({"a</w>", "photo</w>", ",</w>", "of</w>", "a</w>", "cat</w>"}).dump()));
    }

    void tokenizeErrors()
    {
        auto r = clitest::run({"tokenize", "a cat"});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(lineCount(r.err), 1);
        r = clitest::run({"tokenize", "--model", q(kRef / "models" / "tiny-sd")});
        QCOMPARE(r.exitCode, 2);
        r = clitest::run({"tokenize", "--model", "/nonexistent/model", "a"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lineCount(r.err), 1);
        QVERIFY(r.err.startsWith("inpaint-cli"));
        QVERIFY(r.out.isEmpty());
    }

    void infoReferenceModels()
    {
        struct Expect {
            const char* model;
            const char* kind;
            int inChannels;
            const char* scheduler;
        };
        for (const Expect& e : {Expect{"tiny-sd", "sd1", 4, "PNDMScheduler"},
                                Expect{"tiny-sd-inpaint", "sd1-inpaint", 9, "DDIMScheduler"}}) {
            const auto dir = kRef / "models" / e.model;
            const auto r = clitest::run({"info", "--model", q(dir)});
            QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
            QVERIFY(r.err.isEmpty());
            const auto j = nlohmann::json::parse(r.out.toStdString());
            QCOMPARE(j["kind"].get<std::string>(), std::string(e.kind));
            QCOMPARE(j["unet_in_channels"].get<int>(), e.inChannels);
            QCOMPARE(j["default_scheduler"].get<std::string>(), std::string(e.scheduler));
            QCOMPARE(j["components"].size(), size_t(5));
            int64_t total = 0;
            for (const char* comp : {"unet", "vae", "text_encoder"}) {
                const auto& c = j["components"][comp];
                // Independent count: element counts of the tensors in the weight file.
                const auto file = dir / comp / (std::string(comp) == "text_encoder" ? "model.safetensors"
                                                                                    : "diffusion_pytorch_model.safetensors");
                int64_t numel = 0;
                for (const auto& [name, t] : inpaint::models::loadSafetensors(file)) numel += t.numel();
                QCOMPARE(c["parameters"].get<int64_t>(), numel);
                QCOMPARE(c["dtypes"]["F32"].get<int64_t>(), numel);
                QCOMPARE(c["dtypes"].size(), size_t(1));
                total += numel;
            }
            QCOMPARE(j["total_parameters"].get<int64_t>(), total);
            QCOMPARE(j["components"]["text_encoder"]["parameters"].get<int64_t>(), int64_t(798959));
            QCOMPARE(j["components"]["tokenizer"]["vocabulary"].get<std::string>(), std::string("bundled"));
            QCOMPARE(j["components"]["tokenizer"]["pad_token_id"].get<int>(), 49407);
            QCOMPARE(j["components"]["unet"]["in_channels"].get<int>(), e.inChannels);
        }
    }

    void infoErrors()
    {
        // Real SD2-inpainting configs without weights: JSON still printed, errors named, exit 1.
        auto r = clitest::run({"info", "--model", q(kRef / "configs" / "stable-diffusion-2-inpainting")});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lineCount(r.err), 1);
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j["kind"].get<std::string>(), std::string("sd2-inpaint"));
        QCOMPARE(j["unet_in_channels"].get<int>(), 9);
        QVERIFY(j["components"]["unet"]["error"].get<std::string>().find("has no weights") != std::string::npos);
        QCOMPARE(j["components"]["tokenizer"]["pad_token_id"].get<int>(), 0);

        r = clitest::run({"info", "--model", "/nonexistent/model"});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(lineCount(r.err), 1);
        QVERIFY(r.out.isEmpty());
        r = clitest::run({"info"});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(lineCount(r.err), 1);
    }
};

QTEST_GUILESS_MAIN(TestCliModels)
#include "test_cli_models.moc"
