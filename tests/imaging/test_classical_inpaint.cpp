// Classical inpainting on every document format: pixels outside the mask are bit-identical,
// holes are filled from their surroundings, the crop-per-hole speed-up gives the same bytes
// as one whole-image cv::inpaint call, 16-bit precision is kept, transparency is handled.
#include "core/imaging/classical_inpaint.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "tests/imaging/test_images.h"

#include <QTest>

#include <opencv2/photo.hpp>

using namespace inpaint::imaging;

namespace {

// A disk, a soft-edged ring around a second disk, a far-away dot and a hole touching the border.
QImage makeMask(QSize size)
{
    QImage m = emptyMask(size);
    auto disk = [&](int cx, int cy, int r, int value) {
        for (int y = std::max(0, cy - r); y <= std::min(size.height() - 1, cy + r); ++y)
            for (int x = std::max(0, cx - r); x <= std::min(size.width() - 1, cx + r); ++x)
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r) m.scanLine(y)[x] = uchar(value);
    };
    disk(40, 30, 12, 128);  // soft edge
    disk(40, 30, 9, 255);
    disk(120, 70, 6, 255);
    disk(150, 5, 2, 255);
    disk(0, 60, 5, 255);  // touches the left border
    return m;
}

// Puts an obviously wrong value into the hole so that a "fill" that does nothing is caught.
QImage poisonHoles(const QImage& img, const QImage& mask)
{
    QImage p = img.copy();
    const int bpp = p.depth() / 8;
    for (int y = 0; y < p.height(); ++y)
        for (int x = 0; x < p.width(); ++x)
            if (mask.constScanLine(y)[x] == 255) std::memset(p.scanLine(y) + x * bpp, 0, bpp);
    return p;
}

// Per-channel value as a fraction of full scale (for tolerance checks across bit depths).
double channel(const QImage& img, int x, int y, int c)
{
    const QRgba64 v = img.pixelColor(x, y).rgba64();
    const quint16 ch[4] = {v.red(), v.green(), v.blue(), v.alpha()};
    return ch[c] / 65535.0;
}

}  // namespace

class TestClassicalInpaint : public QObject {
    Q_OBJECT

private slots:
    void everyFormat_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("method");
        const QList<QImage::Format> formats = {QImage::Format_Grayscale8, QImage::Format_Grayscale16,
                                               QImage::Format_RGB888,     QImage::Format_RGBA8888,
                                               QImage::Format_RGBX64,     QImage::Format_RGBA64,
                                               QImage::Format_ARGB32};
        for (QImage::Format f : formats) {
            QTest::addRow("telea %d", int(f)) << int(f) << int(ClassicalMethod::Telea);
            QTest::addRow("ns %d", int(f)) << int(f) << int(ClassicalMethod::NavierStokes);
        }
    }

    void everyFormat()
    {
        QFETCH(int, format);
        QFETCH(int, method);
        const QSize size(160, 100);
        const QImage clean = testimg::makeImage(size, QImage::Format(format), 11);
        const QImage mask = makeMask(size);
        const QImage input = poisonHoles(clean, mask);
        const QImage before = input.copy();
        QString err;
        const QImage out = classicalInpaint(input, mask, ClassicalMethod(method), 5, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));
        QCOMPARE(out.format(), input.format());
        QCOMPARE(out.size(), size);
        QVERIFY(testimg::samePixels(input, before));  // input untouched

        const int channels = input.hasAlphaChannel() ? 4 : 3;
        double worst = 0;
        for (int y = 0; y < size.height(); ++y) {
            for (int x = 0; x < size.width(); ++x) {
                const int m = mask.constScanLine(y)[x];
                if (m == 0) {
                    if (!testimg::samePixel(out, input, x, y))
                        QFAIL(qPrintable(QStringLiteral("pixel (%1,%2) outside the mask changed").arg(x).arg(y)));
                } else if (m == 255) {
                    for (int c = 0; c < channels; ++c)
                        worst = std::max(worst, std::abs(channel(out, x, y, c) - channel(clean, x, y, c)));
                }
            }
        }
        // The gradient is recovered: the poisoned (zero) hole is filled with values close to
        // the clean picture (which varies by ~0.3 of full scale across a hole).
        QVERIFY2(worst < 0.12, qPrintable(QString::number(worst)));
    }

    void sameBytesAsWholeImageOpenCv_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("method");
        QTest::addColumn<int>("radius");
        QTest::addColumn<bool>("dots");
        for (QImage::Format f : {QImage::Format_Grayscale8, QImage::Format_RGB888, QImage::Format_Grayscale16})
            for (int m : {0, 1})
                for (int r : {1, 5, 20})
                    for (bool dots : {false, true})
                        QTest::addRow("%d %s r%d%s", int(f), m ? "ns" : "telea", r, dots ? " dots" : "")
                            << int(f) << m << r << dots;
    }

    void sameBytesAsWholeImageOpenCv()
    {
        QFETCH(int, format);
        QFETCH(int, method);
        QFETCH(int, radius);
        QFETCH(bool, dots);
        // "dots": many small holes at random spots, so that groups form, merge and have crops
        // that overlap their neighbours.
        const QSize size = dots ? QSize(400, 300) : QSize(200, 120);
        const QImage img = testimg::makeImage(size, QImage::Format(format), 5);
        QImage mask = binarizeMask(makeMask(size), 0);
        if (dots) {
            std::mt19937 rng(radius);
            for (int i = 0; i < 60; ++i) {
                const int cx = int(rng() % 400), cy = int(rng() % 300), r = int(rng() % 4);
                for (int y = std::max(0, cy - r); y <= std::min(299, cy + r); ++y)
                    for (int x = std::max(0, cx - r); x <= std::min(399, cx + r); ++x) mask.scanLine(y)[x] = 255;
            }
        }
        QString err;
        const QImage out = classicalInpaint(img, mask, ClassicalMethod(method), radius, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));

        const int type = format == QImage::Format_Grayscale8 ? CV_8UC1 : format == QImage::Format_RGB888 ? CV_8UC3 : CV_16UC1;
        const cv::Mat src(img.height(), img.width(), type, const_cast<uchar*>(img.constBits()), img.bytesPerLine());
        const cv::Mat m(mask.height(), mask.width(), CV_8UC1, const_cast<uchar*>(mask.constBits()), mask.bytesPerLine());
        cv::Mat ref;
        cv::inpaint(src, m, ref, radius, method ? cv::INPAINT_NS : cv::INPAINT_TELEA);
        const cv::Mat got(out.height(), out.width(), type, const_cast<uchar*>(out.constBits()), out.bytesPerLine());
        cv::Mat diff;
        cv::compare(got, ref, diff, cv::CMP_NE);
        QCOMPARE(cv::countNonZero(diff.reshape(1)), 0);
    }

    void sixteenBitPrecisionKept()
    {
        // A ramp that changes by 3 per pixel: an 8-bit detour would quantise to steps of 257.
        QImage img(64, 8, QImage::Format_RGBX64);
        for (int y = 0; y < 8; ++y) {
            auto* p = reinterpret_cast<quint16*>(img.scanLine(y));
            for (int x = 0; x < 64; ++x) {
                p[4 * x] = quint16(30000 + 3 * x);
                p[4 * x + 1] = quint16(1000 + 3 * x);
                p[4 * x + 2] = 7;
                p[4 * x + 3] = 65535;
            }
        }
        QImage mask = emptyMask(img.size());
        for (int y = 3; y <= 4; ++y)
            for (int x = 30; x <= 33; ++x) mask.scanLine(y)[x] = 255;
        QString err;
        const QImage out = classicalInpaint(img, mask, ClassicalMethod::Telea, 3, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));
        for (int x = 30; x <= 33; ++x) {
            const auto* p = reinterpret_cast<const quint16*>(out.constScanLine(3));
            QVERIFY2(std::abs(int(p[4 * x]) - (30000 + 3 * x)) <= 8, qPrintable(QString::number(p[4 * x])));
            QVERIFY(std::abs(int(p[4 * x + 1]) - (1000 + 3 * x)) <= 8);
            // OpenCV's Telea adds up to ~2 units (absolute, any depth) to every fill.
            QVERIFY(std::abs(int(p[4 * x + 2]) - 7) <= 3);
            QCOMPARE(int(p[4 * x + 3]), 65535);
        }
    }

    void transparencyHandled_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("rgba8") << int(QImage::Format_RGBA8888);
        QTest::newRow("rgba16") << int(QImage::Format_RGBA64);
    }

    void transparencyHandled()
    {
        QFETCH(int, format);
        // Left half opaque red, right half fully transparent black; holes inside the transparent
        // area and across the edge.
        QImage img(80, 40, QImage::Format_RGBA8888);
        for (int y = 0; y < 40; ++y)
            for (int x = 0; x < 80; ++x) img.setPixelColor(x, y, x < 40 ? QColor(255, 0, 0, 255) : QColor(0, 0, 0, 0));
        img = img.convertToFormat(QImage::Format(format));
        QImage mask = emptyMask(img.size());
        for (int y = 10; y < 30; ++y) {
            for (int x = 55; x < 70; ++x) mask.scanLine(y)[x] = 255;  // inside transparency
            for (int x = 34; x < 46; ++x) mask.scanLine(y)[x] = 255;  // across the edge
        }
        QString err;
        const QImage out = classicalInpaint(img, mask, ClassicalMethod::Telea, 5, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));
        QCOMPARE(out.format(), img.format());
        for (int y = 10; y < 30; ++y) {
            for (int x = 55; x < 70; ++x) QCOMPARE(out.pixelColor(x, y).alpha(), 0);
            for (int x = 34; x < 46; ++x) {
                const QColor c = out.pixelColor(x, y);
                if (c.alpha() >= 16) {
                    // No dark fringe from the colour hidden under transparent pixels.
                    QVERIFY2(c.red() >= 245 && c.green() <= 5 && c.blue() <= 5,
                             qPrintable(QStringLiteral("(%1,%2) %3").arg(x).arg(y).arg(c.name(QColor::HexArgb))));
                }
            }
        }
        QCOMPARE(out.pixelColor(35, 20).alpha(), 255);  // the opaque side stays opaque
    }

    void opaqueRgbaHoleBecomesOpaque()
    {
        QImage img = testimg::makeImage({60, 60}, QImage::Format_RGBA8888);
        img.fill(QColor(10, 200, 30, 255));
        QImage mask = emptyMask(img.size());
        for (int y = 20; y < 40; ++y)
            for (int x = 20; x < 40; ++x) {
                mask.scanLine(y)[x] = 255;
                img.setPixelColor(x, y, QColor(0, 0, 0, 0));  // the object to remove is transparent
            }
        QString err;
        const QImage out = classicalInpaint(img, mask, ClassicalMethod::NavierStokes, 5, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));
        QCOMPARE(out.pixelColor(30, 30), QColor(10, 200, 30, 255));
    }

    void emptyMaskReturnsInput()
    {
        const QImage img = testimg::makeImage({50, 40}, QImage::Format_RGBA64);
        QString err;
        const QImage out = classicalInpaint(img, emptyMask(img.size()), ClassicalMethod::Telea, 5, &err);
        QVERIFY(testimg::samePixels(out, img));
        QCOMPARE(out.cacheKey(), img.cacheKey());  // not even copied
    }

    void fullMaskIsAClearError()
    {
        const QImage img = testimg::makeImage({50, 40}, QImage::Format_RGB888);
        QImage mask = emptyMask(img.size());
        mask.fill(255);
        QString err;
        QVERIFY(classicalInpaint(img, mask, ClassicalMethod::Telea, 5, &err).isNull());
        QVERIFY2(err.contains("whole image"), qPrintable(err));
        // One known pixel is enough to fill from.
        mask.scanLine(0)[0] = 0;
        const QImage out = classicalInpaint(img, mask, ClassicalMethod::Telea, 5, &err);
        QVERIFY2(!out.isNull(), qPrintable(err));
        QCOMPARE(out.pixel(0, 0), img.pixel(0, 0));
    }

    void badArguments()
    {
        const QImage img = testimg::makeImage({50, 40}, QImage::Format_RGB888);
        QString err;
        QVERIFY(classicalInpaint(img, emptyMask({40, 50}), ClassicalMethod::Telea, 5, &err).isNull());
        QVERIFY2(err.contains("40x50") && err.contains("50x40"), qPrintable(err));
        QVERIFY(classicalInpaint(QImage(), emptyMask({4, 4}), ClassicalMethod::Telea, 5, &err).isNull());
        QVERIFY(classicalInpaint(img, QImage(), ClassicalMethod::Telea, 5, &err).isNull());
        // Radius is clamped into OpenCV's 1..100, not an error.
        QImage mask = emptyMask(img.size());
        mask.scanLine(20)[25] = 255;
        QVERIFY(!classicalInpaint(img, mask, ClassicalMethod::Telea, 0, &err).isNull());
        QVERIFY(!classicalInpaint(img, mask, ClassicalMethod::NavierStokes, 1000, &err).isNull());
        // A colour mask is accepted (converted to grey).
        QVERIFY(!classicalInpaint(img, mask.convertToFormat(QImage::Format_RGB32), ClassicalMethod::Telea, 3, &err).isNull());
    }
};

QTEST_GUILESS_MAIN(TestClassicalInpaint)
#include "test_classical_inpaint.moc"
