// `inpaint-cli run --model` on the reference models, through the built binary: with
// --no-paste-back the written PNG is diffusers' image for the same seed (golden e2e_* cases,
// within one 8-bit level), --latents-out holds diffusers' final latents, paste-back keeps every
// unmasked pixel, --preview-dir writes one PNG per step, every scheduler runs on both models, and
// bad settings fail with one stderr line and no output file.
#include "models/io/safetensors.h"

#include <torch/torch.h>

// After torch: its headers use the word `slots`, which Qt (QTest) defines as a macro.
#include "tests/common/cli_runner.h"
#include "tests/common/image_compare.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <tuple>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRef = fs::path(INPAINT_TEST_DATA_DIR) / "reference";
const QString kPrompt = QStringLiteral("a photo of a red cat sitting on a wooden table, highly detailed");

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }
QString image() { return q(kRef / "inputs" / "image.png"); }
QString mask() { return q(kRef / "inputs" / "mask.png"); }
QString model(const char* name) { return q(kRef / "models" / name); }

clitest::Result cli(const QStringList& args) { return clitest::run(QStringList{"run"} + args, 300000); }

torch::Tensor golden(const std::string& section, const std::string& name)
{
    auto f = inpaint::models::SafetensorsFile::open(kRef / "golden" / (section + ".safetensors"));
    return f->tensor(name).clone();
}


}  // namespace

class TestCliRunModels : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

    void checkCase(const QStringList& extra, const char* modelName, const std::string& section, const std::string& name,
                   const QString& seed = QStringLiteral("1234"), const QString& steps = QStringLiteral("10"))
    {
        const QString out = path(QString::fromStdString(section + "-" + name + ".png"));
        const QString lat = path(QString::fromStdString(section + "-" + name + ".safetensors"));
        const clitest::Result r = cli(QStringList{"--model", model(modelName), "--image", image(), "--mask", mask(), "--out", out,
                                      "--seed", seed, "--steps", steps, "--no-paste-back", "--latents-out", lat} +
                          extra);
        QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
        const int diff = clitest::maxPixelDiff(QImage(out), golden(section, name + "/image"));
        qInfo("%s/%s: max pixel difference to diffusers %d", section.c_str(), name.c_str(), diff);
        QVERIFY2(diff <= 1, qPrintable(QStringLiteral("pixel difference %1").arg(diff)));
        auto latents = inpaint::models::SafetensorsFile::open(lat.toStdString())->tensor("latents").clone();
        torch::Tensor ref = golden(section, name + "/latents_per_step");
        ref = ref[ref.size(0) - 1];
        QCOMPARE(latents.sizes().vec(), ref.sizes().vec());
        const double d = (latents - ref).abs().max().item<double>();
        qInfo("%s/%s: max latent difference %.3g", section.c_str(), name.c_str(), d);
        QVERIFY2(d < 1e-3, qPrintable(QString::number(d)));
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void inpaintUnetEqualsDiffusers()
    {
        checkCase({"--prompt", kPrompt, "--guidance", "7.5", "--strength", "1"}, "tiny-sd-inpaint", "e2e_inpaint",
                  "prompt_g7.5_s1.0_seeded");
        checkCase({"--guidance", "1", "--strength", "0.75", "--pipeline", "inpaint-unet"}, "tiny-sd-inpaint",
                  "e2e_inpaint", "empty_g1.0_s0.75_seeded");
    }

    // LCMScheduler.from_config(the checkpoint's) in diffusers' inpaint pipeline, 4 steps, seed 4242
    // (golden/lcm.*): without CFG and with guidance 1.5, at strength 1 and 0.8, on both models.
    void lcmEqualsDiffusers()
    {
        int cases = 0;
        for (const auto& [m, g, st] : std::vector<std::tuple<const char*, const char*, const char*>>{
                 {"tiny-sd-inpaint", "1.0", "1.0"},
                 {"tiny-sd-inpaint", "1.5", "1.0"},
                 {"tiny-sd-inpaint", "1.0", "0.8"},
                 {"tiny-sd", "1.0", "0.8"},
                 {"tiny-sd", "1.5", "0.8"}}) {
            const std::string name = std::string("e2e_") + m + "_g" + g + "_s" + st + "_seeded";
            checkCase({"--prompt", kPrompt, "--scheduler", "lcm", "--guidance", g, "--strength", st}, m, "lcm", name,
                      QStringLiteral("4242"), QStringLiteral("4"));
            if (QTest::currentTestFailed()) return;
            ++cases;
        }
        QCOMPARE(cases, 5);
    }

    // A whole job in bf16 beside diffusers' fp32 run of the same case (10 steps, CFG 7.5, both
    // pipelines): what `auto` precision costs on a CPU with AVX-512 BF16. Per UNet call bf16 is
    // ~1.7 % rel-L2 (test_bf16_accuracy), as diffusers' own bf16. Over 10 steps the random-weight
    // models do not pull the errors back (a trained denoiser does) and CFG multiplies the cond-uncond
    // difference by 7.5: measured latents rel-L2 0.16-0.20 / mean pixel difference 5.9 of 255 (the
    // image's spread is 43), 0.08 / 2.8 at guidance 1. Bounds 0.3 and 8: a bf16 path with a
    // real fault (a norm in bf16, a wrong cast) lands far outside. The summary line names the
    // precision that ran, and why.
    void bf16JobStaysCloseToFp32()
    {
        int cases = 0;
        for (const auto& [m, section, name, extra] : std::vector<std::tuple<const char*, const char*, const char*, QStringList>>{
                 {"tiny-sd-inpaint", "e2e_inpaint", "prompt_g7.5_s1.0_seeded", {"--strength", "1"}},
                 {"tiny-sd", "e2e_inpaint_legacy4ch", "prompt_g7.5_s0.75_seeded", {"--strength", "0.75"}}}) {
            const QString out = path(QStringLiteral("bf16-%1.png").arg(m));
            const QString lat = path(QStringLiteral("bf16-%1.safetensors").arg(m));
            const clitest::Result r =
                cli(QStringList{"--model", model(m), "--image", image(), "--mask", mask(), "--out", out, "--seed", "1234",
                                "--steps", "10", "--no-paste-back", "--latents-out", lat, "--prompt", kPrompt,
                                "--guidance", "7.5", "--dtype", "bf16"} +
                    extra);
            QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
            QVERIFY2(r.out.contains(QStringLiteral("on cpu bf16 (asked for")), qPrintable(r.out));
            const torch::Tensor ref = golden(section, std::string(name) + "/latents_per_step");
            const torch::Tensor want = ref[ref.size(0) - 1];
            const torch::Tensor got = inpaint::models::SafetensorsFile::open(lat.toStdString())->tensor("latents").clone();
            const double rel = ((got.to(torch::kFloat) - want).norm() / want.norm()).item<double>();
            torch::Tensor img = golden(section, std::string(name) + "/image");
            img = (img * 255.0f).round().clamp(0, 255).to(torch::kUInt8).contiguous();
            const QImage fp32(img.data_ptr<uint8_t>(), int(img.size(1)), int(img.size(0)), int(img.size(1)) * 3,
                              QImage::Format_RGB888);
            const double mean = clitest::meanPixelDiff(QImage(out), fp32);
            const int worst = clitest::maxPixelDiff(QImage(out), fp32);
            qInfo("%s bf16 vs diffusers fp32: latents rel-L2 %.4f, pixels mean %.2f max %d", m, rel, mean, worst);
            QVERIFY2(rel < 0.3, qPrintable(QString::number(rel)));
            QVERIFY2(mean < 8.0, qPrintable(QString::number(mean)));
            QVERIFY2(rel > 1e-4, "bf16 equals fp32: the bf16 path did not run");
            ++cases;
        }
        QCOMPARE(cases, 2);
        // Without --dtype: auto, pinned to fp32 in the test suite (INPAINT_AUTO_DTYPE), and said so.
        const clitest::Result r = cli(QStringList{"--model", model("tiny-sd"), "--image", image(), "--mask", mask(),
                                                  "--out", path("auto.png"), "--steps", "1"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("on cpu fp32 (auto pinned to fp32 by INPAINT_AUTO_DTYPE)")), qPrintable(r.out));
        // fp16 on the CPU falls back (LibTorch has no fp16 CPU kernels) and says so; never a crash.
        const clitest::Result h = cli(QStringList{"--model", model("tiny-sd"), "--image", image(), "--mask", mask(),
                                                  "--out", path("fp16.png"), "--steps", "1", "--dtype", "fp16"});
        QVERIFY2(h.exitCode == 0 && !h.crashed, qPrintable(h.err));
        QVERIFY2(h.out.contains(QStringLiteral("fp16 has no CPU kernels in LibTorch; running fp32 instead")),
                 qPrintable(h.out));
        // Unpinned auto on a CPU without AVX-512 (INPAINT_CPU_FEATURES=avx2 hides it): fp32, and why.
        const QByteArray pinned = qgetenv("INPAINT_AUTO_DTYPE");
        qunsetenv("INPAINT_AUTO_DTYPE");
        qputenv("INPAINT_CPU_FEATURES", "avx2");
        const clitest::Result a2 = cli(QStringList{"--model", model("tiny-sd"), "--image", image(), "--mask", mask(),
                                                   "--out", path("avx2.png"), "--steps", "1"});
        qunsetenv("INPAINT_CPU_FEATURES");
        qputenv("INPAINT_AUTO_DTYPE", pinned);
        QVERIFY2(a2.exitCode == 0, qPrintable(a2.err));
        QVERIFY2(a2.out.contains(QStringLiteral("on cpu fp32 (auto: this CPU has no AVX-512 BF16 (avx2)")), qPrintable(a2.out));
    }

    // --vae-tiling: on a 144x128 image (the tiny VAE's tiles are 64 px) "on" encodes and decodes in
    // tiles (AutoencoderKL::tiledDecode, equal to diffusers' in test_vae_golden) and changes the
    // result; "auto" leaves an image this small untiled (identical to "off"). --decoder tiny decodes
    // the result with the tiny VAE and the recipe says so; without --tiny-vae it is refused.
    void vaeTilingAndTinyDecoder()
    {
        const QSize size(144, 128);
        const QImage src = QImage(image()).convertToFormat(QImage::Format_RGB888).scaled(size);
        const QImage mk = QImage(mask()).convertToFormat(QImage::Format_Grayscale8).scaled(size);
        const QString in = path("tile-in.png"), mkPath = path("tile-mask.png");
        QVERIFY(src.save(in) && mk.save(mkPath));
        auto runWith = [&](const QString& name, const QStringList& extra) {
            const clitest::Result r = cli(QStringList{"--model", model("tiny-sd"), "--image", in, "--mask", mkPath, "--out",
                                                      path(name), "--steps", "3", "--seed", "11", "--region", "whole",
                                                      "--no-paste-back"} +
                                          extra);
            if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
            return r.exitCode == 0 ? QImage(path(name)) : QImage();
        };
        const QImage off = runWith("tile-off.png", {"--vae-tiling", "off"});
        const QImage on = runWith("tile-on.png", {"--vae-tiling", "on"});
        const QImage autoTiled = runWith("tile-auto.png", {});
        QVERIFY(!off.isNull() && !on.isNull() && !autoTiled.isNull());
        QCOMPARE(autoTiled, off);
        const double mean = clitest::meanPixelDiff(on, off);
        qInfo("tiled vs untiled VAE, 144x128, 64 px tiles: mean pixel difference %.2f, max %d", mean,
              clitest::maxPixelDiff(on, off));
        // Random 64 px tiles are far from the untiled result (tiled encode and decode each about
        // 12-15 % rel-L2, test_vae_golden; measured 22.7 levels here); only "it tiled, and not into
        // garbage" can be asserted. Real-size tiles: README, Speed.
        QVERIFY2(mean > 0.0 && mean < 40.0, qPrintable(QString::number(mean)));

        const QString taesd = model("tiny-taesd");
        const QImage tiny = runWith("tiny-dec.png", {"--tiny-vae", taesd, "--decoder", "tiny"});
        QVERIFY(!tiny.isNull());
        QCOMPARE(tiny.size(), size);
        QVERIFY(clitest::maxPixelDiff(tiny, off) > 0);
        const QString text = QImage(path("tiny-dec.png")).text(QStringLiteral("parameters"));
        QVERIFY2(text.contains(QStringLiteral("VAE Decoder: TAESD")), qPrintable(text));
        QVERIFY(!off.text(QStringLiteral("parameters")).isEmpty());
        QVERIFY(!off.text(QStringLiteral("parameters")).contains(QStringLiteral("VAE Decoder")));

        const clitest::Result noTiny = cli(QStringList{"--model", model("tiny-sd"), "--image", in, "--mask", mkPath,
                                                       "--out", path("x.png"), "--decoder", "tiny"});
        QCOMPARE(noTiny.exitCode, 2);
        QVERIFY2(noTiny.err.contains(QStringLiteral("--decoder tiny needs --tiny-vae DIR")), qPrintable(noTiny.err));
        const clitest::Result badTiling = cli(QStringList{"--model", model("tiny-sd"), "--image", in, "--mask", mkPath,
                                                          "--out", path("x.png"), "--vae-tiling", "sometimes"});
        QCOMPARE(badTiling.exitCode, 2);
        QVERIFY2(badTiling.err.contains(QStringLiteral("--vae-tiling")), qPrintable(badTiling.err));
    }

    void blendNextEqualsDiffusersLegacyInpaint()
    {
        checkCase({"--prompt", kPrompt, "--guidance", "7.5", "--strength", "0.75"}, "tiny-sd", "e2e_inpaint_legacy4ch",
                  "prompt_g7.5_s0.75_seeded");
    }

    void blendCurrentEqualsSimpleInpaint()
    {
        checkCase({"--prompt", kPrompt, "--guidance", "7.5", "--strength", "0.75", "--pipeline", "blend",
                   "--blend-timing", "current"},
                  "tiny-sd", "e2e_simple_inpaint", "prompt_g7.5_s0.75_seeded");
    }

    void pasteBackKeepsUnmaskedPixels()
    {
        const QString out = path("pasted.png");
        const clitest::Result r = cli({"--model", model("tiny-sd-inpaint"), "--image", image(), "--mask", mask(), "--out", out,
                           "--seed", "7", "--steps", "3", "--mask-blur", "0"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage in = QImage(image()).convertToFormat(QImage::Format_RGB888);
        const QImage res = QImage(out).convertToFormat(QImage::Format_RGB888);
        const QImage m = QImage(mask()).convertToFormat(QImage::Format_Grayscale8);
        QCOMPARE(res.size(), in.size());
        int unmaskedDiffs = 0, maskedChanged = 0;
        for (int y = 0; y < in.height(); ++y)
            for (int x = 0; x < in.width(); ++x) {
                const bool same = in.pixel(x, y) == res.pixel(x, y);
                if (m.constScanLine(y)[x] < 128) unmaskedDiffs += !same;
                else maskedChanged += !same;
            }
        QCOMPARE(unmaskedDiffs, 0);
        QVERIFY(maskedChanged > 0);
    }

    // Outpainting through a model: the canvas grows, the new strip is painted (only-masked region
    // by default), and the old picture outside the overlap band is the input's, bit for bit.
    void outpaintWithAModel()
    {
        const QString out = path("outpaint-model.png");
        const clitest::Result r =
            clitest::run({"outpaint", "--model", model("tiny-sd"), "--image", image(), "--left", "24", "--bottom", "16",
                          "--overlap", "8", "--mask-blur", "0", "--seed", "3", "--steps", "3", "--out", out},
                         300000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("wrote ") && r.out.contains("88x80"), qPrintable(r.out));
        const QImage in = QImage(image()).convertToFormat(QImage::Format_RGB888);
        const QImage res = QImage(out).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(res.size(), in.size() + QSize(24, 16));
        int oldDiffs = 0, stripSame = 0;
        for (int y = 0; y < in.height(); ++y)
            for (int x = 0; x < in.width(); ++x) {
                const bool band = x < 8 || y >= in.height() - 8;
                if (!band) oldDiffs += res.pixel(x + 24, y) != in.pixel(x, y);
            }
        for (int y = 0; y < res.height(); ++y) stripSame += res.pixel(0, y) == in.pixel(0, std::min(y, in.height() - 1));
        QCOMPARE(oldDiffs, 0);
        QVERIFY(stripSame < res.height());  // the new strip is not just the repeated edge
    }

    // Soft inpainting from the CLI: pixels the blurred mask does not reach stay the input's, the
    // soft band changes by at most its alpha, and the recipe says so.
    void softInpaintRuns()
    {
        const QString out = path("soft.png");
        const clitest::Result r = cli({"--model", model("tiny-sd"), "--image", image(), "--mask", mask(), "--out", out,
                                       "--seed", "5", "--steps", "4", "--soft-inpaint", "--mask-blur", "12"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage in = QImage(image()).convertToFormat(QImage::Format_RGB888);
        const QImage res = QImage(out).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(res.size(), in.size());
        QVERIFY2(QImage(out).text(QStringLiteral("parameters")).contains(QStringLiteral("Soft inpainting: differential diffusion")),
                 qPrintable(QImage(out).text(QStringLiteral("parameters"))));
        // The soft mask as the job makes it: the mask blurred with sigma 6 (radius 12).
        const QImage m = QImage(mask()).convertToFormat(QImage::Format_Grayscale8);
        int far = 0, farDiffs = 0, changedInside = 0;
        for (int y = 0; y < in.height(); ++y)
            for (int x = 0; x < in.width(); ++x) {
                bool nearMask = false;  // within 3 sigma of a masked pixel
                for (int dy = -19; dy <= 19 && !nearMask; ++dy)
                    for (int dx = -19; dx <= 19 && !nearMask; ++dx) {
                        const int xx = x + dx, yy = y + dy;
                        nearMask = xx >= 0 && yy >= 0 && xx < in.width() && yy < in.height() && m.constScanLine(yy)[xx] > 127;
                    }
                if (!nearMask) {
                    ++far;
                    farDiffs += res.pixel(x, y) != in.pixel(x, y);
                } else if (m.constScanLine(y)[x] > 127) {
                    changedInside += res.pixel(x, y) != in.pixel(x, y);
                }
            }
        QVERIFY(far > 0);
        QCOMPARE(farDiffs, 0);
        QVERIFY(changedInside > 0);
    }

    // Odd sizes (not a multiple of 8) and the only-masked region keep the size, and with paste-back
    // every unmasked pixel is the input's.
    void oddSizesAndMaskedRegion_data()
    {
        QTest::addColumn<QSize>("size");
        QTest::addColumn<QString>("region");
        QTest::newRow("61x47 whole") << QSize(61, 47) << "whole";
        QTest::newRow("203x150 masked") << QSize(203, 150) << "masked";
    }

    void oddSizesAndMaskedRegion()
    {
        QFETCH(QSize, size);
        QFETCH(QString, region);
        const QImage src = QImage(image()).convertToFormat(QImage::Format_RGB888).scaled(size);
        QImage m(size, QImage::Format_Grayscale8);
        m.fill(0);
        for (int y = size.height() / 3; y < size.height() / 2; ++y)
            for (int x = size.width() / 4; x < size.width() / 2; ++x) m.scanLine(y)[x] = 255;
        const QString in = path(QStringLiteral("odd-%1.png").arg(size.width()));
        const QString mk = path(QStringLiteral("odd-%1-mask.png").arg(size.width()));
        const QString out = path(QStringLiteral("odd-%1-out.png").arg(size.width()));
        QVERIFY(src.save(in) && m.save(mk));
        const clitest::Result r = cli({"--model", model("tiny-sd"), "--image", in, "--mask", mk, "--out", out, "--steps", "3",
                           "--seed", "5", "--mask-blur", "0", "--region", region, "--region-padding", "8"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage res = QImage(out).convertToFormat(QImage::Format_RGB888);
        QCOMPARE(res.size(), size);
        int outside = 0, inside = 0;
        for (int y = 0; y < size.height(); ++y)
            for (int x = 0; x < size.width(); ++x) {
                const bool same = res.pixel(x, y) == src.pixel(x, y);
                if (m.constScanLine(y)[x]) inside += !same;
                else outside += !same;
            }
        QCOMPARE(outside, 0);
        QVERIFY(inside > 0);
    }

    void previewDirHasOnePngPerStep()
    {
        const QString dir = path("previews");
        const clitest::Result r = cli({"--model", model("tiny-sd"), "--image", image(), "--mask", mask(), "--out", path("p.png"),
                           "--steps", "4", "--scheduler", "euler", "--preview-dir", dir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList files = QDir(dir).entryList({"*.png"}, QDir::Files, QDir::Name);
        QCOMPARE(files, (QStringList{"step-001.png", "step-002.png", "step-003.png", "step-004.png"}));
        QCOMPARE(QImage(QDir(dir).filePath(files.last())).size(), QSize(64, 64));
    }

    // --tiny-vae: step previews decoded by TAESD (the default preview with it); the result is the
    // same image as without it; a folder that is not a TAESD is refused naming it.
    void tinyVaePreviews()
    {
        const QString taesd = model("tiny-taesd");
        const QStringList run{"--model", model("tiny-sd"), "--image", image(), "--mask", mask(), "--steps", "3",
                              "--scheduler", "euler", "--seed", "9"};
        clitest::Result r = cli(run + QStringList{"--out", path("tiny.png"), "--preview-dir", path("tiny"), "--tiny-vae", taesd});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = cli(run + QStringList{"--out", path("approx.png"), "--preview-dir", path("approx")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(clitest::maxPixelDiff(QImage(path("tiny.png")), QImage(path("approx.png"))), 0);
        const QStringList files = QDir(path("tiny")).entryList({"*.png"}, QDir::Files, QDir::Name);
        QCOMPARE(files, (QStringList{"step-001.png", "step-002.png", "step-003.png"}));
        const QImage tinyStep(QDir(path("tiny")).filePath("step-001.png")), approxStep(QDir(path("approx")).filePath("step-001.png"));
        QCOMPARE(tinyStep.size(), QSize(64, 64));
        QVERIFY(clitest::maxPixelDiff(tinyStep, approxStep) > 0);  // another decoder drew it
        // tiny-half: the same result; full-size step previews drawn from the pooled latents.
        r = cli(run + QStringList{"--out", path("half.png"), "--preview", "tiny-half", "--preview-dir", path("half"),
                                  "--tiny-vae", taesd});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(clitest::maxPixelDiff(QImage(path("half.png")), QImage(path("tiny.png"))), 0);
        const QImage halfStep(QDir(path("half")).filePath("step-001.png"));
        QCOMPARE(halfStep.size(), QSize(64, 64));
        QVERIFY(clitest::maxPixelDiff(halfStep, tinyStep) > 0);

        r = cli(run + QStringList{"--out", path("never.png"), "--tiny-vae", model("tiny-sd") + "/vae"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("tiny VAE") && r.err.contains("AutoencoderTiny"), qPrintable(r.err));
        QVERIFY(!QFile::exists(path("never.png")));
        r = cli(run + QStringList{"--out", path("never.png"), "--preview", "tiny", "--preview-dir", path("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--tiny-vae"), qPrintable(r.err));
        r = cli(run + QStringList{"--out", path("never.png"), "--preview", "tiny-half", "--preview-dir", path("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--tiny-vae"), qPrintable(r.err));
    }

    // With the full (VAE) preview decoder, the last step's preview is the final image: equal inside
    // the mask (outside it the preview is composited over the original).
    void lastFullPreviewIsTheResult()
    {
        const QString dir = path("full-previews");
        const QString out = path("full.png");
        const clitest::Result r = cli({"--model", model("tiny-sd-inpaint"), "--image", image(), "--mask", mask(), "--out", out,
                           "--steps", "3", "--scheduler", "pndm", "--preview", "full", "--preview-dir", dir,
                           "--no-paste-back"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList files = QDir(dir).entryList({"*.png"}, QDir::Files, QDir::Name);
        QVERIFY(!files.isEmpty());
        const QImage last = QImage(QDir(dir).filePath(files.last())).convertToFormat(QImage::Format_RGB888);
        const QImage result = QImage(out).convertToFormat(QImage::Format_RGB888);
        const QImage m = QImage(mask()).convertToFormat(QImage::Format_Grayscale8);
        int inside = 0, differ = 0;
        for (int y = 0; y < m.height(); ++y)
            for (int x = 0; x < m.width(); ++x)
                if (m.constScanLine(y)[x] >= 128) {
                    ++inside;
                    differ += last.pixel(x, y) != result.pixel(x, y);
                }
        QVERIFY(inside > 0);
        QCOMPARE(differ, 0);
    }

    void everySchedulerRunsOnBothModels()
    {
        for (const char* m : {"tiny-sd", "tiny-sd-inpaint"}) {
            for (const char* s :
                 {"default", "ddim", "pndm", "euler", "euler-a", "dpmpp-2m", "dpmpp-2m-karras", "lms", "lcm"}) {
                const QString out = path(QStringLiteral("%1-%2.png").arg(m, s));
                const clitest::Result r = cli({"--model", model(m), "--image", image(), "--mask", mask(), "--out", out, "--steps",
                                   "4", "--seed", "3", "--scheduler", s, "--guidance", "3"});
                QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(QStringLiteral("%1 %2: %3").arg(m, s, r.err)));
                QCOMPARE(QImage(out).size(), QSize(64, 64));
            }
        }
    }

    void sameSeedSameImage()
    {
        const QStringList base{"--model", model("tiny-sd"), "--image", image(), "--mask", mask(), "--steps", "3",
                               "--seed", "99", "--scheduler", "euler-a"};
        QCOMPARE(cli(base + QStringList{"--out", path("a.png")}).exitCode, 0);
        QCOMPARE(cli(base + QStringList{"--out", path("b.png")}).exitCode, 0);
        QCOMPARE(QImage(path("a.png")), QImage(path("b.png")));
    }

    void emptyMaskGivesTheInput()
    {
        QImage empty(64, 64, QImage::Format_Grayscale8);
        empty.fill(0);
        QVERIFY(empty.save(path("empty.png")));
        const clitest::Result r = cli({"--model", model("tiny-sd"), "--image", image(), "--mask", path("empty.png"), "--out",
                           path("same.png"), "--steps", "3"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QImage(path("same.png")).convertToFormat(QImage::Format_RGB888),
                 QImage(image()).convertToFormat(QImage::Format_RGB888));
    }

    void allWhiteMaskRuns()
    {
        QImage white(64, 64, QImage::Format_Grayscale8);
        white.fill(255);
        QVERIFY(white.save(path("white.png")));
        const clitest::Result r = cli({"--model", model("tiny-sd-inpaint"), "--image", image(), "--mask", path("white.png"), "--out",
                           path("white-out.png"), "--steps", "2"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QImage(path("white-out.png")).size(), QSize(64, 64));
    }

    void badSettingsFailCleanly_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("needle");
        const QString sd = model("tiny-sd");
        QTest::newRow("unknown scheduler") << QStringList{"--model", sd, "--scheduler", "heun"} << 2 << "--scheduler";
        QTest::newRow("steps 0") << QStringList{"--model", sd, "--steps", "0"} << 2 << "--steps";
        QTest::newRow("steps 10000") << QStringList{"--model", sd, "--steps", "10000"} << 2 << "--steps";
        QTest::newRow("strength 0") << QStringList{"--model", sd, "--strength", "0"} << 2 << "--strength";
        QTest::newRow("strength 1.5") << QStringList{"--model", sd, "--strength", "1.5"} << 2 << "--strength";
        QTest::newRow("guidance -1") << QStringList{"--model", sd, "--guidance", "-1"} << 2 << "--guidance";
        QTest::newRow("seed 2^64") << QStringList{"--model", sd, "--seed", "18446744073709551616"} << 2 << "--seed";
        QTest::newRow("seed -1") << QStringList{"--model", sd, "--seed", "-1"} << 2 << "--seed";
        QTest::newRow("blend without model") << QStringList{"--pipeline", "blend"} << 2 << "--model";
        QTest::newRow("4-channel inpaint-unet") << QStringList{"--model", sd, "--pipeline", "inpaint-unet"} << 1
                                                << "inpainting checkpoint";
        QTest::newRow("missing model folder") << QStringList{"--model", path("nope")} << 1 << "nope";
        QTest::newRow("bad device") << QStringList{"--model", sd, "--device", "tpu"} << 2 << "--device";
        QTest::newRow("bad region") << QStringList{"--model", sd, "--region", "half"} << 2 << "--region";
    }

    void badSettingsFailCleanly()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, needle);
        const QString out = path("never.png");
        QStringList all{"--image", image(), "--mask", mask(), "--out", out};
        if (!args.contains("--steps")) all << "--steps" << "2";
        const clitest::Result r = cli(all + args);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, code);
        const QStringList lines = r.err.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.first().contains(needle), qPrintable(lines.first()));
        QVERIFY(!QFileInfo::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestCliRunModels)
#include "test_cli_run_models.moc"
