// inpaint-cli encode through the built binary: the written `cond` equals the A1111 goldens
// (golden/prompt_weights.*; the textual-inversion case of golden/single_file.*), LoRA tags are
// listed on stderr and stripped, and bad input fails with one stderr line and no output file.
// Tolerance 1e-5 absolute, as test_prompt_weights (float32 outputs of magnitude <= 3.7).
#include "models/io/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

// After torch: its headers use the word `slots`, which Qt (QTest) defines as a macro.
#include "tests/common/cli_runner.h"

#include <QTemporaryDir>
#include <QTest>

#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

nlohmann::json goldenCase(const std::string& section, const std::string& name)
{
    std::ifstream js(kRef / "golden" / (section + ".json"));
    const auto side = nlohmann::json::parse(js);
    for (const auto& c : side.at("cases"))
        if (c.at("name") == name) return c;
    return {};
}

double maxDiff(const fs::path& file, const std::string& section, const std::string& tensor)
{
    const auto got = inpaint::models::loadSafetensors(file).at("cond");
    const auto expected = inpaint::models::SafetensorsFile::open(kRef / "golden" / (section + ".safetensors"))->tensor(tensor);
    if (got.sizes() != expected.sizes()) return 1e30;
    const double d = (got.to(torch::kFloat64) - expected.to(torch::kFloat64)).abs().max().item<double>();
    std::printf("  %s: max|diff| %.3e (tol 1e-5)\n", tensor.c_str(), d);
    return d;
}

}  // namespace

class TestCliEncode : public QObject {
    Q_OBJECT
private slots:
    void weightedBreakAndLoraCases()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        int checked = 0;
        for (const std::string name : {"weighted", "break", "long_comma_backtrack", "lora_named"}) {
            const auto c = goldenCase("prompt_weights", name);
            QVERIFY2(!c.is_null(), name.c_str());
            const QString out = dir.filePath(QString::fromStdString(name + ".safetensors"));
            const auto r = clitest::run({"encode", "--model", q(kRef / "models" / "tiny-sd"), "--prompt",
                                         QString::fromStdString(c.at("params").at("prompt").get<std::string>()), "--out", out});
            QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
            const auto j = nlohmann::json::parse(r.out.toStdString());
            QCOMPARE(j.at("chunks").get<int>(), c.at("params").at("n_chunks").get<int>());
            QCOMPARE(j.at("token_count").get<int>(), c.at("params").at("token_count").get<int>());
            QVERIFY(maxDiff(out.toStdString(), "prompt_weights", name + "/cond") <= 1e-5);
            if (name == "lora_named") {
                QCOMPARE(r.errLines(), QStringList({"lora: dyn_test te=0.7 unet=0.3 dyn=16", "lora: named te=0.4 unet=0.9 dyn=8"}));
            } else {
                QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
            }
            ++checked;
        }
        QCOMPARE(checked, 4);

        // The same text encoder from the single file (LDM names, renamed at load) gives the same cond.
        const auto c = goldenCase("prompt_weights", "weighted");
        const QString out = dir.filePath("weighted-single-file.safetensors");
        const auto r = clitest::run({"encode", "--model", q(kRef / "models" / "single-file" / "tiny-sd.safetensors"),
                                     "--config", q(kRef / "models" / "tiny-sd"), "--prompt",
                                     QString::fromStdString(c.at("params").at("prompt").get<std::string>()), "--out", out});
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        QVERIFY(maxDiff(out.toStdString(), "prompt_weights", "weighted/cond") <= 1e-5);
    }

    void textualInversionAndClipSkip()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path emb = fs::path(dir.path().toStdString()) / "embeddings";
        fs::create_directories(emb);
        fs::copy_file(kRef / "models" / "embeddings" / "tiny-token-b.safetensors", emb / "tiny-token-b.safetensors");
        const auto c = goldenCase("single_file", "ti_safetensors");
        QVERIFY(!c.is_null());
        std::string prompt = c.at("params").at("prompt");
        prompt.replace(prompt.find("<tiny-token>"), 12, "tiny-token-b");
        const QString out = dir.filePath("ti.safetensors");
        auto r = clitest::run({"encode", "--model", q(kRef / "models" / "tiny-sd-inpaint"), "--embeddings-dir", q(emb),
                               "--prompt", QString::fromStdString(prompt), "--out", out});
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QVERIFY(j.at("embeddings_used") == nlohmann::json::array({"tiny-token-b"}));
        QVERIFY(maxDiff(out.toStdString(), "single_file", "ti_safetensors/prompt_embeds") <= 1e-5);

        // Clip skip 2 differs from 1; 4 is out of range for a 3-layer encoder.
        const QString out2 = dir.filePath("skip2.safetensors");
        r = clitest::run({"encode", "--model", q(kRef / "models" / "tiny-sd"), "--clip-skip", "2", "--prompt", "a cat", "--out", out2});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString out1 = dir.filePath("skip1.safetensors");
        r = clitest::run({"encode", "--model", q(kRef / "models" / "tiny-sd"), "--prompt", "a cat", "--out", out1});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto a = inpaint::models::loadSafetensors(out1.toStdString()).at("cond");
        const auto b = inpaint::models::loadSafetensors(out2.toStdString()).at("cond");
        QVERIFY((a - b).abs().max().item<double>() > 1e-3);
        const QString out4 = dir.filePath("skip4.safetensors");
        r = clitest::run({"encode", "--model", q(kRef / "models" / "tiny-sd"), "--clip-skip", "4", "--prompt", "a cat", "--out", out4});
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.errLines().size(), 1);
        QVERIFY2(r.err.contains("Clip skip 4"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out4));
    }

    void badInput()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const fs::path emb = fs::path(dir.path().toStdString()) / "embeddings";
        fs::create_directories(emb);
        inpaint::models::saveSafetensors(emb / "narrow.safetensors", {{"emb_params", torch::ones({1, 8})}});
        const QString out = dir.filePath("bad.safetensors");
        const QString model = q(kRef / "models" / "tiny-sd");
        struct Bad {
            QStringList args;
            int code;
            QString needle;
        };
        const std::vector<Bad> bad = {
            {{"--model", model, "--embeddings-dir", q(emb), "--prompt", "a cat", "--out", out}, 1,
             "narrow.safetensors' has vectors of width 8; the text encoder expects width 16"},
            {{"--model", model, "--prompt", "(a cat:1.2.3)", "--out", out}, 1, "1.2.3"},
            {{"--model", model, "--prompt", "<lora:te=1> cat", "--out", out}, 1, "no LoRA name"},
            {{"--model", model, "--embeddings-dir", q(emb / "missing"), "--prompt", "a", "--out", out}, 1, "does not exist"},
            {{"--model", q(kRef / "models" / "no-such-model"), "--prompt", "a", "--out", out}, 1, "no-such-model"},
            {{"--model", model, "--prompt", "a"}, 2, "--out"},
            {{"--model", model, "--prompt", "a", "--out", out, "--clip-skip", "0"}, 2, "--clip-skip"},
        };
        for (const auto& b : bad) {
            const auto r = clitest::run(QStringList{"encode"} + b.args);
            QVERIFY(!r.crashed);
            QCOMPARE(r.exitCode, b.code);
            QCOMPARE(r.errLines().size(), 1);
            QVERIFY2(r.err.startsWith("inpaint-cli"), qPrintable(r.err));
            QVERIFY2(r.err.contains(b.needle), qPrintable(r.err));
            QVERIFY(!QFileInfo::exists(out));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliEncode)
#include "test_cli_encode.moc"
