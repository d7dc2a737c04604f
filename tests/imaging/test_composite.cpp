// pasteBack: exact where the mask is 0 or 255, linear with rounding in between, for every
// document format and the common 32-bit Qt formats.
#include "core/imaging/composite.h"
#include "core/imaging/image_io.h"
#include "tests/imaging/test_images.h"

#include <QTest>

using namespace inpaint::imaging;

class TestComposite : public QObject {
    Q_OBJECT

private slots:
    void exactness_data()
    {
        QTest::addColumn<int>("format");
        for (QImage::Format f : {QImage::Format_Grayscale8, QImage::Format_Grayscale16, QImage::Format_RGB888,
                                 QImage::Format_RGBA8888, QImage::Format_RGBX64, QImage::Format_RGBA64,
                                 QImage::Format_ARGB32, QImage::Format_RGB32})
            QTest::addRow("%d", int(f)) << int(f);
    }

    void exactness()
    {
        QFETCH(int, format);
        const auto f = QImage::Format(format);
        const QSize size(31, 17);
        const QImage orig = testimg::makeImage(size, f, 1);
        QImage gen = testimg::makeImage(size, f, 2).mirrored(true, false);
        QImage mask(size, QImage::Format_Grayscale8);
        for (int y = 0; y < size.height(); ++y)
            for (int x = 0; x < size.width(); ++x) mask.scanLine(y)[x] = uchar((x * 37 + y * 11) % 3 == 0 ? 0 : (x % 2 ? 255 : 128));

        const QImage out = pasteBack(orig, gen, mask);
        QCOMPARE(out.format(), orig.format());
        QCOMPARE(out.size(), size);
        const bool sixteen = orig.depth() == 64 || f == QImage::Format_Grayscale16;
        const int samples = sixteen ? orig.depth() / 16 : orig.depth() / 8;
        int blended = 0;
        for (int y = 0; y < size.height(); ++y) {
            for (int x = 0; x < size.width(); ++x) {
                const int m = mask.constScanLine(y)[x];
                if (m == 0) {
                    QVERIFY(testimg::samePixel(out, orig, x, y));
                } else if (m == 255) {
                    QVERIFY(testimg::samePixel(out, gen, x, y));
                } else {
                    ++blended;
                    for (int c = 0; c < samples; ++c) {
                        quint32 o, g, r;
                        if (sixteen) {
                            o = reinterpret_cast<const quint16*>(orig.constScanLine(y))[x * samples + c];
                            g = reinterpret_cast<const quint16*>(gen.constScanLine(y))[x * samples + c];
                            r = reinterpret_cast<const quint16*>(out.constScanLine(y))[x * samples + c];
                        } else {
                            o = orig.constScanLine(y)[x * samples + c];
                            g = gen.constScanLine(y)[x * samples + c];
                            r = out.constScanLine(y)[x * samples + c];
                        }
                        QCOMPARE(r, (o * (255 - m) + g * m + 127) / 255);
                    }
                }
            }
        }
        QVERIFY(blended > 0);
    }

    void emptyMaskReturnsOriginalPixels()
    {
        const QImage orig = testimg::makeImage({20, 20}, QImage::Format_RGBA64);
        const QImage gen = testimg::makeImage({20, 20}, QImage::Format_RGBA64, 9);
        QImage mask(20, 20, QImage::Format_Grayscale8);
        mask.fill(0);
        QVERIFY(testimg::samePixels(pasteBack(orig, gen, mask), orig));
        mask.fill(255);
        QVERIFY(testimg::samePixels(pasteBack(orig, gen, mask), gen));
    }

    void generatedInOtherFormatIsConverted()
    {
        const QImage orig = testimg::makeImage({10, 10}, QImage::Format_RGB888);
        const QImage gen = testimg::makeImage({10, 10}, QImage::Format_RGB888, 4);
        QImage mask(10, 10, QImage::Format_Grayscale8);
        mask.fill(0);
        mask.scanLine(5)[5] = 255;
        const QImage out = pasteBack(orig, gen.convertToFormat(QImage::Format_RGB32), mask);
        QCOMPARE(out.format(), QImage::Format_RGB888);
        QVERIFY(testimg::samePixel(out, gen, 5, 5));
        QVERIFY(testimg::samePixel(out, orig, 4, 5));
    }

    void indexedOriginalBecomesDocumentFormat()
    {
        QImage orig(6, 6, QImage::Format_Indexed8);
        orig.setColorTable({qRgb(10, 20, 30), qRgb(200, 100, 50)});
        orig.fill(1);
        QImage gen(6, 6, QImage::Format_RGB888);
        gen.fill(Qt::green);
        QImage mask(6, 6, QImage::Format_Grayscale8);
        mask.fill(0);
        mask.scanLine(0)[0] = 255;
        const QImage out = pasteBack(orig, gen, mask);
        QCOMPARE(out.format(), QImage::Format_RGB888);
        QCOMPARE(out.pixel(0, 0), qRgb(0, 255, 0));
        QCOMPARE(out.pixel(1, 0), qRgb(200, 100, 50));
    }

    void badArguments()
    {
        const QImage a = testimg::makeImage({10, 10}, QImage::Format_RGB888);
        const QImage b = testimg::makeImage({11, 10}, QImage::Format_RGB888);
        QImage mask(10, 10, QImage::Format_Grayscale8);
        mask.fill(255);
        QVERIFY(pasteBack(a, b, mask).isNull());
        QVERIFY(pasteBack(a, a, QImage(3, 3, QImage::Format_Grayscale8)).isNull());
        QVERIFY(pasteBack(QImage(), a, mask).isNull());
    }
};

QTEST_GUILESS_MAIN(TestComposite)
#include "test_composite.moc"
