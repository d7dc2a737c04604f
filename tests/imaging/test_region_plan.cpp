// Region planning around the diffusion pipelines: crop boxes (whole, only-masked, clamped at the
// border), scaled and padded work sizes for odd image sizes, the edge padding of the work image,
// the zero padding of the work mask, and the restore step (pixels outside the crop untouched,
// an unscaled round trip exact).
#include "core/imaging/region_plan.h"

#include <QTest>

using namespace inpaint::imaging;

namespace {
QImage gradient(QSize s)
{
    QImage img(s, QImage::Format_RGB888);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) img.setPixelColor(x, y, QColor((x * 7) % 256, (y * 5) % 256, (x + y) % 256));
    return img;
}
}  // namespace

class TestRegionPlan : public QObject {
    Q_OBJECT
private slots:
    void wholeOddSizeIsPaddedToTheMultiple()
    {
        RegionOptions o;
        o.multiple = 8;
        const RegionPlan p = planRegion(QSize(61, 47), QRect(10, 10, 5, 5), o);
        QVERIFY(p.valid());
        QCOMPARE(p.crop, QRect(0, 0, 61, 47));
        QCOMPARE(p.scaled, QSize(61, 47));
        QCOMPARE(p.workSize, QSize(64, 48));

        const QImage img = gradient(QSize(61, 47));
        const QImage work = extractWorkImage(img, p);
        QCOMPARE(work.size(), QSize(64, 48));
        QCOMPARE(work.copy(0, 0, 61, 47), img);
        for (int y = 0; y < 48; ++y)  // right edge repeated, then the bottom row
            for (int x = 61; x < 64; ++x) QCOMPARE(work.pixel(x, y), img.pixel(60, std::min(y, 46)));
        QCOMPARE(work.pixel(10, 47), img.pixel(10, 46));

        // Unscaled round trip is exact.
        QCOMPARE(restoreWorkImage(img, work, p), img);
    }

    void wholeLargeImageIsScaledKeepingAspect()
    {
        RegionOptions o;
        o.maxSide = 1024;
        o.multiple = 8;
        const RegionPlan p = planRegion(QSize(3000, 1500), QRect(5, 5, 10, 10), o);
        QCOMPARE(p.crop, QRect(0, 0, 3000, 1500));
        QCOMPARE(p.scaled, QSize(1024, 512));
        QCOMPARE(p.workSize, QSize(1024, 512));
    }

    void maskedCropsAroundTheMaskAtNativeSize()
    {
        RegionOptions o;
        o.mode = RegionMode::Masked;
        o.padding = 32;
        o.nativeSize = 512;
        o.multiple = 8;
        const RegionPlan p = planRegion(QSize(4000, 3000), QRect(1000, 1000, 100, 50), o);
        QCOMPARE(p.crop, QRect(968, 968, 164, 114));
        QCOMPARE(p.scaled, QSize(512, 356));  // 114 * 512 / 164 = 355.9
        QCOMPARE(p.workSize, QSize(512, 360));

        // Clamped at the image border.
        const RegionPlan c = planRegion(QSize(4000, 3000), QRect(0, 2990, 20, 10), o);
        QCOMPARE(c.crop, QRect(0, 2958, 52, 42));
        QCOMPARE(c.scaled.width(), 512);
        QCOMPARE(c.workSize.width() % 8, 0);
        QCOMPARE(c.workSize.height() % 8, 0);

        // An empty mask plans nothing.
        QVERIFY(!planRegion(QSize(100, 100), QRect(), o).valid());
    }

    void workMaskIsNearestAndZeroPadded()
    {
        RegionOptions o;
        o.multiple = 8;
        QImage mask(61, 47, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 20; y < 30; ++y)
            for (int x = 40; x < 61; ++x) mask.scanLine(y)[x] = 255;
        const RegionPlan p = planRegion(mask.size(), QRect(40, 20, 21, 10), o);
        const QImage wm = extractWorkMask(mask, p);
        QCOMPARE(wm.size(), QSize(64, 48));
        QCOMPARE(wm.format(), QImage::Format_Grayscale8);
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 64; ++x) {
                const int expected = (x < 61 && y < 47) ? mask.constScanLine(y)[x] : 0;
                QCOMPARE(int(wm.constScanLine(y)[x]), expected);
            }
    }

    void restoreLeavesPixelsOutsideTheCropAlone()
    {
        RegionOptions o;
        o.mode = RegionMode::Masked;
        o.padding = 8;
        o.nativeSize = 64;
        o.multiple = 8;
        const QImage img = gradient(QSize(300, 200));
        const RegionPlan p = planRegion(img.size(), QRect(100, 80, 40, 30), o);
        QCOMPARE(p.crop, QRect(92, 72, 56, 46));
        const QImage work = extractWorkImage(img, p);
        QCOMPARE(work.size(), p.workSize);
        QImage generated = work;
        generated.fill(QColor(0, 255, 0));
        const QImage out = restoreWorkImage(img, generated, p);
        QCOMPARE(out.size(), img.size());
        QCOMPARE(out.format(), img.format());
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                if (p.crop.contains(x, y)) QCOMPARE(out.pixelColor(x, y), QColor(0, 255, 0));
                else QCOMPARE(out.pixel(x, y), img.pixel(x, y));
            }
    }
};

QTEST_GUILESS_MAIN(TestRegionPlan)
#include "test_region_plan.moc"
