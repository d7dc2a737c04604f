// Image I/O: document formats, lossless round trips (8/16-bit, grey/RGB/RGBA), EXIF
// orientation, lossy formats, masks, and every kind of bad file.
#include "core/imaging/image_io.h"
#include "tests/imaging/test_images.h"

#include <QBuffer>
#include <QDir>
#include <QImageReader>
#include <QImageWriter>
#include <QTemporaryDir>
#include <QTest>

using namespace inpaint::imaging;

class TestImageIo : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString path(const QString& name) const { return m_dir.filePath(name); }

private slots:
    void pluginsPresent()
    {
        // The formats the product promises; WebP and TIFF come from qt6-image-formats-plugins.
        const auto r = QImageReader::supportedImageFormats();
        const auto w = QImageWriter::supportedImageFormats();
        for (const char* f : {"png", "jpeg", "webp", "tiff", "bmp"}) {
            QVERIFY2(r.contains(f), f);
            QVERIFY2(w.contains(f), f);
        }
    }

    void documentFormats()
    {
        QVERIFY(isDocumentFormat(QImage::Format_Grayscale8));
        QVERIFY(isDocumentFormat(QImage::Format_RGBA64));
        QVERIFY(!isDocumentFormat(QImage::Format_ARGB32));
        QVERIFY(!isDocumentFormat(QImage::Format_Indexed8));
        QCOMPARE(documentFormatName(QImage::Format_RGBX64), QStringLiteral("RGB 16-bit"));
    }

    void toDocumentFormatCases()
    {
        // Grey palette -> Grayscale8 with the same values.
        QImage grey(4, 2, QImage::Format_Indexed8);
        QList<QRgb> greys;
        for (int i = 0; i < 256; ++i) greys << qRgb(i, i, i);
        grey.setColorTable(greys);
        grey.fill(77);
        QImage g = toDocumentFormat(grey);
        QCOMPARE(g.format(), QImage::Format_Grayscale8);
        QCOMPARE(int(g.constScanLine(1)[3]), 77);

        QImage colour = grey;
        colour.setColorTable({qRgb(10, 20, 30), qRgb(1, 2, 3)});
        colour.fill(0);
        QImage c = toDocumentFormat(colour);
        QCOMPARE(c.format(), QImage::Format_RGB888);
        QCOMPARE(c.pixel(0, 0), qRgb(10, 20, 30));

        QImage withAlpha = grey;
        withAlpha.setColorTable({qRgba(10, 20, 30, 40), qRgb(1, 2, 3)});
        withAlpha.fill(0);
        QCOMPARE(toDocumentFormat(withAlpha).format(), QImage::Format_RGBA8888);

        QImage mono(8, 8, QImage::Format_Mono);
        mono.fill(1);
        QCOMPARE(toDocumentFormat(mono).format(), QImage::Format_Grayscale8);

        // Premultiplied -> straight alpha.
        QImage pm(1, 1, QImage::Format_ARGB32_Premultiplied);
        pm.setPixel(0, 0, qRgba(100, 50, 0, 200));  // premultiplied values
        QImage s = toDocumentFormat(pm);
        QCOMPARE(s.format(), QImage::Format_RGBA8888);
        const uchar* p = s.constBits();
        QCOMPARE(int(p[3]), 200);
        QVERIFY(qAbs(int(p[0]) - 128) <= 1);  // 100 * 255 / 200
        QVERIFY(qAbs(int(p[1]) - 64) <= 1);

        QCOMPARE(toDocumentFormat(QImage(2, 2, QImage::Format_RGB32)).format(), QImage::Format_RGB888);
        QCOMPARE(toDocumentFormat(QImage(2, 2, QImage::Format_RGB30)).format(), QImage::Format_RGBX64);
        QCOMPARE(toDocumentFormat(QImage(2, 2, QImage::Format_A2RGB30_Premultiplied)).format(), QImage::Format_RGBA64);
        const QImage doc = testimg::makeImage({3, 3}, QImage::Format_RGB888);
        QCOMPARE(toDocumentFormat(doc).cacheKey(), doc.cacheKey());  // no copy
    }

    void losslessRoundTrip_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<QString>("ext");
        QTest::addColumn<int>("loaded");
        const QList<QImage::Format> all = {QImage::Format_Grayscale8, QImage::Format_Grayscale16,
                                           QImage::Format_RGB888,     QImage::Format_RGBA8888,
                                           QImage::Format_RGBX64,     QImage::Format_RGBA64};
        for (QImage::Format f : all)
            QTest::addRow("png %s", qPrintable(documentFormatName(f))) << int(f) << "png" << int(f);
        // Qt's TIFF reader returns 8-bit RGBA premultiplied, so that one is tested separately.
        for (QImage::Format f : all)
            if (f != QImage::Format_RGBA8888)
                QTest::addRow("tiff %s", qPrintable(documentFormatName(f))) << int(f) << "tif" << int(f);
        QTest::addRow("bmp grey 8-bit") << int(QImage::Format_Grayscale8) << "bmp" << int(QImage::Format_Grayscale8);
        QTest::addRow("bmp RGB 8-bit") << int(QImage::Format_RGB888) << "bmp" << int(QImage::Format_RGB888);
        QTest::addRow("webp lossless RGB") << int(QImage::Format_RGB888) << "webp" << int(QImage::Format_RGB888);
    }

    void losslessRoundTrip()
    {
        QFETCH(int, format);
        QFETCH(QString, ext);
        QFETCH(int, loaded);
        const QImage img = testimg::makeImage({37, 23}, QImage::Format(format), 7);
        const QString file = path(QStringLiteral("rt_%1.%2").arg(format).arg(ext));
        QString err;
        QVERIFY2(saveImage(img, file, &err, 100), qPrintable(err));
        const QImage back = loadImage(file, &err);
        QVERIFY2(!back.isNull(), qPrintable(err));
        QCOMPARE(int(back.format()), loaded);
        QVERIFY(testimg::samePixels(back, img));
    }

    void sixteenBitStaysSixteen()
    {
        // Samples that differ only in the low byte survive PNG and TIFF.
        QImage img(2, 1, QImage::Format_Grayscale16);
        reinterpret_cast<quint16*>(img.scanLine(0))[0] = 1000;
        reinterpret_cast<quint16*>(img.scanLine(0))[1] = 1001;
        for (const char* ext : {"png", "tiff"}) {
            const QString file = path(QStringLiteral("g16.%1").arg(ext));
            QString err;
            QVERIFY(saveImage(img, file, &err));
            const QImage back = loadImage(file, &err);
            QCOMPARE(back.format(), QImage::Format_Grayscale16);
            QCOMPARE(reinterpret_cast<const quint16*>(back.constScanLine(0))[1], quint16(1001));
        }
    }

    void rgbaTiffKeepsAlpha()
    {
        const QImage img = testimg::makeImage({20, 20}, QImage::Format_RGBA8888, 3);
        QString err;
        QVERIFY(saveImage(img, path("rgba8.tif"), &err));
        const QImage back = loadImage(path("rgba8.tif"), &err);
        QCOMPARE(back.format(), QImage::Format_RGBA8888);
        for (int y = 0; y < img.height(); ++y) {
            for (int x = 0; x < img.width(); ++x) {
                const uchar* a = img.constScanLine(y) + 4 * x;
                const uchar* b = back.constScanLine(y) + 4 * x;
                QCOMPARE(b[3], a[3]);  // alpha exact
                // colour within the rounding of Qt's premultiplied TIFF decode
                for (int c = 0; c < 3; ++c) QVERIFY(qAbs(int(a[c]) - int(b[c])) <= 255 / a[3] + 1);
            }
        }
    }

    void webpAlpha()
    {
        const QImage img = testimg::makeImage({20, 20}, QImage::Format_RGBA8888, 5);
        QString err;
        QVERIFY(saveImage(img, path("a.webp"), &err, 100));
        const QImage back = loadImage(path("a.webp"), &err);
        QCOMPARE(back.format(), QImage::Format_RGBA8888);
        QVERIFY(testimg::samePixels(back, img));  // lossless; no pixel is fully transparent here
    }

    void lossyAndEightBitTargets()
    {
        // 16-bit RGBA into JPEG: 8-bit, alpha flattened onto white.
        QImage img(16, 16, QImage::Format_RGBA64);
        img.fill(QColor(0, 0, 0, 0));  // fully transparent black
        QString err;
        QVERIFY2(saveImage(img, path("t.jpg"), &err), qPrintable(err));
        QImage back = loadImage(path("t.jpg"), &err);
        QCOMPARE(back.format(), QImage::Format_RGB888);
        QVERIFY(qRed(back.pixel(8, 8)) >= 250 && qBlue(back.pixel(8, 8)) >= 250);

        QVERIFY(saveImage(img, path("t.bmp"), &err));
        back = loadImage(path("t.bmp"), &err);
        QCOMPARE(back.format(), QImage::Format_RGB888);
        QCOMPARE(back.pixel(3, 3), qRgb(255, 255, 255));

        // Grey stays grey in JPEG.
        const QImage g = testimg::makeImage({32, 32}, QImage::Format_Grayscale16);
        QVERIFY(saveImage(g, path("g.jpeg"), &err));
        back = loadImage(path("g.jpeg"), &err);
        QCOMPARE(back.format(), QImage::Format_Grayscale8);
        const QImage g8 = g.convertToFormat(QImage::Format_Grayscale8);
        QVERIFY(qAbs(int(back.constScanLine(16)[16]) - int(g8.constScanLine(16)[16])) <= 12);

        // 16-bit into WebP: 8-bit with alpha kept.
        const QImage c = testimg::makeImage({16, 16}, QImage::Format_RGBA64);
        QVERIFY(saveImage(c, path("c.webp"), &err, 100));
        back = loadImage(path("c.webp"), &err);
        QCOMPARE(back.format(), QImage::Format_RGBA8888);
        QVERIFY(testimg::samePixels(back, c.convertToFormat(QImage::Format_RGBA8888)));
    }

    void exifOrientation_data()
    {
        QTest::addColumn<int>("orientation");
        QTest::addColumn<QSize>("size");
        QTest::addColumn<QPoint>("redAt");   // a point that must be red after the transform
        QTest::addColumn<QPoint>("blueAt");  // ... and blue
        // Stored: 40x20, left half red, right half blue.
        QTest::newRow("1 none") << 1 << QSize(40, 20) << QPoint(5, 10) << QPoint(35, 10);
        QTest::newRow("3 rotate 180") << 3 << QSize(40, 20) << QPoint(35, 10) << QPoint(5, 10);
        QTest::newRow("6 rotate 90 cw") << 6 << QSize(20, 40) << QPoint(10, 5) << QPoint(10, 35);
        QTest::newRow("8 rotate 90 ccw") << 8 << QSize(20, 40) << QPoint(10, 35) << QPoint(10, 5);
    }

    void exifOrientation()
    {
        QFETCH(int, orientation);
        QFETCH(QSize, size);
        QFETCH(QPoint, redAt);
        QFETCH(QPoint, blueAt);
        QImage img(40, 20, QImage::Format_RGB888);
        img.fill(Qt::blue);
        for (int y = 0; y < 20; ++y)
            for (int x = 0; x < 20; ++x) img.setPixel(x, y, qRgb(255, 0, 0));
        QByteArray jpeg;
        QBuffer buf(&jpeg);
        buf.open(QIODevice::WriteOnly);
        QVERIFY(QImageWriter(&buf, "jpeg").write(img));
        const QString file = path(QStringLiteral("exif%1.jpg").arg(orientation));
        QVERIFY(testimg::writeBytes(file, testimg::withExifOrientation(jpeg, quint16(orientation))));
        QString err;
        const QImage back = loadImage(file, &err);
        QVERIFY2(!back.isNull(), qPrintable(err));
        QCOMPARE(back.size(), size);
        QVERIFY(qRed(back.pixel(redAt)) > 200 && qBlue(back.pixel(redAt)) < 60);
        QVERIFY(qBlue(back.pixel(blueAt)) > 200 && qRed(back.pixel(blueAt)) < 60);
    }

    void largeImageAboveQtDefaultLimit()
    {
        // 7000x5000 decodes to 140 MB as RGB32: above Qt's default 128 MiB allocation limit.
        QImage img(7000, 5000, QImage::Format_Grayscale8);
        img.fill(90);
        for (int x = 0; x < 7000; ++x) img.scanLine(4999)[x] = uchar(x);
        const QImage rgb = img.convertToFormat(QImage::Format_RGB888);
        QString err;
        QVERIFY(saveImage(rgb, path("big.png"), &err));
        const QImage back = loadImage(path("big.png"), &err);
        QVERIFY2(!back.isNull(), qPrintable(err));
        QCOMPARE(back.size(), QSize(7000, 5000));
        QCOMPARE(back.pixel(300, 4999), qRgb(300 % 256, 300 % 256, 300 % 256));
    }

    // ---- bad input ---------------------------------------------------------------------

    void missingFile()
    {
        QString err;
        QVERIFY(loadImage(path("nope.png"), &err).isNull());
        QVERIFY(err.contains("nope.png"));
        QVERIFY(err.contains("does not exist"));
        QVERIFY(loadImage(m_dir.path(), &err).isNull());
        QVERIFY(err.contains("folder"));
    }

    void emptyAndGarbage()
    {
        QString err;
        QVERIFY(testimg::writeBytes(path("empty.png"), {}));
        QVERIFY(loadImage(path("empty.png"), &err).isNull());
        QVERIFY(err.contains("empty.png") && err.contains("empty"));
        QVERIFY(testimg::writeBytes(path("junk.png"), QByteArray("not an image at all ").repeated(20)));
        QVERIFY(loadImage(path("junk.png"), &err).isNull());
        QVERIFY(err.contains("junk.png") && err.contains("supported format"));
    }

    void mngRefused()
    {
        // An MNG signature and MHDR chunk declaring 30000x30000 frames (the shape fuzz_ora found):
        // refused by its format before libmng allocates anything. Without the plugin Qt cannot
        // read it at all, which is also a refusal, so the check needs the plugin to mean anything.
        if (!QImageReader::supportedImageFormats().contains("mng")) QSKIP("Qt's MNG plugin is not installed");
        QByteArray mng("\x8aMNG\r\n\x1a\n", 8);
        auto be32 = [&](quint32 v) { for (int s = 24; s >= 0; s -= 8) mng.append(char((v >> s) & 0xff)); };
        be32(28);
        mng.append("MHDR");
        for (quint32 v : {30000u, 30000u, 1u, 0u, 0u, 0u, 0x0041u}) be32(v);
        be32(0);  // CRC (libmng would reject a wrong one only after allocating)
        QVERIFY(testimg::writeBytes(path("anim.mng"), mng));
        QString err;
        QVERIFY(loadImage(path("anim.mng"), &err).isNull());
        QVERIFY2(err.contains("anim.mng") && err.contains("MNG"), qPrintable(err));
        QVERIFY(loadImageFromData(mng, QStringLiteral("pasted data"), &err).isNull());
        QVERIFY2(err.contains("pasted data") && err.contains("MNG"), qPrintable(err));
    }

    void truncated_data()
    {
        QTest::addColumn<QString>("ext");
        for (const char* e : {"png", "jpg", "bmp", "webp", "tif"}) QTest::newRow(e) << QString(e);
    }

    void truncated()
    {
        QFETCH(QString, ext);
        const QImage img = testimg::makeImage({64, 48}, QImage::Format_RGB888);
        const QString full = path("full." + ext);
        QString err;
        QVERIFY(saveImage(img, full, &err));
        const QByteArray bytes = testimg::readBytes(full);
        const QString cut = path("cut." + ext);
        QVERIFY(testimg::writeBytes(cut, bytes.left(bytes.size() * 2 / 3)));
        const QImage back = loadImage(cut, &err);
        QVERIFY2(back.isNull(), "a truncated file must not load");
        QVERIFY2(err.contains("cut." + ext), qPrintable(err));
    }

    void zeroSize()
    {
        QString err;
        QVERIFY(testimg::writeBytes(path("zero.png"), testimg::pngHeaderOnly(0, 0)));
        QVERIFY(loadImage(path("zero.png"), &err).isNull());
        QVERIFY2(err.contains("zero.png") && err.contains("zero size"), qPrintable(err));
    }

    void tooLarge()
    {
        // Refused from the header alone: nothing is allocated.
        QString err;
        QVERIFY(testimg::writeBytes(path("huge.png"), testimg::pngHeaderOnly(20001, 20001)));
        QVERIFY(loadImage(path("huge.png"), &err).isNull());
        QVERIFY2(err.contains("huge.png") && err.contains("20001x20001"), qPrintable(err));
        // At the limit but with no pixel data: a decode error, not a crash.
        QVERIFY(testimg::writeBytes(path("limit.png"), testimg::pngHeaderOnly(20000, 20000)));
        QVERIFY(loadImage(path("limit.png"), &err).isNull());
        QVERIFY2(err.contains("limit.png"), qPrintable(err));
    }

    void fromDataMatchesFile()
    {
        // loadImageFromData is the decoder loadImage uses: same pixels, same refusals.
        const QImage img = testimg::makeImage({24, 16}, QImage::Format_RGBA64);
        QString err;
        QVERIFY(saveImage(img, path("d.png"), &err));
        const QImage fromFile = loadImage(path("d.png"), &err);
        const QImage fromData = loadImageFromData(testimg::readBytes(path("d.png")), QStringLiteral("the data"), &err);
        QVERIFY2(!fromData.isNull(), qPrintable(err));
        QVERIFY(testimg::samePixels(fromData, fromFile));
        QVERIFY(loadImageFromData({}, QStringLiteral("the clipboard"), &err).isNull());
        QCOMPARE(err, QStringLiteral("the clipboard is empty (0 bytes)."));
        QVERIFY(loadImageFromData(testimg::pngHeaderOnly(3000, 3000), QStringLiteral("the data"), &err, 1000000).isNull());
        QVERIFY2(err.contains("3000x3000") && err.contains("more than the 1 megapixels"), qPrintable(err));
    }

    // Regressions found by tests/fuzz/fuzz_image (inputs in tests/fuzz/corpus/image/regress_bmp_*):
    // a BMP header whose rows x row size overflowed 64 bits in the completeness check (signed
    // overflow, UBSan), and one whose width is INT32_MIN (std::abs overflow in the header size).
    void bmpHeaderOverflow()
    {
        const QByteArray rowOverflow = QByteArray::fromHex(
            "424d5e005000000000d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f75000000000d8d9dae1e2e3" "00000000");
        QString err;
        QVERIFY(loadImageFromData(rowOverflow, QStringLiteral("the data"), &err).isNull());
        QVERIFY2(err.startsWith(QStringLiteral("the data")), qPrintable(err));
        QVERIFY(testimg::writeBytes(path("rows.bmp"), rowOverflow));
        QVERIFY(loadImage(path("rows.bmp"), &err).isNull());
        QVERIFY2(err.contains("rows.bmp"), qPrintable(err));

        QByteArray intMin = QByteArray::fromHex("424d" "e8030000" "00000000" "36000000" "28000000" "00000080"
                                                "04000000" "0100" "1800" "00000000" "00000000" "00000000"
                                                "00000000" "00000000" "00000000");
        intMin.append(16, '\0');
        QVERIFY(loadImageFromData(intMin, QStringLiteral("the data"), &err).isNull());
        QVERIFY(!err.isEmpty());
    }

    // Regression found by tests/fuzz/fuzz_image (corpus image/regress_bmp_top_down_size.bmp): Qt reports
    // a top-down BMP's size with a negative height, which the loader took for "size unknown", so
    // the pixel limit was not applied (the fuzz input decodes to 768x31997 past a 4 MP limit).
    void bmpTopDownPixelLimit()
    {
        const QByteArray fuzzInput = QByteArray::fromHex("424d5e16ffd80050283329010000000000000003038301002000e10023");
        QString err;
        QVERIFY(loadImageFromData(fuzzInput, QStringLiteral("the data"), &err, 4000000).isNull());
        QVERIFY2(err.contains("768x31997"), qPrintable(err));

        // A valid top-down 4x3 BMP (height -3): loads right way up, and the limit applies to it.
        QByteArray bmp("BM");
        auto le = [&bmp](quint32 v, int n) { for (int i = 0; i < n; ++i) bmp.append(char((v >> (8 * i)) & 0xff)); };
        le(54 + 3 * 12, 4); le(0, 4); le(54, 4);
        le(40, 4); le(4, 4); le(quint32(-3), 4); le(1, 2); le(24, 2); le(0, 4); le(3 * 12, 4);
        le(2835, 4); le(2835, 4); le(0, 4); le(0, 4);
        for (int y = 0; y < 3; ++y)
            for (int x = 0; x < 4; ++x) { bmp.append(char(y == 0 ? 255 : 0)); bmp.append('\0'); bmp.append(char(y == 0 ? 0 : 255)); }
        const QImage img = loadImageFromData(bmp, QStringLiteral("the data"), &err);
        QVERIFY2(!img.isNull(), qPrintable(err));
        QCOMPARE(img.size(), QSize(4, 3));
        QCOMPARE(img.pixel(0, 0), qRgb(0, 0, 255));  // first row in the file is the top (BGR: blue)
        QCOMPARE(img.pixel(3, 2), qRgb(255, 0, 0));
        QVERIFY(loadImageFromData(bmp, QStringLiteral("the data"), &err, 10).isNull());
        QVERIFY2(err.contains("4x3"), qPrintable(err));
    }

    // ---- masks ------------------------------------------------------------------------

    void maskLoading()
    {
        QImage m(10, 8, QImage::Format_RGB888);
        m.fill(Qt::black);
        m.setPixel(2, 3, qRgb(255, 255, 255));
        QString err;
        QVERIFY(saveImage(m, path("m.png"), &err));
        QImage mask = loadMask(path("m.png"), QSize(10, 8), false, &err);
        QCOMPARE(mask.format(), QImage::Format_Grayscale8);
        QCOMPARE(int(mask.constScanLine(3)[2]), 255);
        QCOMPARE(int(mask.constScanLine(3)[3]), 0);

        QVERIFY(loadMask(path("m.png"), QSize(20, 16), false, &err).isNull());
        QVERIFY2(err.contains("10x8") && err.contains("20x16") && err.contains("m.png"), qPrintable(err));

        mask = loadMask(path("m.png"), QSize(20, 16), true, &err);
        QCOMPARE(mask.size(), QSize(20, 16));
        QCOMPARE(int(mask.constScanLine(6)[4]), 255);  // nearest: 2x2 block
        QCOMPARE(int(mask.constScanLine(7)[5]), 255);
        QCOMPARE(int(mask.constScanLine(6)[6]), 0);

        // Transparent pixels count as "keep".
        QImage a(4, 4, QImage::Format_RGBA8888);
        a.fill(QColor(255, 255, 255, 0));
        a.setPixelColor(1, 1, QColor(255, 255, 255, 255));
        QVERIFY(saveImage(a, path("ma.png"), &err));
        mask = loadMask(path("ma.png"), {}, false, &err);
        QCOMPARE(int(mask.constScanLine(0)[0]), 0);
        QCOMPARE(int(mask.constScanLine(1)[1]), 255);
    }

    // ---- saving -----------------------------------------------------------------------

    void saveErrors()
    {
        const QImage img = testimg::makeImage({8, 8}, QImage::Format_RGB888);
        QString err;
        QVERIFY(!saveImage(img, path("missing/dir/out.png"), &err));
        QVERIFY2(err.contains("out.png") && err.contains("does not exist"), qPrintable(err));
        QVERIFY(!QFile::exists(path("missing/dir/out.png")));

        QVERIFY(testimg::writeBytes(path("plainfile"), "x"));
        QVERIFY(!saveImage(img, path("plainfile/out.png"), &err));
        QVERIFY2(err.contains("not a folder"), qPrintable(err));

        QVERIFY(!saveImage(img, path("out.xyz"), &err));
        QVERIFY(err.contains("extension"));

        QVERIFY(!saveImage(QImage(), path("null.png"), &err));
        QVERIFY(!saveImage(img, m_dir.path(), &err));

        // A folder nobody may create files in (also as root): /proc.
        QVERIFY(!saveImage(img, QStringLiteral("/proc/inpaint-test-out.png"), &err));
        QVERIFY2(err.contains("/proc/inpaint-test-out.png"), qPrintable(err));
    }

    void saveReplacesAtomically()
    {
        const QString file = path("replace.png");
        QVERIFY(testimg::writeBytes(file, "old contents"));
        QString err;
        const QImage img = testimg::makeImage({8, 8}, QImage::Format_RGB888);
        QVERIFY(saveImage(img, file, &err));
        QVERIFY(testimg::samePixels(loadImage(file, &err), img));
        // No temporary files left behind.
        const QStringList left = QDir(m_dir.path()).entryList({"replace.png*"}, QDir::Files | QDir::Hidden);
        QCOMPARE(left, QStringList{"replace.png"});
    }
};

QTEST_GUILESS_MAIN(TestImageIo)
#include "test_image_io.moc"
