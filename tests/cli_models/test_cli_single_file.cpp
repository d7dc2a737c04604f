// Single-file checkpoints through the built inpaint-cli: every golden case of
// golden/single_file (diffusers 0.25.1 from_single_file) — the .safetensors, .ckpt and fp16 files,
// the EMA choice and a separate VAE file — gives diffusers' image (within one 8-bit level) and
// final latents; `info` describes a file; `convert` writes a diffusers folder that runs to the
// same image; bad files fail with one stderr line and no output.
#include "models/io/safetensors.h"

#include <torch/torch.h>

// After torch: its headers use the word `slots`, which Qt (QTest) defines as a macro.
#include "tests/common/cli_runner.h"
#include "tests/common/image_compare.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>

namespace fs = std::filesystem;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";
const QString kPrompt = QStringLiteral("a photo of a red cat sitting on a wooden table, highly detailed");

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }
QString single(const char* name) { return q(kRef / "models" / "single-file" / name); }
QString model(const char* name) { return q(kRef / "models" / name); }

torch::Tensor golden(const std::string& name)
{
    return inpaint::models::SafetensorsFile::open(kRef / "golden" / "single_file.safetensors")->tensor(name).clone();
}


}  // namespace

class TestCliSingleFile : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // Runs the golden case's settings (seed 1234, 10 steps, guidance 7.5, strength 0.75, the
    // set's prompt, no paste-back) with `modelArgs` and compares to <name>/image and final_latents.
    void checkCase(const QString& name, const QStringList& modelArgs, bool inpaint9, int pixelTol = 1, double latentTol = 1e-3)
    {
        const QString out = path(name + ".png"), lat = path(name + ".safetensors");
        const clitest::Result r = clitest::run(
            QStringList{"run", "--image", q(kRef / "inputs" / "image.png"), "--mask", q(kRef / "inputs" / "mask.png"),
                        "--out", out, "--seed", "1234", "--steps", "10", "--guidance", "7.5", "--strength", "0.75",
                        "--no-paste-back", "--latents-out", lat, "--pipeline", inpaint9 ? "inpaint-unet" : "blend"} +
                (modelArgs.contains("--prompt") ? QStringList{} : QStringList{"--prompt", kPrompt}) + modelArgs,
            300000);
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        const int diff = clitest::maxPixelDiff(QImage(out), golden(name.toStdString() + "/image"));
        const auto latents = inpaint::models::SafetensorsFile::open(lat.toStdString())->tensor("latents").clone();
        const auto ref = golden(name.toStdString() + "/final_latents");
        QCOMPARE(latents.sizes().vec(), ref.sizes().vec());
        const double d = (latents - ref).abs().max().item<double>();
        qInfo("%s: max pixel difference to diffusers %d, max latent difference %.3g", qPrintable(name), diff, d);
        QVERIFY2(diff <= pixelTol, qPrintable(QStringLiteral("pixel difference %1").arg(diff)));
        QVERIFY2(d < latentTol, qPrintable(QString::number(d)));
    }

    // The golden's LDM yaml for the UNet and VAE, the folder's text encoder config and tokenizer
    // (what the golden passed to from_single_file).
    QStringList sd4(const char* file, const char* yaml)
    {
        return {"--model", single(file), "--original-config", single(yaml), "--config", model("tiny-sd")};
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void safetensorsEqualsDiffusers() { checkCase("sd4_single_file_safetensors", sd4("tiny-sd.safetensors", "tiny-sd.yaml"), false); }

    void ckptEqualsDiffusers() { checkCase("sd4_single_file_ckpt", sd4("tiny-sd.ckpt", "tiny-sd.yaml"), false); }

    void inpaintFileEqualsDiffusers()
    {
        checkCase("inpaint9_single_file_safetensors",
                  {"--model", single("tiny-sd-inpaint.safetensors"), "--original-config", single("tiny-sd-inpaint.yaml"),
                   "--config", model("tiny-sd-inpaint"), "--scheduler", "ddim"},  // the golden's scheduler_type='ddim'
                  true);
    }

    void fp16FileWithinTheGoldensTolerance()
    {
        // diffusers upcasts the fp16 weights into fp32 modules; so does the loader.
        checkCase("sd4_single_file_fp16", sd4("tiny-sd-fp16.safetensors", "tiny-sd-fp16.yaml"), false);
    }

    void emaChoice()
    {
        checkCase("sd4_ema_default", sd4("tiny-sd-ema.safetensors", "tiny-sd-ema.yaml"), false);
        checkCase("sd4_ema_extract_ema", sd4("tiny-sd-ema.safetensors", "tiny-sd-ema.yaml") << "--ema", false);
    }

    void vaeFileSwap()
    {
        checkCase("inpaint9_vae_alt", {"--model", model("tiny-sd-inpaint"), "--vae", single("vae-alt.safetensors")}, true);
    }

    // LoRA from --lora and from a prompt tag; textual inversion from an embeddings folder.
    void loraEqualsDiffusers()
    {
        const QString lora = q(kRef / "models" / "lora" / "kohya-unet-te.safetensors");
        checkCase("lora_scale1.0", {"--model", model("tiny-sd-inpaint"), "--lora", lora}, true);
        checkCase("lora_fused0.7", {"--model", model("tiny-sd-inpaint"), "--lora", lora + ":0.7"}, true);
        // The same LoRA named by the prompt: the tag is removed from the text, weight 0.5 for both.
        checkCase("lora_scale0.5",
                  {"--model", model("tiny-sd-inpaint"), "--lora-dir", q(kRef / "models" / "lora"), "--prompt",
                   kPrompt + " <lora:kohya-unet-te:0.5>"},
                  true);
    }

    void embeddingsEqualDiffusers()
    {
        const QString dir = q(kRef / "models" / "embeddings");
        checkCase("ti_pt", {"--model", model("tiny-sd-inpaint"), "--embeddings-dir", dir, "--prompt",
                            "a photo of tiny-token, " + kPrompt},
                  true);
        checkCase("ti_safetensors", {"--model", model("tiny-sd-inpaint"), "--embeddings-dir", dir, "--prompt",
                                     "a photo of tiny-token-b, " + kPrompt},
                  true);
    }

    void infoDescribesASingleFile()
    {
        const clitest::Result r = clitest::run({"info", "--model", single("tiny-sd-inpaint.safetensors"), "--config",
                                                model("tiny-sd-inpaint")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject j = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(j["format"].toString(), QStringLiteral("single-file"));
        QCOMPARE(j["kind"].toString(), QStringLiteral("sd1-inpaint"));
        QCOMPARE(j["unet_in_channels"].toInt(), 9);
        QCOMPARE(j["dtype"].toString(), QStringLiteral("F32"));
        QCOMPARE(j["components"].toObject()["unet"].toObject()["in_channels"].toInt(), 9);
        QVERIFY(j["components"].toObject()["text_encoder"].toObject()["parameters"].toDouble() > 0);
    }

    void convertWritesAFolderThatRunsTheSame()
    {
        const QString dir = path("converted");
        const clitest::Result r = clitest::run({"convert", "--model", single("tiny-sd.safetensors"), "--original-config",
                                                single("tiny-sd.yaml"), "--config", model("tiny-sd"), "--out", dir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(QFile::exists(dir + "/model_index.json"));
        QVERIFY(QFile::exists(dir + "/unet/diffusion_pytorch_model.safetensors"));
        QVERIFY(QFile::exists(dir + "/text_encoder/model.safetensors"));
        checkCase("sd4_single_file_safetensors", {"--model", dir}, false);
        // An existing folder is not overwritten.
        const clitest::Result again = clitest::run({"convert", "--model", single("tiny-sd.safetensors"), "--out", dir});
        QCOMPARE(again.exitCode, 2);
    }

    // run --recipe PNG re-runs what the PNG's parameters say (model found by name in
    // $INPAINT_MODELS_PATH, LoRA by name in --lora-dir, clip skip, seed, steps...), pixel for
    // pixel; options given beside it override the recipe.
    void recipeRerunsTheRun()
    {
        const QStringList io{"--image", q(kRef / "inputs" / "image.png"), "--mask", q(kRef / "inputs" / "mask.png")};
        const QString lora = q(kRef / "models" / "lora" / "kohya-unet-te.safetensors");
        const QString first = path("recipe-first.png"), again = path("recipe-again.png"), other = path("recipe-seed5.png");
        clitest::Result r = clitest::run(QStringList{"run", "--out", first, "--model", model("tiny-sd-inpaint"), "--lora",
                                                     lora + ":0.7", "--clip-skip", "2", "--seed", "77", "--steps", "4",
                                                     "--prompt", kPrompt, "--vae", single("vae-alt.safetensors")} +
                                         io);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QString recipe = QImage(first).text("parameters");
        QVERIFY2(recipe.contains("Lora: \"kohya-unet-te:0.7\"") && recipe.contains("Clip skip: 2") &&
                     recipe.contains("Seed: 77") && recipe.contains("VAE: vae-alt.safetensors"),
                 qPrintable(recipe));

        qputenv("INPAINT_MODELS_PATH", q(kRef / "models").toUtf8());
        const QStringList rerun = QStringList{"run", "--recipe", first, "--lora-dir", q(kRef / "models" / "lora")} + io;
        // The VAE is named by its file name only; it is not beside the model, so it must be given.
        r = clitest::run(rerun + QStringList{"--out", again});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("VAE 'vae-alt.safetensors'") && r.err.contains("--vae"), qPrintable(r.err));
        QVERIFY(!QFile::exists(again));

        r = clitest::run(rerun + QStringList{"--out", again, "--vae", single("vae-alt.safetensors")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(clitest::maxPixelDiff(QImage(again), QImage(first)), 0);
        QCOMPARE(QImage(again).text("parameters"), recipe);

        r = clitest::run(rerun + QStringList{"--out", other, "--vae", single("vae-alt.safetensors"), "--seed", "5"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(clitest::maxPixelDiff(QImage(other), QImage(first)) > 0);
        QVERIFY(QImage(other).text("parameters").contains("Seed: 5,"));

        // A model the folders do not have is named, with where it was looked for.
        qputenv("INPAINT_MODELS_PATH", m_dir.path().toUtf8());
        r = clitest::run(rerun + QStringList{"--out", path("recipe-never.png")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("'tiny-sd-inpaint'") && r.err.contains("--model"), qPrintable(r.err));
        qunsetenv("INPAINT_MODELS_PATH");
    }

    void badFilesFailCleanly_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("needle");
        QTest::newRow("9-channel file with a 4-channel yaml")
            << QStringList{"--model", single("tiny-sd-inpaint.safetensors"), "--original-config", single("tiny-sd.yaml"),
                           "--config", model("tiny-sd")}
            << "inpainting checkpoint";
        QTest::newRow("LoRA file as a model") << QStringList{"--model", q(kRef / "models" / "lora" / "kohya-unet-te.safetensors")}
                                              << "LoRA";
        QTest::newRow("text encoder no config describes") << QStringList{"--model", single("tiny-sd.safetensors")} << "--config";
        QTest::newRow("missing LoRA tag") << QStringList{"--model", model("tiny-sd-inpaint"), "--lora-dir",
                                                         q(kRef / "models" / "lora"), "--prompt", "x <lora:missing:1>"}
                                          << "lora";
        QTest::newRow("malicious .ckpt") << QStringList{"--model", single("malicious.ckpt")} << "posix.system";
        QTest::newRow("EMA asked of a file without") << QStringList{"--model", single("tiny-sd.safetensors"), "--config",
                                                                     model("tiny-sd"), "--ema"}
                                                      << "EMA";
    }
    void badFilesFailCleanly()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, needle);
        const QString out = path("never.png");
        const clitest::Result r = clitest::run(QStringList{"run", "--image", q(kRef / "inputs" / "image.png"), "--mask",
                                                           q(kRef / "inputs" / "mask.png"), "--out", out, "--steps", "2",
                                                           "--seed", "1"} +
                                               args);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(needle), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0);  // one line
        QVERIFY(!QFile::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestCliSingleFile)
#include "test_cli_single_file.moc"
