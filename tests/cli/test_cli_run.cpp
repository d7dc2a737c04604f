// inpaint-cli run, end to end through the built binary: success on every document format
// with unmasked pixels bit-identical, and every bad input of issue 2 (missing, truncated,
// zero-size and oversized images, mask size mismatch, empty and all-white masks, unwritable
// outputs, usage errors). Every run checks that the input and mask files are untouched, that a
// failure prints exactly one line and writes no output.
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "tests/common/cli_runner.h"
#include "tests/imaging/test_images.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace inpaint::imaging;

namespace {

QImage diskMask(QSize size, QPoint c, int r)
{
    QImage m = emptyMask(size);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x)
            if ((x - c.x()) * (x - c.x()) + (y - c.y()) * (y - c.y()) <= r * r) m.scanLine(y)[x] = 255;
    return m;
}

bool unmaskedIdentical(const QImage& a, const QImage& b, const QImage& mask)
{
    if (a.size() != b.size() || a.format() != b.format()) return false;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            if (!mask.constScanLine(y)[x] && !testimg::samePixel(a, b, x, y)) return false;
    return true;
}

bool someMaskedPixelChanged(const QImage& a, const QImage& b, const QImage& mask)
{
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x)
            if (mask.constScanLine(y)[x] && !testimg::samePixel(a, b, x, y)) return true;
    return false;
}

}  // namespace

class TestCliRun : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_image;  // 120x80 RGB PNG
    QString m_mask;   // its mask: a disk
    QString path(const QString& n) const { return m_dir.filePath(n); }

private slots:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(clitest::binary()).isExecutable(), qPrintable(clitest::binary()));
        m_image = path("photo.png");
        m_mask = path("photo-mask.png");
        QString err;
        QVERIFY(saveImage(testimg::makeImage({120, 80}, QImage::Format_RGB888), m_image, &err));
        QVERIFY(saveImage(diskMask({120, 80}, {60, 40}, 10), m_mask, &err));
    }

    // ---- success ----------------------------------------------------------------------

    void inpaintsEveryFormat_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<QString>("inExt");
        QTest::addColumn<QString>("outExt");
        QTest::addColumn<QString>("pipeline");
        QTest::newRow("RGB8 png telea") << int(QImage::Format_RGB888) << "png" << "png" << "classical-telea";
        QTest::newRow("RGB8 png ns") << int(QImage::Format_RGB888) << "png" << "png" << "classical-ns";
        QTest::newRow("grey8 bmp->png") << int(QImage::Format_Grayscale8) << "bmp" << "png" << "classical-telea";
        QTest::newRow("grey16 png->tif") << int(QImage::Format_Grayscale16) << "png" << "tif" << "classical-ns";
        QTest::newRow("RGBA8 png->png") << int(QImage::Format_RGBA8888) << "png" << "png" << "classical-telea";
        QTest::newRow("RGBA8 webp->webp") << int(QImage::Format_RGBA8888) << "webp" << "png" << "classical-telea";
        QTest::newRow("RGB16 tif->png") << int(QImage::Format_RGBX64) << "tif" << "png" << "classical-telea";
        QTest::newRow("RGBA16 png->tiff") << int(QImage::Format_RGBA64) << "png" << "tiff" << "classical-ns";
        QTest::newRow("RGB8 jpg->png") << int(QImage::Format_RGB888) << "jpg" << "png" << "classical-telea";
    }

    void inpaintsEveryFormat()
    {
        QFETCH(int, format);
        QFETCH(QString, inExt);
        QFETCH(QString, outExt);
        QFETCH(QString, pipeline);
        const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(QRegularExpression("[^a-z0-9]+", QRegularExpression::CaseInsensitiveOption), "_");
        const QString in = path("in_" + tag + "." + inExt);
        const QString out = path("out_" + tag + "." + outExt);
        QString err;
        QVERIFY(saveImage(testimg::makeImage({90, 70}, QImage::Format(format), 3), in, &err, 100));
        const QImage mask = diskMask({90, 70}, {45, 35}, 8);
        const QString maskFile = path("mask_" + tag + ".png");
        QVERIFY(saveImage(mask, maskFile, &err));

        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", in, "--mask", maskFile, "--out", out, "--pipeline", pipeline, "--radius", "4"}),
                in, maskFile, out);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.startsWith("wrote "));

        const QImage input = loadImage(in, &err);   // what the CLI decoded
        const QImage output = loadImage(out, &err);
        QVERIFY2(!output.isNull(), qPrintable(err));
        QCOMPARE(output.format(), input.format());  // bit depth and alpha kept
        QVERIFY(unmaskedIdentical(output, input, mask));
        QVERIFY(someMaskedPixelChanged(output, input, mask));
        // A PNG carries the recipe, in the A1111 form the editor's Save writes.
        if (outExt == "png") {
            const QString text = readImageParameters(out);
            QVERIFY2(text.contains("Steps: 0, Pipeline: " + pipeline + ", Radius: 4, Size: 90x70"), qPrintable(text));
        }
    }

    void emptyMaskGivesInputPixels()
    {
        const QString mask = path("empty-mask.png");
        const QString out = path("empty-out.png");
        QString err;
        QVERIFY(saveImage(emptyMask({120, 80}), mask, &err));
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", mask, "--out", out}), m_image, mask, out);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("empty mask"));
        QVERIFY(testimg::samePixels(loadImage(out, &err), loadImage(m_image, &err)));
    }

    void allWhiteMaskIsAClearError()
    {
        const QString mask = path("white-mask.png");
        const QString out = path("white-out.png");
        QString err;
        QImage white = emptyMask({120, 80});
        white.fill(255);
        QVERIFY(saveImage(white, mask, &err));
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", mask, "--out", out}), m_image, mask, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("whole image"), qPrintable(r.err));
    }

    // ---- outpaint ----------------------------------------------------------------------

    void outpaintExtendsAndPaintsTheNewArea()
    {
        const QString out = path("outpaint.png");
        const QString maskOut = path("outpaint-mask.png");
        const clitest::Result r = clitest::run({"outpaint", "--image", m_image, "--right", "40", "--top", "8", "--prefill",
                                                "telea", "--overlap", "6", "--pipeline", "classical-telea", "--out", out,
                                                "--mask-out", maskOut});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.isEmpty(), qPrintable(r.err));
        QString err;
        const QImage res = loadImage(out, &err);
        const QImage mask = loadImage(maskOut, &err).convertToFormat(QImage::Format_Grayscale8);
        const QImage in = loadImage(m_image, &err);
        QCOMPARE(res.size(), QSize(160, 88));
        QCOMPARE(mask.size(), QSize(160, 88));
        // The old picture sits at (0, 8); outside the overlap band it is the input, bit for bit.
        const QImage old = res.copy(0, 8, 120, 80);
        for (int y = 0; y < 80; ++y)
            for (int x = 0; x < 120; ++x) {
                const bool band = x >= 114 || y < 6;
                QCOMPARE(mask.constScanLine(y + 8)[x] != 0, band);
                if (!band) QVERIFY(testimg::samePixel(old, in, x, y));
            }
        QCOMPARE(maskCoverage(mask), qint64(160 * 88 - 114 * 74));
    }

    void outpaintBadInputs_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("needle");
        QTest::newRow("zero") << QStringList{"--left", "0"} << 1 << "Nothing to extend";
        QTest::newRow("negative") << QStringList{"--left", "-5"} << 1 << "--left";
        QTest::newRow("over the limit") << QStringList{"--right", "65000", "--bottom", "65000"} << 1 << "limit";
        QTest::newRow("bad prefill") << QStringList{"--right", "8", "--prefill", "mirror"} << 1 << "--prefill";
        QTest::newRow("mask given") << QStringList{"--right", "8", "--mask", "x.png"} << 2 << "--mask is not used";
    }
    void outpaintBadInputs()
    {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, needle);
        const QString out = path("outpaint-bad.png");
        const clitest::Result r = clitest::run(QStringList{"outpaint", "--image", m_image, "--pipeline", "classical-telea",
                                                           "--out", out} + args);
        QCOMPARE(r.exitCode, code);
        QCOMPARE(r.errLines().size(), 1);
        QVERIFY2(r.err.contains(needle), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
    }

    // ---- batch ------------------------------------------------------------------------

    void batchPairsByNameReportsFailuresAndResumes()
    {
        QDir root(path("batch"));
        QVERIFY(QDir().mkpath(root.filePath("images")) && QDir().mkpath(root.filePath("masks")));
        const QString images = root.filePath("images"), masks = root.filePath("masks"), outDir = root.filePath("out");
        QString err;
        const QImage img = testimg::makeImage({48, 32}, QImage::Format_RGB888);
        const QImage m = diskMask({48, 32}, {20, 16}, 6);
        QVERIFY(saveImage(img, images + "/a.png", &err) && saveImage(m, masks + "/a.png", &err));
        QVERIFY(saveImage(img, images + "/b.jpg", &err) && saveImage(m, masks + "/b_mask.png", &err));
        QVERIFY(saveImage(img, images + "/c.png", &err));  // no mask yet
        QVERIFY(saveImage(m, masks + "/orphan.png", &err));
        {
            QFile bad(images + "/e.png");  // not an image
            QVERIFY(bad.open(QIODevice::WriteOnly));
            bad.write("this is not a PNG");
        }
        QVERIFY(saveImage(m, masks + "/e-mask.png", &err));
        const QStringList args{"batch", "--images", images, "--masks", masks, "--out", outDir, "--pipeline", "classical-ns"};
        clitest::Result r = clitest::run(args);
        QVERIFY2(!r.crashed, qPrintable(r.err));
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.out.contains("[1/4] a: wrote a.png"), qPrintable(r.out));
        QVERIFY2(r.out.contains("left"), qPrintable(r.out));  // time left
        QVERIFY2(r.out.contains("batch: 2 written, 0 skipped (already done), 2 failed, of 4 images"), qPrintable(r.out));
        QVERIFY2(r.out.contains("orphan.png"), qPrintable(r.out));
        QCOMPARE(r.errLines().size(), 2);
        QVERIFY2(r.errLines().at(0).contains("c.png: no mask named c.*"), qPrintable(r.err));
        QVERIFY2(r.errLines().at(1).startsWith("inpaint-cli batch: e.png:"), qPrintable(r.err));
        const QImage a = loadImage(outDir + "/a.png", &err);
        QCOMPARE(a.size(), QSize(48, 32));
        QVERIFY(unmaskedIdentical(a, img, m) && someMaskedPixelChanged(a, img, m));
        QVERIFY(a.text("parameters").contains("classical-ns"));
        QVERIFY(QFileInfo::exists(outDir + "/b.png"));
        QVERIFY(!QFileInfo::exists(outDir + "/c.png") && !QFileInfo::exists(outDir + "/e.png"));
        QCOMPARE(QDir(outDir).entryList(QDir::Files).size(), 2);  // no temp files left

        // Resume: a and b are skipped, c now has its mask.
        QVERIFY(saveImage(m, masks + "/c.png", &err));
        const QDateTime aTime = QFileInfo(outDir + "/a.png").lastModified();
        r = clitest::run(args);
        QCOMPARE(r.exitCode, 1);  // e is still unreadable
        QVERIFY2(r.out.contains("[1/4] a: skipped"), qPrintable(r.out));
        QVERIFY2(r.out.contains("batch: 1 written, 2 skipped (already done), 1 failed, of 4 images"), qPrintable(r.out));
        QCOMPARE(QFileInfo(outDir + "/a.png").lastModified(), aTime);
        QVERIFY(QFileInfo::exists(outDir + "/c.png"));

        QFile::remove(images + "/e.png");
        r = clitest::run(args);
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("0 written, 3 skipped"), qPrintable(r.out));
        QVERIFY(r.err.isEmpty());
    }

    void batchUsageErrors()
    {
        clitest::Result r = clitest::run({"batch", "--images", path("nope"), "--masks", path("nope"), "--out", path("o")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("is not a folder"), qPrintable(r.err));
        QVERIFY(QDir().mkpath(path("empty-images")));
        r = clitest::run({"batch", "--images", path("empty-images"), "--masks", path("empty-images"), "--out", path("o2")});
        QVERIFY(r.exitCode != 0);
        QCOMPARE(r.errLines().size(), 1);
    }

    void maskOfAnotherSize()
    {
        const QString mask = path("small-mask.png");
        const QString out = path("resized-out.png");
        QString err;
        QVERIFY(saveImage(diskMask({60, 40}, {30, 20}, 5), mask, &err));
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", mask, "--out", out}), m_image, mask, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("60x40") && r.err.contains("120x80") && r.err.contains("--resize-mask"), qPrintable(r.err));

        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", mask, "--out", out, "--resize-mask"}), m_image, mask, out);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage big = resizeMask(loadMask(mask, {}, false, &err), {120, 80});
        const QImage output = loadImage(out, &err);
        QCOMPARE(output.size(), QSize(120, 80));
        QVERIFY(unmaskedIdentical(output, loadImage(m_image, &err), big));
        QVERIFY(someMaskedPixelChanged(output, loadImage(m_image, &err), big));
    }

    // ---- bad images -------------------------------------------------------------------

    void missingFiles()
    {
        const QString out = path("missing-out.png");
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", path("no-such.png"), "--mask", m_mask, "--out", out}), m_image, m_mask, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no-such.png") && r.err.contains("does not exist"), qPrintable(r.err));
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", path("no-mask.png"), "--out", out}), m_image, m_mask, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no-mask.png"), qPrintable(r.err));
    }

    void unreadableImages_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expect");
        QString err;
        const QImage img = testimg::makeImage({120, 80}, QImage::Format_RGB888);
        for (const char* ext : {"png", "jpg", "webp", "bmp", "tif"}) {
            const QString full = path(QStringLiteral("whole.%1").arg(ext));
            QVERIFY(saveImage(img, full, &err));
            const QByteArray b = testimg::readBytes(full);
            QTest::addRow("truncated %s", ext) << QStringLiteral("cut.%1").arg(ext) << b.left(b.size() / 2) << QString();
        }
        QTest::newRow("garbage") << "garbage.png" << QByteArray("definitely not a picture ").repeated(40) << "supported format";
        QTest::newRow("zero bytes") << "zero.png" << QByteArray() << "empty";
        QTest::newRow("zero size header") << "zero-size.png" << testimg::pngHeaderOnly(0, 0) << "zero size";
        QTest::newRow("20001x20001") << "huge.png" << testimg::pngHeaderOnly(20001, 20001) << "20001x20001";
        QTest::newRow("20000x20000 header only") << "limit.png" << testimg::pngHeaderOnly(20000, 20000) << QString();
    }

    void unreadableImages()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expect);
        const QString in = path(name);
        QVERIFY(testimg::writeBytes(in, bytes));
        const QString out = path("bad-out.png");
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", in, "--mask", m_mask, "--out", out}), in, m_mask, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(name), qPrintable(r.err));
        if (!expect.isEmpty()) QVERIFY2(r.err.contains(expect), qPrintable(r.err));
        // A broken mask file is reported the same way.
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", in, "--out", out}), m_image, in, out);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(name), qPrintable(r.err));
    }

    // ---- outputs ----------------------------------------------------------------------

    void unwritableOutputs()
    {
        clitest::Result r;
        const QString missing = path("no/such/folder/out.png");
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", m_mask, "--out", missing}), m_image, m_mask, missing);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("out.png") && r.err.contains("does not exist"), qPrintable(r.err));

        QVERIFY(testimg::writeBytes(path("a-file"), "x"));
        const QString underFile = path("a-file/out.png");
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", m_mask, "--out", underFile}), m_image, m_mask, underFile);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("not a folder"), qPrintable(r.err));

        // A read-only folder. Root ignores permission bits, so when chmod does not stop us
        // from writing, use /proc, where nobody can create files.
        const QString ro = path("read-only");
        QVERIFY(QDir().mkpath(ro));
        QVERIFY(QFile::setPermissions(ro, QFile::ReadOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup));
        const bool chmodWorks = !testimg::writeBytes(ro + "/probe", "x");
        const QString roOut = chmodWorks ? ro + "/out.png" : QStringLiteral("/proc/inpaint-cli-test-out.png");
        CLI_RUN(r, (QStringList{"--image", m_image, "--mask", m_mask, "--out", roOut}), m_image, m_mask, roOut);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains(roOut) || r.err.contains(QFileInfo(roOut).fileName()), qPrintable(r.err));
        QFile::setPermissions(ro, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        qInfo("read-only folder tested with %s", qPrintable(chmodWorks ? QStringLiteral("chmod 0550") : roOut));
    }

    void neverOverwritesInputsSilently()
    {
        const QString in = path("precious.png");
        QVERIFY(QFile::copy(m_image, in));
        const QByteArray before = clitest::fileHash(in);
        clitest::Result r = clitest::run({"run", "--image", in, "--mask", m_mask, "--out", in});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--overwrite"), qPrintable(r.err));
        QCOMPARE(clitest::fileHash(in), before);
        // The same file through another spelling of its path.
        r = clitest::run({"run", "--image", in, "--mask", m_mask, "--out", m_dir.path() + "/./precious.png"});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(clitest::fileHash(in), before);
        // The mask is protected too.
        const QString mask = path("precious-mask.png");
        QVERIFY(QFile::copy(m_mask, mask));
        r = clitest::run({"run", "--image", in, "--mask", mask, "--out", mask});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(clitest::fileHash(mask), clitest::fileHash(m_mask));

        // Asked for explicitly: replaced, and only the masked pixels change.
        QString err;
        const QImage original = loadImage(in, &err);
        r = clitest::run({"run", "--image", in, "--mask", m_mask, "--out", in, "--overwrite"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage replaced = loadImage(in, &err);
        const QImage m = loadMask(m_mask, {}, false, &err);
        QVERIFY(unmaskedIdentical(replaced, original, m));
        QVERIFY(someMaskedPixelChanged(replaced, original, m));
    }

    // ---- usage errors -----------------------------------------------------------------

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("expect");
        const QString out = path("usage-out.png");
        const QStringList base{"--image", "IMG", "--mask", "MASK", "--out", out};
        QTest::newRow("nothing") << QStringList{} << "missing --image";
        QTest::newRow("no out") << QStringList{"--image", "IMG", "--mask", "MASK"} << "missing --out";
        QTest::newRow("unknown option") << (base + QStringList{"--frobnicate"}) << "unknown option '--frobnicate'";
        QTest::newRow("value missing at end") << (base + QStringList{"--radius"}) << "needs a value";
        QTest::newRow("value swallowed") << QStringList{"--image", "--mask", "MASK", "--out", out} << "needs a value";
        QTest::newRow("radius 0") << (base + QStringList{"--radius", "0"}) << "--radius";
        QTest::newRow("radius 101") << (base + QStringList{"--radius=101"}) << "--radius";
        QTest::newRow("radius text") << (base + QStringList{"--radius", "abc"}) << "--radius";
        QTest::newRow("unknown pipeline") << (base + QStringList{"--pipeline", "magic"}) << "unknown pipeline";
        QTest::newRow("neural pipeline") << (base + QStringList{"--pipeline", "blend"}) << "model";
        QTest::newRow("bad extension") << QStringList{"--image", "IMG", "--mask", "MASK", "--out", path("x.gif")} << ".png";
        QTest::newRow("repeated") << (base + QStringList{"--radius", "3", "--radius", "4"}) << "more than once";
        QTest::newRow("positional") << (base + QStringList{"stray"}) << "unexpected argument";
        QTest::newRow("flag with value") << (base + QStringList{"--resize-mask=yes"}) << "takes no value";
    }

    void usageErrors()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, expect);
        for (QString& a : args) {
            if (a == "IMG") a = m_image;
            if (a == "MASK") a = m_mask;
        }
        const QString out = path("usage-out.png");
        clitest::Result r;
        CLI_RUN(r, args, m_image, m_mask, out);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(expect), qPrintable(r.err));
    }

    void help()
    {
        clitest::Result r = clitest::run({"run", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("--resize-mask") && r.out.contains("--pipeline"));
        r = clitest::run({});
        QCOMPARE(r.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestCliRun)
#include "test_cli_run.moc"
