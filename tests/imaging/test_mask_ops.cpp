// Mask helpers: union (max), invert, binarise, bounding box, coverage, grow/shrink,
// feather, resize and conversion from colour images.
#include "core/imaging/mask_ops.h"

#include <QTest>

using namespace inpaint::imaging;

namespace {
QImage maskWith(QSize size, std::initializer_list<std::tuple<int, int, int>> px)
{
    QImage m = emptyMask(size);
    for (auto [x, y, v] : px) m.scanLine(y)[x] = uchar(v);
    return m;
}
int at(const QImage& m, int x, int y) { return m.constScanLine(y)[x]; }
}  // namespace

class TestMaskOps : public QObject {
    Q_OBJECT

private slots:
    void unionKeepsMaximum()
    {
        const QImage a = maskWith({5, 4}, {{0, 0, 10}, {1, 1, 200}});
        const QImage b = maskWith({5, 4}, {{0, 0, 30}, {2, 3, 255}});
        const QImage u = maskUnion({a, QImage(), b});
        QCOMPARE(u.format(), QImage::Format_Grayscale8);
        QCOMPARE(at(u, 0, 0), 30);
        QCOMPARE(at(u, 1, 1), 200);
        QCOMPARE(at(u, 2, 3), 255);
        QCOMPARE(at(u, 4, 3), 0);
        QCOMPARE(at(a, 0, 0), 10);  // inputs untouched
        QVERIFY(maskUnion({a, emptyMask({6, 4})}).isNull());
        QImage acc = a;
        QVERIFY(!unionInto(acc, emptyMask({1, 1})));
        QVERIFY(maskUnion({}).isNull());
    }

    void invertAndBinarize()
    {
        const QImage m = maskWith({3, 1}, {{0, 0, 0}, {1, 0, 127}, {2, 0, 128}});
        const QImage inv = invertMask(m);
        QCOMPARE(at(inv, 0, 0), 255);
        QCOMPARE(at(inv, 1, 0), 128);
        const QImage bin = binarizeMask(m);
        QCOMPARE(at(bin, 1, 0), 0);
        QCOMPARE(at(bin, 2, 0), 255);
        QCOMPARE(at(binarizeMask(m, 0), 1, 0), 255);
    }

    void boundingBoxAndCoverage()
    {
        QImage m = emptyMask({100, 50});
        QVERIFY(maskBoundingBox(m).isEmpty());
        QVERIFY(isMaskEmpty(m));
        QCOMPARE(maskCoverage(m), qint64(0));
        m.scanLine(7)[12] = 1;
        m.scanLine(30)[80] = 255;
        QCOMPARE(maskBoundingBox(m), QRect(QPoint(12, 7), QPoint(80, 30)));
        QCOMPARE(maskCoverage(m), qint64(2));
        QVERIFY(!isMaskEmpty(m) && !isMaskFull(m));
        m.fill(3);
        QVERIFY(isMaskFull(m));
        QCOMPARE(maskBoundingBox(m), QRect(0, 0, 100, 50));
    }

    void growAndShrink()
    {
        const QImage dot = maskWith({21, 21}, {{10, 10, 255}});
        const QImage grown = growMask(dot, 3);
        QCOMPARE(at(grown, 13, 10), 255);  // on the axis, at the radius
        QCOMPARE(at(grown, 14, 10), 0);
        QCOMPARE(at(grown, 13, 13), 0);    // round, not square
        QCOMPARE(at(grown, 12, 12), 255);
        QCOMPARE(maskCoverage(grown), maskCoverage(growMask(dot, 3)));
        const QImage back = growMask(grown, -3);
        QCOMPARE(at(back, 10, 10), 255);
        QCOMPARE(maskCoverage(back), qint64(1));
        QVERIFY(growMask(dot, 0).cacheKey() == dot.cacheKey());
        // The border counts as "keep": a full mask shrinks away from it.
        QImage full = emptyMask({10, 10});
        full.fill(255);
        const QImage shrunk = growMask(full, -2);
        QCOMPARE(at(shrunk, 0, 5), 0);
        QCOMPARE(at(shrunk, 5, 5), 255);
    }

    void feather()
    {
        QImage m = emptyMask({41, 41});
        for (int y = 10; y <= 30; ++y)
            for (int x = 10; x <= 30; ++x) m.scanLine(y)[x] = 255;
        const QImage f = featherMask(m, 6);
        QCOMPARE(at(f, 20, 20), 255);              // deep inside stays full
        QVERIFY(at(f, 10, 20) < 255 && at(f, 10, 20) > 100);  // the edge softens
        QVERIFY(at(f, 8, 20) > 0);                  // and spills out a little
        QCOMPARE(at(f, 0, 0), 0);
        QCOMPARE(at(f, 10, 20), at(f, 30, 20));     // symmetric
        QVERIFY(featherMask(m, 0).cacheKey() == m.cacheKey());
    }

    void resizeNearest()
    {
        const QImage m = maskWith({4, 2}, {{1, 0, 255}, {2, 1, 77}});
        const QImage r = resizeMask(m, {8, 4});
        QCOMPARE(r.size(), QSize(8, 4));
        QCOMPARE(at(r, 2, 0), 255);
        QCOMPARE(at(r, 3, 1), 255);
        QCOMPARE(at(r, 4, 2), 77);
        QCOMPARE(at(r, 0, 0), 0);
    }

    void fromColourImages()
    {
        QImage c(3, 1, QImage::Format_RGB32);
        c.setPixel(0, 0, qRgb(255, 255, 255));
        c.setPixel(1, 0, qRgb(0, 0, 0));
        c.setPixel(2, 0, qRgb(255, 0, 0));
        QImage m = maskFromImage(c);
        QCOMPARE(m.format(), QImage::Format_Grayscale8);
        QCOMPARE(at(m, 0, 0), 255);
        QCOMPARE(at(m, 1, 0), 0);
        QCOMPARE(at(m, 2, 0), qGray(255, 0, 0));
        QImage a(2, 1, QImage::Format_RGBA8888);
        a.setPixelColor(0, 0, QColor(255, 255, 255, 128));
        a.setPixelColor(1, 0, QColor(255, 255, 255, 0));
        m = maskFromImage(a);
        QCOMPARE(at(m, 0, 0), 128);
        QCOMPARE(at(m, 1, 0), 0);
        QVERIFY(maskFromImage(QImage()).isNull());
    }
};

QTEST_GUILESS_MAIN(TestMaskOps)
#include "test_mask_ops.moc"
