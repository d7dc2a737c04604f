// Outpainting's canvas work: sizes, where the old picture lands (bit-exact, every document
// format), the mask (new area + overlap band, only along the sides that grew), the three
// pre-fills, the aspect-ratio extension, and the bad inputs (zero, negative, over the limit).
#include "core/imaging/outpaint.h"

#include "core/imaging/mask_ops.h"

#include <QSet>
#include <QTest>

using namespace inpaint::imaging;

namespace {
QImage gradient(QSize s, QImage::Format f = QImage::Format_RGB888)
{
    QImage img(s, QImage::Format_RGB888);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) img.setPixelColor(x, y, QColor((x * 7) % 256, (y * 5) % 256, (x + y) % 256));
    return img.convertToFormat(f);
}
}  // namespace

class TestOutpaint : public QObject {
    Q_OBJECT
private slots:
    void oldPictureLandsExactly_data()
    {
        QTest::addColumn<int>("format");
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("rgba8") << int(QImage::Format_RGBA8888);
        QTest::newRow("grey8") << int(QImage::Format_Grayscale8);
        QTest::newRow("grey16") << int(QImage::Format_Grayscale16);
        QTest::newRow("rgba16") << int(QImage::Format_RGBA64);
    }
    void oldPictureLandsExactly()
    {
        QFETCH(int, format);
        const QImage img = gradient(QSize(40, 30), QImage::Format(format));
        for (Prefill pf : {Prefill::Edge, Prefill::Telea, Prefill::Noise}) {
            QString err;
            const auto r = extendCanvas(img, {8, 24, 5, 0}, pf, 4, &err, 42);
            QVERIFY2(r.has_value(), qPrintable(err));
            QCOMPARE(r->image.size(), QSize(72, 35));
            QCOMPARE(r->image.format(), img.format());
            QCOMPARE(r->oldRect, QRect(8, 5, 40, 30));
            QCOMPARE(r->image.copy(r->oldRect), img);
        }
    }

    void maskIsNewAreaPlusOverlapOnGrownSides()
    {
        const QImage img = gradient(QSize(40, 30));
        QString err;
        const auto r = extendCanvas(img, {0, 24, 5, 0}, Prefill::Edge, 4, &err);
        QVERIFY(r.has_value());
        QCOMPARE(r->mask.format(), QImage::Format_Grayscale8);
        QCOMPARE(r->mask.size(), QSize(64, 35));
        // Kept: x 0..35 (the left side did not grow), y 9..34 (top grew by 5, band 4; bottom did not).
        for (int y = 0; y < 35; ++y)
            for (int x = 0; x < 64; ++x) {
                const bool kept = x <= 35 && y >= 9;
                QVERIFY2(qGray(r->mask.pixel(x, y)) == (kept ? 0 : 255), qPrintable(QStringLiteral("%1,%2").arg(x).arg(y)));
            }
        QCOMPARE(maskCoverage(r->mask), qint64(64 * 35 - 36 * 26));
    }

    void edgePrefillRepeatsTheNearestEdgePixel()
    {
        const QImage img = gradient(QSize(20, 10));
        QString err;
        const auto r = extendCanvas(img, {3, 2, 4, 1}, Prefill::Edge, 0, &err);
        QVERIFY(r.has_value());
        for (int y = 0; y < r->image.height(); ++y)
            for (int x = 0; x < r->image.width(); ++x) {
                const int sx = std::clamp(x - 3, 0, 19), sy = std::clamp(y - 4, 0, 9);
                QCOMPARE(r->image.pixel(x, y), img.pixel(sx, sy));
            }
        // overlap 0: the mask is exactly the new area
        QCOMPARE(maskCoverage(r->mask), qint64(25 * 15 - 20 * 10));
    }

    void noiseIsSeededAndOpaque()
    {
        const QImage img = gradient(QSize(16, 16), QImage::Format_RGBA8888);
        QString err;
        const auto a = extendCanvas(img, {0, 16, 0, 0}, Prefill::Noise, 0, &err, 7);
        const auto b = extendCanvas(img, {0, 16, 0, 0}, Prefill::Noise, 0, &err, 7);
        const auto c = extendCanvas(img, {0, 16, 0, 0}, Prefill::Noise, 0, &err, 8);
        QVERIFY(a && b && c);
        QCOMPARE(a->image, b->image);
        QVERIFY(a->image != c->image);
        QSet<QRgb> colours;
        for (int y = 0; y < 16; ++y)
            for (int x = 16; x < 32; ++x) {
                QCOMPARE(qAlpha(a->image.pixel(x, y)), 255);
                colours.insert(a->image.pixel(x, y));
            }
        QVERIFY(colours.size() > 200);  // 256 pixels of noise, not a flat fill
    }

    void teleaFillsFromThePicture()
    {
        QImage img(32, 32, QImage::Format_RGB888);
        img.fill(QColor(200, 40, 40));
        QString err;
        const auto r = extendCanvas(img, {0, 0, 0, 16}, Prefill::Telea, 0, &err);
        QVERIFY(r.has_value());
        for (int y = 32; y < 48; ++y)
            for (int x = 0; x < 32; x += 7) {
                const QColor c = r->image.pixelColor(x, y);
                QVERIFY2(std::abs(c.red() - 200) <= 4 && std::abs(c.green() - 40) <= 4,
                         qPrintable(QStringLiteral("%1,%2: %3 %4 %5").arg(x).arg(y).arg(c.red()).arg(c.green()).arg(c.blue())));
            }
    }

    void aspectExtensionOnlyAdds()
    {
        QCOMPARE(extensionForAspect(QSize(400, 300), 16.0 / 9), (CanvasExtension{66, 67, 0, 0}));
        QCOMPARE(extensionForAspect(QSize(400, 300), 1.0, Anchor::Top), (CanvasExtension{0, 0, 0, 100}));
        QCOMPARE(extensionForAspect(QSize(400, 300), 1.0, Anchor::BottomRight), (CanvasExtension{0, 0, 100, 0}));
        QCOMPARE(extensionForAspect(QSize(300, 400), 1.0, Anchor::Left), (CanvasExtension{0, 100, 0, 0}));
        QVERIFY(extensionForAspect(QSize(400, 400), 1.0).isZero());
    }

    void badInputsSayWhy()
    {
        const QImage img = gradient(QSize(16, 16));
        QString err;
        QVERIFY(!extendCanvas(img, {}, Prefill::Edge, 8, &err));
        QVERIFY2(err.contains(QStringLiteral("Nothing to extend")), qPrintable(err));
        QVERIFY(!extendCanvas(img, {-4, 0, 0, 0}, Prefill::Edge, 8, &err));
        QVERIFY2(err.contains(QStringLiteral("only grow")), qPrintable(err));
        QVERIFY(!extendCanvas(img, {0, 2000, 0, 2000}, Prefill::Edge, 8, &err, 0, 1000 * 1000));
        QVERIFY2(err.contains(QStringLiteral("2016 × 2016")) && err.contains(QStringLiteral("limit")), qPrintable(err));
        QVERIFY(!extendCanvas(img, {0, 70000, 0, 0}, Prefill::Edge, 8, &err));
        QVERIFY2(err.contains(QStringLiteral("limit")), qPrintable(err));
        QVERIFY(!extendCanvas(QImage(), {1, 0, 0, 0}, Prefill::Edge, 8, &err));
        QCOMPARE(parsePrefill(QStringLiteral("Telea")), std::optional<Prefill>(Prefill::Telea));
        QVERIFY(!parsePrefill(QStringLiteral("mirror")));
    }

    void extendMaskPadsWithZero()
    {
        QImage m(4, 3, QImage::Format_Grayscale8);
        m.fill(200);
        const QImage e = extendMask(m, {1, 2, 3, 0});
        QCOMPARE(e.size(), QSize(7, 6));
        QCOMPARE(maskCoverage(e), qint64(12));
        QCOMPARE(maskBoundingBox(e), QRect(1, 3, 4, 3));
    }
};

QTEST_GUILESS_MAIN(TestOutpaint)
#include "test_outpaint.moc"
