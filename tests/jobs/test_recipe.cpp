// Recipe text in AUTOMATIC1111's `parameters` format: the exact text for a known request, a round
// trip through format/parse, a text written by A1111 itself, quoting, a PNG round trip through
// saveImage/readImageParameters, and texts that are not recipes.
#include "core/imaging/image_io.h"
#include "core/jobs/recipe.h"

#include <QTemporaryDir>
#include <QTest>

using namespace inpaint::jobs;

class TestRecipe : public QObject {
    Q_OBJECT
    static InpaintRequest sample()
    {
        InpaintRequest r;
        r.pipeline = PipelineKind::Blend;
        r.prompt = QStringLiteral("a red cat, sitting");
        r.negativePrompt = QStringLiteral("blurry");
        r.scheduler = QStringLiteral("euler-a");
        r.steps = 25;
        r.guidance = 6.5;
        r.strength = 0.8;
        r.seed = 12345678901ULL;
        r.maskBlur = 4;
        r.maskGrow = -3;
        r.region = RegionMode::Masked;
        r.regionPadding = 40;
        r.maskedContent = MaskedContent::Fill;
        r.blendTiming = BlendTiming::Current;
        return r;
    }

private slots:
    void seedOf63BitsSurvivesTheRoundTrip()
    {
        InpaintRequest a = sample();
        a.seed = 9223372036854775807ULL;  // 2^63 - 1
        InpaintRequest b;
        b.randomSeed = true;
        QVERIFY(parseParameters(formatParameters(a, QSize(64, 64), QString()), &b));
        QCOMPARE(b.seed, quint64(9223372036854775807ULL));
        QVERIFY(!b.randomSeed);  // a recipe replays its own seed
        a.seed = 18446744073709551615ULL;  // the largest seed
        QVERIFY(parseParameters(formatParameters(a, QSize(64, 64), QString()), &b));
        QCOMPARE(b.seed, quint64(18446744073709551615ULL));
    }

    void extraKeysEndTheSettingsLine()
    {
        const QString text = formatParameters(sample(), QSize(64, 64), QString(),
                                              {{QStringLiteral("Slot 1"), QStringLiteral("tiny-sd · blend")}});
        QVERIFY2(text.endsWith(QStringLiteral(", Slot 1: tiny-sd · blend")), qPrintable(text));
        InpaintRequest b;
        QVERIFY(parseParameters(text, &b));
        QCOMPARE(b.steps, 25);
    }

    void exactText()
    {
        QCOMPARE(formatParameters(sample(), QSize(640, 480), QStringLiteral("sd15")),
                 QStringLiteral("a red cat, sitting\nNegative prompt: blurry\nSteps: 25, Sampler: Euler a, CFG scale: 6.5, "
                                "Seed: 12345678901, Size: 640x480, Model: sd15, Denoising strength: 0.8, Mask blur: 4, "
                                "Mask grow: -3, Inpaint area: Only masked, Masked area padding: 40, "
                                "Masked content: fill, Pipeline: blend, Blend timing: current"));
    }

    void roundTrip()
    {
        const InpaintRequest a = sample();
        InpaintRequest b;
        QString model;
        QVERIFY(parseParameters(formatParameters(a, QSize(64, 64), QStringLiteral("my, model")), &b, &model));
        QCOMPARE(model, QStringLiteral("my, model"));
        QCOMPARE(b.prompt, a.prompt);
        QCOMPARE(b.negativePrompt, a.negativePrompt);
        QCOMPARE(b.scheduler, a.scheduler);
        QCOMPARE(b.steps, a.steps);
        QCOMPARE(b.guidance, a.guidance);
        QCOMPARE(b.strength, a.strength);
        QCOMPARE(b.seed, a.seed);
        QCOMPARE(b.maskBlur, a.maskBlur);
        QCOMPARE(b.maskGrow, a.maskGrow);
        QCOMPARE(b.region, a.region);
        QCOMPARE(b.regionPadding, a.regionPadding);
        QCOMPARE(b.maskedContent, a.maskedContent);
        QCOMPARE(b.blendTiming, a.blendTiming);
        QCOMPARE(int(b.pipeline), int(a.pipeline));
        QVERIFY(b.pasteBack);
    }

    void readsA1111Text()
    {
        const QString text = QStringLiteral(
            "masterpiece, a cozy cabin\nin the woods\nNegative prompt: lowres, bad anatomy\n"
            "Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 3141592653, Size: 512x768, "
            "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Denoising strength: 0.75, Mask blur: 8, "
            "Inpaint area: Whole picture, Masked content: latent noise, Version: v1.6.0");
        InpaintRequest r;
        QString model;
        QVERIFY(parseParameters(text, &r, &model));
        QCOMPARE(r.prompt, QStringLiteral("masterpiece, a cozy cabin\nin the woods"));
        QCOMPARE(r.negativePrompt, QStringLiteral("lowres, bad anatomy"));
        QCOMPARE(r.steps, 20);
        QCOMPARE(r.scheduler, QStringLiteral("dpmpp-2m-karras"));
        QCOMPARE(r.guidance, 7.0);
        QCOMPARE(r.seed, quint64(3141592653ULL));
        QCOMPARE(r.strength, 0.75);
        QCOMPARE(r.maskBlur, 8.0);
        QCOMPARE(r.region, RegionMode::Whole);
        QCOMPARE(r.maskedContent, MaskedContent::LatentNoise);
        QCOMPARE(int(r.pipeline), int(PipelineKind::Auto));
        QCOMPARE(model, QStringLiteral("v1-5-pruned-emaonly"));
    }

    void notARecipe()
    {
        InpaintRequest r = sample();
        QVERIFY(!parseParameters(QString(), &r));
        QVERIFY(!parseParameters(QStringLiteral("just a comment, nothing more"), &r));
        QCOMPARE(r.prompt, sample().prompt);  // unchanged
    }

    void classicalRecipe()
    {
        InpaintRequest c;
        c.pipeline = PipelineKind::ClassicalNS;
        c.classicalRadius = 9;
        InpaintRequest back;
        QVERIFY(parseParameters(formatParameters(c, QSize(10, 10), QString()), &back));
        QCOMPARE(int(back.pipeline), int(PipelineKind::ClassicalNS));
        QCOMPARE(back.classicalRadius, 9);
    }

    void pngRoundTrip()
    {
        QTemporaryDir dir;
        QImage img(16, 8, QImage::Format_RGB888);
        img.fill(Qt::red);
        const QString text = formatParameters(sample(), img.size(), QStringLiteral("ünïcode model"));
        const QString path = dir.filePath(QStringLiteral("r.png"));
        QString err;
        QVERIFY2(inpaint::imaging::saveImage(img, path, &err, 95, text), qPrintable(err));
        QCOMPARE(inpaint::imaging::readImageParameters(path), text);
        // Pixels are unchanged by the text chunk; other formats carry no recipe.
        const QImage loaded = inpaint::imaging::loadImage(path, &err);
        QCOMPARE(loaded.convertToFormat(QImage::Format_RGB888), img);
        QCOMPARE(loaded.text(QStringLiteral("parameters")), text);  // what the editor offers to restore
        const QString jpg = dir.filePath(QStringLiteral("r.jpg"));
        QVERIFY(inpaint::imaging::saveImage(img, jpg, &err, 95, text));
        QVERIFY(inpaint::imaging::readImageParameters(jpg).isEmpty());
        QVERIFY(inpaint::imaging::readImageParameters(dir.filePath(QStringLiteral("missing.png"))).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestRecipe)
#include "test_recipe.moc"
