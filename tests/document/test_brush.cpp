// Brush rasterisation and the brush/eraser tool: exact coverage for the hard brush
// (checked against the analytic capsule), soft falloff, eraser, max/min combination,
// gap-free interpolation of fast moves and pressure scaling.
#include "core/document/document.h"
#include "core/tools/brush_raster.h"
#include "core/tools/brush_tool.h"

#include <QTest>
#include <QUndoStack>
#include <cmath>

using namespace inpaint::tools;
using inpaint::document::Document;

namespace {

QImage blank(int w, int h, uchar v = 0) {
    QImage m(w, h, QImage::Format_Grayscale8);
    m.fill(v);
    return m;
}

// Distance from p to the segment a-b (the analytic reference).
double distToSegment(QPointF p, QPointF a, QPointF b) {
    const QPointF ab = b - a, ap = p - a;
    const double len2 = QPointF::dotProduct(ab, ab);
    double t = len2 > 0 ? QPointF::dotProduct(ap, ab) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const QPointF d = ap - t * ab;
    return std::sqrt(d.x() * d.x() + d.y() * d.y());
}

QImage expectedHard(QSize size, const QVector<QPointF>& pts, double r, uchar inside, uchar outside) {
    QImage m = blank(size.width(), size.height(), outside);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x) {
            const QPointF c(x + 0.5, y + 0.5);
            double best = distToSegment(c, pts[0], pts[0]);
            for (int i = 1; i < pts.size(); ++i) best = std::min(best, distToSegment(c, pts[i - 1], pts[i]));
            if (best <= r) m.scanLine(y)[x] = inside;
        }
    return m;
}

int diffCount(const QImage& a, const QImage& b) {
    int n = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) n += a.constScanLine(y)[x] != b.constScanLine(y)[x];
    return n;
}

}  // namespace

class TestBrush : public QObject {
    Q_OBJECT
private slots:
    void coverageFalloff() {
        QCOMPARE(brushCoverage(0.0, 10.0, 1.0), 1.0);
        QCOMPARE(brushCoverage(10.0, 10.0, 1.0), 1.0);
        QCOMPARE(brushCoverage(10.01, 10.0, 1.0), 0.0);
        QCOMPARE(brushCoverage(5.0, 10.0, 0.5), 1.0);   // inside the hard core
        QCOMPARE(brushCoverage(7.5, 10.0, 0.5), 0.5);   // smoothstep midpoint
        QCOMPARE(brushCoverage(10.0, 10.0, 0.5), 0.0);
        QCOMPARE(brushCoverage(0.0, 10.0, 0.0), 1.0);
        double prev = 1.0;
        for (double d = 0; d <= 10.0; d += 0.25) {  // monotone
            const double c = brushCoverage(d, 10.0, 0.3);
            QVERIFY(c <= prev + 1e-12);
            prev = c;
        }
    }

    void hardDiscIsExact() {
        QImage m = blank(64, 64);
        BrushSegment s{QPointF(30.3, 25.7), QPointF(30.3, 25.7), 9.2, 9.2};
        rasterSegment(m, s, 1.0, BrushMode::Paint, m.rect());
        QCOMPARE(diffCount(m, expectedHard(m.size(), {s.from}, 9.2, 255, 0)), 0);
    }

    void hardCapsuleIsExact() {
        QImage m = blank(200, 120);
        const QVector<QPointF> pts = {QPointF(12.25, 20.5), QPointF(150.75, 95.1), QPointF(180.2, 10.9)};
        for (int i = 1; i < pts.size(); ++i)
            rasterSegment(m, BrushSegment{pts[i - 1], pts[i], 6.3, 6.3}, 1.0, BrushMode::Paint, m.rect());
        QCOMPARE(diffCount(m, expectedHard(m.size(), pts, 6.3, 255, 0)), 0);
    }

    void fastMoveLeavesNoGap() {
        // One motion event 400 pixels away must still paint a continuous band.
        Document doc;
        QImage img(500, 100, QImage::Format_RGB888);
        img.fill(Qt::gray);
        doc.reset(img);
        BrushTool brush(&doc, BrushMode::Paint);
        BrushSettings s;
        s.size = 3;
        brush.setSettings(s);
        brush.begin({QPointF(20.5, 50.5)});
        brush.motion({QPointF(480.5, 30.5)});
        brush.end({QPointF(480.5, 30.5)});
        const QImage& m = doc.layer(0).pixels;
        for (double t = 0; t <= 1.0; t += 0.0005) {
            const QPointF p = QPointF(20.5, 50.5) * (1 - t) + QPointF(480.5, 30.5) * t;
            QCOMPARE(int(m.constScanLine(int(p.y()))[int(p.x())]), 255);
        }
        QCOMPARE(doc.undoStack()->count(), 1);
    }

    void softBrushFallsOff() {
        QImage m = blank(80, 80);
        rasterSegment(m, BrushSegment{QPointF(40, 40), QPointF(40, 40), 20, 20}, 0.25, BrushMode::Paint, m.rect());
        const uchar* row = m.constScanLine(39);
        QCOMPARE(int(row[39]), 255);       // centre
        QCOMPARE(int(row[39 + 4]), 255);   // inside hardness*radius = 5
        QVERIFY(row[39 + 10] > 0 && row[39 + 10] < 255);
        QVERIFY(row[39 + 10] > row[39 + 15]);
        QCOMPARE(int(row[39 + 21]), 0);    // outside the radius
        // Symmetric left/right.
        for (int d = 0; d < 20; ++d) QCOMPARE(row[39 - d], row[39 + 1 + d]);
    }

    void brushCombinesWithMaxAndIsIdempotent() {
        QImage m = blank(80, 80);
        const BrushSegment s{QPointF(20, 40), QPointF(60, 40), 12, 12};
        rasterSegment(m, s, 0.3, BrushMode::Paint, m.rect());
        const QImage once = m.copy();
        rasterSegment(m, s, 0.3, BrushMode::Paint, m.rect());  // the same again: nothing darkens
        QVERIFY(m == once);
        QImage n = blank(80, 80, 200);  // already strong mask stays at least as strong
        rasterSegment(n, s, 0.3, BrushMode::Paint, n.rect());
        for (int y = 0; y < 80; ++y)
            for (int x = 0; x < 80; ++x) QCOMPARE(int(n.constScanLine(y)[x]), std::max(200, int(once.constScanLine(y)[x])));
    }

    void eraserCombinesWithMin() {
        QImage m = blank(100, 60, 255);
        const QVector<QPointF> pts = {QPointF(10.2, 30.4), QPointF(90.7, 28.1)};
        rasterSegment(m, BrushSegment{pts[0], pts[1], 7.7, 7.7}, 1.0, BrushMode::Erase, m.rect());
        QCOMPARE(diffCount(m, expectedHard(m.size(), pts, 7.7, 0, 255)), 0);
        // Soft eraser: result = min(old, 255 - coverage*255), so a 100 background stays <= 100.
        QImage soft = blank(100, 60, 100);
        QImage brushRef = blank(100, 60, 0);
        const BrushSegment seg{QPointF(50, 30), QPointF(50, 30), 20, 20};
        rasterSegment(soft, seg, 0.2, BrushMode::Erase, soft.rect());
        rasterSegment(brushRef, seg, 0.2, BrushMode::Paint, brushRef.rect());
        for (int y = 0; y < 60; ++y)
            for (int x = 0; x < 100; ++x)
                QCOMPARE(int(soft.constScanLine(y)[x]), std::min(100, 255 - int(brushRef.constScanLine(y)[x])));
    }

    void clipIsRespected() {
        QImage m = blank(50, 50);
        const QRect r = rasterSegment(m, BrushSegment{QPointF(-10, -10), QPointF(60, 60), 5, 5}, 1.0,
                                      BrushMode::Paint, m.rect());
        QCOMPARE(r, m.rect());
        QCOMPARE(int(m.constScanLine(0)[0]), 255);
        QCOMPARE(int(m.constScanLine(49)[49]), 255);
    }

    void pressureScalesSize() {
        Document doc;
        QImage img(64, 64, QImage::Format_RGB888);
        img.fill(Qt::gray);
        doc.reset(img);
        BrushTool brush(&doc, BrushMode::Paint);
        BrushSettings s;
        s.size = 40;
        brush.setSettings(s);
        QCOMPARE(brush.radiusFor({QPointF(), 1.0, true}), 20.0);
        QCOMPARE(brush.radiusFor({QPointF(), 0.5, true}), 10.0);
        QCOMPARE(brush.radiusFor({QPointF(), 0.5, false}), 20.0);   // a mouse has no pressure
        QCOMPARE(brush.radiusFor({QPointF(), 0.0, true}), 2.0);     // minPressureScale 0.1
        s.pressureSize = false;
        brush.setSettings(s);
        QCOMPARE(brush.radiusFor({QPointF(), 0.5, true}), 20.0);
    }

    void taperedSegmentFollowsPressure() {
        QImage m = blank(200, 60);
        rasterSegment(m, BrushSegment{QPointF(20, 30), QPointF(180, 30), 2, 20}, 1.0, BrushMode::Paint, m.rect());
        auto height = [&](int x) {
            int n = 0;
            for (int y = 0; y < 60; ++y) n += m.constScanLine(y)[x] != 0;
            return n;
        };
        QVERIFY(height(30) < height(100));
        QVERIFY(height(100) < height(170));
        QVERIFY(std::abs(height(100) - 2 * 11) <= 2);  // radius 11 in the middle
    }
};

QTEST_GUILESS_MAIN(TestBrush)
#include "test_brush.moc"
