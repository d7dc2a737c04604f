// SDXL through the built inpaint-cli: every e2e/* case of golden/sdxl (diffusers 0.25.1
// StableDiffusionXLInpaintPipeline 9- and 4-channel, StableDiffusionXLImg2ImgPipeline) seed for
// seed with --no-paste-back — the PNG within one 8-bit level of diffusers' image, --latents-out
// within 1e-3 of its final latents. Also: the micro-conditioning options reach add_time_ids (the
// img2img case without its original_size differs), img2img runs without a mask, `info` names the
// family, the recipe names the family and its overrides, and bad pairs fail with one line.
#include "models/io/safetensors.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

// After torch: its headers use the word `slots`, which Qt (QTest) defines as a macro.
#include "tests/common/cli_runner.h"
#include "tests/common/image_compare.h"

#include <QImage>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }
QString model(const std::string& name) { return q(kRef / "models" / name); }

nlohmann::json goldenJson()
{
    std::ifstream in(kRef / "golden" / "sdxl.json");
    return nlohmann::json::parse(in);
}

torch::Tensor golden(const std::string& name)
{
    return inpaint::models::SafetensorsFile::open(kRef / "golden" / "sdxl.safetensors")->tensor(name).clone();
}

QString pair(const nlohmann::json& v) { return QStringLiteral("%1,%2").arg(v[0].get<int>()).arg(v[1].get<int>()); }

}  // namespace

class TestCliSdxl : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    // The golden case's settings as options; `withMicro` false drops its micro-conditioning.
    // singleFile: the sgm-layout file of the case's model (tests/data/sdxl-single-file, written by
    // make_sdxl_single_file.py) with --config the folder, instead of the folder.
    QStringList argsFor(const nlohmann::json& p, bool withMicro, bool singleFile = false) const
    {
        const bool img2img = p.at("pipeline") == "StableDiffusionXLImg2ImgPipeline";
        const std::string m = p.at("model");
        const QStringList modelArgs =
            singleFile ? QStringList{"--model", q(fs::path(INPAINT_TEST_DATA_DIR) / "sdxl-single-file" / (m + ".safetensors")),
                                     "--config", model(m)}
                       : QStringList{"--model", model(m)};
        QStringList a = modelArgs + QStringList{"--image", q(kRef / p.at("image").get<std::string>()),
                      "--seed", QString::number(p.at("seed").get<uint64_t>()),
                      "--steps", QString::number(p.at("num_inference_steps").get<int>()),
                      "--guidance", QString::number(p.at("guidance_scale").get<double>()),
                      "--strength", QString::number(p.at("strength").get<double>()),
                      "--prompt", QString::fromStdString(p.at("prompt").get<std::string>()), "--no-paste-back",
                      "--pipeline", img2img ? "img2img" : p.at("unet_in_channels") == 9 ? "inpaint-unet" : "blend"};
        if (!img2img) a << "--mask" << q(kRef / p.at("mask_image").get<std::string>());
        if (p.at("negative_prompt").is_string())
            a << "--negative-prompt" << QString::fromStdString(p.at("negative_prompt").get<std::string>());
        if (withMicro && p.contains("original_size")) a << "--original-size" << pair(p.at("original_size"));
        if (withMicro && p.contains("crops_coords_top_left"))
            a << "--crops-coords-top-left" << pair(p.at("crops_coords_top_left"));
        return a;
    }

    // Runs one case; returns the final latents' max abs difference to diffusers' (or -1).
    double runCase(const nlohmann::json& c, bool withMicro, int* pixelDiff, bool singleFile = false)
    {
        const std::string name = c.at("name");
        QString stem = QString::fromStdString(name).replace('/', '-') + (withMicro ? "" : "-nomicro") + (singleFile ? "-file" : "");
        const QString out = path(stem + ".png"), lat = path(stem + ".safetensors");
        const clitest::Result r =
            clitest::run(QStringList{"run"} + argsFor(c.at("params"), withMicro, singleFile) + QStringList{"--out", out, "--latents-out", lat},
                         300000);
        if (r.crashed || r.exitCode != 0) {
            qWarning("%s: %s", name.c_str(), qPrintable(r.err));
            return -1;
        }
        *pixelDiff = clitest::maxPixelDiff(QImage(out), golden(name + "/image"));
        const auto latents = inpaint::models::SafetensorsFile::open(lat.toStdString())->tensor("latents").clone();
        torch::Tensor ref = golden(name + "/latents_per_step");
        ref = ref[ref.size(0) - 1];  // after the last step (and, for blend, its last blend)
        if (latents.sizes() != ref.sizes()) return -1;
        return (latents - ref).abs().max().item<double>();
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void everyE2eCaseEqualsDiffusers()
    {
        int cases = 0;
        const nlohmann::json sidecar = goldenJson();
        for (const auto& c : sidecar.at("cases")) {
            const std::string name = c.at("name");
            if (name.rfind("e2e/", 0) != 0) continue;
            int pixels = 256;
            const double d = runCase(c, true, &pixels);
            qInfo("%-32s max pixel difference %d, final latents max|d| %.3g", name.c_str(), pixels, d);
            QVERIFY2(d >= 0 && d < 1e-3, qPrintable(QStringLiteral("%1: latents differ by %2").arg(name.c_str()).arg(d)));
            QVERIFY2(pixels <= 1, qPrintable(QStringLiteral("%1: pixel difference %2").arg(name.c_str()).arg(pixels)));
            ++cases;
        }
        QCOMPARE(cases, 5);
    }

    // The same cases from SDXL single files (sgm keys: conditioner.embedders.0/1, label_emb):
    // diffusers' images again, so the renaming is exact end to end.
    void singleFilesEqualDiffusers()
    {
        int cases = 0;
        const nlohmann::json sidecar = goldenJson();
        for (const auto& c : sidecar.at("cases")) {
            const std::string name = c.at("name");
            if (name != "e2e/inpaint9_s1.0_negprompt" && name != "e2e/inpaint4_s0.8_blend") continue;
            int pixels = 256;
            const double d = runCase(c, true, &pixels, true);
            qInfo("%-32s single file: max pixel difference %d, final latents max|d| %.3g", name.c_str(), pixels, d);
            QVERIFY2(d >= 0 && d < 1e-3, qPrintable(QStringLiteral("%1: latents differ by %2").arg(name.c_str()).arg(d)));
            QVERIFY2(pixels <= 1, qPrintable(QStringLiteral("%1: pixel difference %2").arg(name.c_str()).arg(pixels)));
            ++cases;
        }
        QCOMPARE(cases, 2);
        const clitest::Result r = clitest::run({"info", "--model", q(fs::path(INPAINT_TEST_DATA_DIR) / "sdxl-single-file" / "tiny-sdxl-inpaint.safetensors"),
                                                "--config", model("tiny-sdxl-inpaint")});
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(QString::fromStdString(j.at("kind")), QStringLiteral("sdxl-inpaint"));
        QCOMPARE(QString::fromStdString(j.at("family")), QStringLiteral("SDXL"));
    }

    // img2img_s0.6 conditions on original_size 1024,1024; without the option the ids are the
    // image's 64,64 and the result must differ, so the option demonstrably reaches the UNet.
    void microConditioningReachesTheModel()
    {
        const nlohmann::json sidecar = goldenJson();
        for (const auto& c : sidecar.at("cases")) {
            if (c.at("name") != "e2e/img2img_s0.6") continue;
            int pixels = 0;
            const double d = runCase(c, false, &pixels);
            qInfo("img2img without original_size: final latents max|d| %.3g to diffusers' 1024,1024 run", d);
            QVERIFY2(d > 1e-2, qPrintable(QString::number(d)));
            return;
        }
        QFAIL("no e2e/img2img_s0.6 case");
    }

    // `inpaint-cli encode` on SDXL: every text/* case's prompt_embeds and pooled_prompt_embeds (the
    // A1111 path equals diffusers' for these prompts: no syntax, under 75 tokens).
    void encodeEveryTextCase()
    {
        int cases = 0;
        double worst = 0;
        const nlohmann::json sidecar = goldenJson();
        for (const auto& c : sidecar.at("cases")) {
            const std::string name = c.at("name");
            if (name.rfind("text/", 0) != 0) continue;
            const auto& p = c.at("params");
            const std::string folder = name.substr(5, name.find('/', 5) - 5);
            // diffusers' clip_skip k is A1111's k + 1.
            const int clipSkip = p.contains("clip_skip") && !p.at("clip_skip").is_null() ? p.at("clip_skip").get<int>() + 1 : 1;
            const QString out = path(QString::fromStdString(name).replace('/', '-') + ".safetensors");
            const clitest::Result r = clitest::run({"encode", "--model", model(folder), "--prompt",
                                                    QString::fromStdString(p.at("prompt").get<std::string>()), "--out", out,
                                                    "--clip-skip", QString::number(clipSkip)});
            QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
            QVERIFY2(r.out.contains("\"family\":\"SDXL\""), qPrintable(r.out));
            const auto f = inpaint::models::SafetensorsFile::open(out.toStdString());
            for (const auto& [ours, theirs] : {std::pair{"cond", "/prompt_embeds"}, std::pair{"pooled", "/pooled_prompt_embeds"}}) {
                const torch::Tensor a = f->tensor(ours), b = golden(name + theirs);
                QVERIFY2(a.sizes() == b.sizes(), qPrintable(QString::fromStdString(name + " " + ours)));
                const double d = (a - b.to(torch::kFloat32)).abs().max().item<double>();
                worst = std::max(worst, d);
                QVERIFY2(d <= 1e-4, qPrintable(QStringLiteral("%1 %2 differs by %3").arg(name.c_str(), ours).arg(d)));
            }
            ++cases;
        }
        qInfo("inpaint-cli encode: %d SDXL text cases, worst max|d| %.3g", cases, worst);
        QCOMPARE(cases, 20);
    }

    void infoNamesTheFamily()
    {
        for (const auto& [name, kind] : {std::pair{"tiny-sdxl", "sdxl"}, std::pair{"tiny-sdxl-inpaint", "sdxl-inpaint"},
                                         std::pair{"tiny-sd", "sd1"}}) {
            const clitest::Result r = clitest::run({"info", "--model", model(name)});
            QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
            const auto j = nlohmann::json::parse(r.out.toStdString());
            QCOMPARE(QString::fromStdString(j.at("kind")), QString(kind));
            QCOMPARE(QString::fromStdString(j.at("family")), std::string(kind).rfind("sdxl", 0) == 0 ? QString("SDXL") : QString("SD 1.x"));
            if (std::string(kind).rfind("sdxl", 0) == 0) QVERIFY(j.at("components").contains("text_encoder_2"));
        }
    }

    // The written recipe names the family and the micro-conditioning given; img2img needs no mask
    // and changes the whole picture.
    void recipeAndImg2ImgWithoutMask()
    {
        const QString out = path("recipe.png");
        const QString image = q(kRef / "inputs" / "sdxl_image.png");
        const clitest::Result r = clitest::run({"run", "--model", model("tiny-sdxl"), "--pipeline", "img2img", "--image", image,
                                                "--out", out, "--seed", "7", "--steps", "4", "--strength", "0.5",
                                                "--original-size", "512,768", "--crops-coords-top-left", "8,16",
                                                "--target-size", "64,64"},
                                               300000);
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        QImageReader reader(out);
        const QString text = reader.text(QStringLiteral("parameters"));
        QVERIFY2(text.contains("Model family: SDXL"), qPrintable(text));
        QVERIFY2(text.contains("Pipeline: img2img"), qPrintable(text));
        QVERIFY2(text.contains("Original size: \"512,768\""), qPrintable(text));
        QVERIFY2(text.contains("Crops coords top left: \"8,16\""), qPrintable(text));
        QVERIFY2(text.contains("Target size: \"64,64\""), qPrintable(text));
        // Every pixel is the model's (a white mask): the picture changed almost everywhere.
        const QImage a = QImage(image).convertToFormat(QImage::Format_RGB888), b = QImage(out).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(a.size(), b.size());
        int same = 0;
        for (int y = 0; y < a.height(); ++y)
            for (int x = 0; x < a.width(); ++x) same += a.pixel(x, y) == b.pixel(x, y);
        QVERIFY2(same < a.width() * a.height() / 10, qPrintable(QString::number(same)));
        // Re-running the recipe gives the same picture (its overrides are read back).
        const QString again = path("recipe-again.png");
        const clitest::Result r2 = clitest::run({"run", "--recipe", out, "--model", model("tiny-sdxl"), "--image", image, "--out", again}, 300000);
        QVERIFY2(!r2.crashed && r2.exitCode == 0, qPrintable(r2.err));
        QCOMPARE(clitest::maxPixelDiff(QImage(again), QImage(out)), 0);
    }

    void badInputFailsWithOneLine()
    {
        const QString image = q(kRef / "inputs" / "sdxl_image.png"), mask = q(kRef / "inputs" / "sdxl_mask.png");
        const QString out = path("bad.png");
        struct Bad {
            QStringList args;
            const char* needle;
        };
        const QList<Bad> cases{
            {{"--pipeline", "blend", "--image", image, "--out", out}, "missing --mask"},
            {{"--mask", mask, "--image", image, "--out", out, "--original-size", "1024"}, "--original-size takes two integers"},
            {{"--mask", mask, "--image", image, "--out", out, "--target-size", "0,64"}, "target-size must be two sizes"},
            {{"--mask", mask, "--image", image, "--out", out, "--crops-coords-top-left", "-1,0"}, "crops-coords-top-left must be"},
        };
        for (const Bad& b : cases) {
            clitest::Result r;
            CLI_RUN(r, QStringList({"--model", model("tiny-sdxl")}) + b.args, image, mask, out);
            QVERIFY2(r.exitCode != 0, qPrintable(b.args.join(' ')));
            QVERIFY2(r.err.contains(b.needle), qPrintable(r.err));
        }
    }
};

QTEST_GUILESS_MAIN(TestCliSdxl)
#include "test_cli_sdxl.moc"
