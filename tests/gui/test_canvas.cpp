// CanvasView driven like a person would: QTest mouse events on the real widget at zooms
// other than 100 %. Painted pixels are compared with the analytic hard-brush footprint
// (pixels whose centre lies within the radius of the polyline through the events).
#include "core/document/document.h"
#include "ui/canvas_view.h"

#include <QPainter>
#include <QTabletEvent>
#include <QTest>
#include <QUndoStack>
#include <cmath>

using inpaint::document::Document;
using inpaint::ui::CanvasView;
using inpaint::ui::ViewTransform;

namespace {

double distToSegment(QPointF p, QPointF a, QPointF b) {
    const QPointF ab = b - a, ap = p - a;
    const double len2 = QPointF::dotProduct(ab, ab);
    double t = len2 > 0 ? QPointF::dotProduct(ap, ab) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const QPointF d = ap - t * ab;
    return std::sqrt(d.x() * d.x() + d.y() * d.y());
}

// The hard-brush footprint of a polyline in image coordinates.
QImage footprint(QSize size, const QVector<QPointF>& pts, double r, uchar in, uchar out) {
    QImage m(size, QImage::Format_Grayscale8);
    m.fill(out);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x) {
            const QPointF c(x + 0.5, y + 0.5);
            double best = distToSegment(c, pts[0], pts[0]);
            for (int i = 1; i < pts.size(); ++i) best = std::min(best, distToSegment(c, pts[i - 1], pts[i]));
            if (best <= r) m.scanLine(y)[x] = in;
        }
    return m;
}

int countDiff(const QImage& a, const QImage& b) {
    int n = 0;
    for (int y = 0; y < a.height(); ++y)
        for (int x = 0; x < a.width(); ++x) n += a.constScanLine(y)[x] != b.constScanLine(y)[x];
    return n;
}

int countNonZero(const QImage& m) {
    int n = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x) n += m.constScanLine(y)[x] != 0;
    return n;
}

}  // namespace

class TestCanvas : public QObject {
    Q_OBJECT
    Document* m_doc = nullptr;
    CanvasView* m_canvas = nullptr;

    // A drag through widget points; returns the image points the canvas should have used.
    QVector<QPointF> drag(const QVector<QPoint>& widgetPts) {
        QVector<QPointF> img;
        for (const QPoint& p : widgetPts) img << m_canvas->widgetToImage(QPointF(p));
        QTest::mousePress(m_canvas, Qt::LeftButton, Qt::NoModifier, widgetPts.first());
        for (int i = 1; i < widgetPts.size(); ++i) QTest::mouseMove(m_canvas, widgetPts[i]);
        QTest::mouseRelease(m_canvas, Qt::LeftButton, Qt::NoModifier, widgetPts.last());
        return img;
    }

private slots:
    void init() {
        m_doc = new Document;
        QImage img(160, 120, QImage::Format_RGB888);
        img.fill(QColor(128, 128, 128));
        m_doc->reset(img, QStringLiteral("grey.png"));
        m_canvas = new CanvasView(m_doc);
        m_canvas->resize(640, 480);
        m_canvas->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_canvas));
        m_canvas->setBrushHardness(1.0);
        m_canvas->setBrushSize(8.6);  // radius 4.3: never exactly on a pixel-centre distance
    }
    void cleanup() {
        delete m_canvas;
        delete m_doc;
    }

    void strokeAtZoom2PaintsExactFootprint() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(37, 21)});
        QCOMPARE(m_canvas->zoom(), 2.0);
        const auto pts = drag({QPoint(80, 60), QPoint(140, 75), QPoint(260, 190), QPoint(300, 60)});
        QCOMPARE(pts[0], QPointF(21.5, 19.5));  // (80-37)/2, (60-21)/2
        const QImage expected = footprint(m_doc->size(), pts, 4.3, 255, 0);
        QVERIFY(countNonZero(expected) > 500);
        QCOMPARE(countDiff(m_doc->layer(0).pixels, expected), 0);
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void strokeAtZoom150PaintsExactFootprint() {
        m_canvas->setViewTransform(ViewTransform{1.5, QPointF(-13, 8)});
        const auto pts = drag({QPoint(50, 50), QPoint(51, 52), QPoint(200, 100), QPoint(90, 170)});
        QCOMPARE(countDiff(m_doc->layer(0).pixels, footprint(m_doc->size(), pts, 4.3, 255, 0)), 0);
    }

    void clickPaintsOneDisc() {
        m_canvas->setViewTransform(ViewTransform{3.0, QPointF(5, 5)});
        QTest::mouseClick(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(200, 150));
        const QPointF c((200 - 5) / 3.0, (150 - 5) / 3.0);
        QCOMPARE(countDiff(m_doc->layer(0).pixels, footprint(m_doc->size(), {c}, 4.3, 255, 0)), 0);
    }

    void eraserRemovesExactFootprint() {
        m_doc->fillLayer(0);
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(37, 21)});
        m_canvas->setToolKind(CanvasView::ToolKind::Eraser);
        const auto pts = drag({QPoint(60, 70), QPoint(300, 230)});
        QCOMPARE(countDiff(m_doc->layer(0).pixels, footprint(m_doc->size(), pts, 4.3, 0, 255)), 0);
        QCOMPARE(m_doc->undoStack()->count(), 2);  // fill + one stroke
    }

    void fastMoveLeavesNoGap() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        m_canvas->setBrushSize(2.0);
        const auto pts = drag({QPoint(10, 10), QPoint(310, 230)});  // one event 190 image px away
        const QImage& m = m_doc->layer(0).pixels;
        for (double t = 0; t <= 1.0; t += 0.001) {
            const QPointF p = pts[0] * (1 - t) + pts[1] * t;
            QCOMPARE(int(m.constScanLine(int(p.y()))[int(p.x())]), 255);
        }
    }

    void undoRedoRestoresPixelsExactly() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(37, 21)});
        const QImage s0 = m_doc->layer(0).pixels.copy();
        drag({QPoint(50, 50), QPoint(300, 100)});
        const QImage s1 = m_doc->layer(0).pixels.copy();
        m_canvas->setToolKind(CanvasView::ToolKind::Eraser);
        m_canvas->setBrushSize(20);
        drag({QPoint(100, 40), QPoint(120, 120)});
        const QImage s2 = m_doc->layer(0).pixels.copy();
        QVERIFY(s0 != s1 && s1 != s2);
        QUndoStack* st = m_doc->undoStack();
        QCOMPARE(st->count(), 2);
        st->undo();
        QVERIFY(m_doc->layer(0).pixels == s1);
        st->undo();
        QVERIFY(m_doc->layer(0).pixels == s0);
        st->redo();
        QVERIFY(m_doc->layer(0).pixels == s1);
        st->redo();
        QVERIFY(m_doc->layer(0).pixels == s2);
        st->undo();
        st->redo();
        QVERIFY(m_doc->layer(0).pixels == s2);
    }

    void hiddenLayerIsNotPainted() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        m_doc->setLayerVisible(0, false);
        drag({QPoint(100, 100), QPoint(200, 200)});
        QCOMPARE(countNonZero(m_doc->layer(0).pixels), 0);
        QCOMPARE(m_doc->undoStack()->count(), 1);  // just the hide
    }

    void escapeCancelsStroke() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        QTest::mousePress(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(100, 100));
        QTest::mouseMove(m_canvas, QPoint(200, 150));
        QVERIFY(countNonZero(m_doc->layer(0).pixels) > 0);
        QTest::keyClick(m_canvas, Qt::Key_Escape);
        QTest::mouseRelease(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(200, 150));
        QCOMPARE(countNonZero(m_doc->layer(0).pixels), 0);
        QCOMPARE(m_doc->undoStack()->count(), 0);
    }

    void wheelZoomKeepsPointUnderCursor() {
        m_canvas->setViewTransform(ViewTransform{1.0, QPointF(100, 50)});
        const QPointF at(250.0, 170.0);
        const QPointF before = m_canvas->widgetToImage(at);
        QWheelEvent wheel(at, m_canvas->mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                          Qt::NoScrollPhase, false);
        QApplication::sendEvent(m_canvas, &wheel);
        QVERIFY(m_canvas->zoom() > 1.1);
        const QPointF after = m_canvas->widgetToImage(at);
        QVERIFY(std::abs(after.x() - before.x()) < 1e-9);
        QVERIFY(std::abs(after.y() - before.y()) < 1e-9);
        QVERIFY(!m_canvas->isFitMode());
    }

    void zoomStepsAndFit() {
        m_canvas->fitToWindow();
        QCOMPARE(m_canvas->zoom(), 1.0);  // a small image is not enlarged by "fit"
        m_canvas->actualSize();
        m_canvas->zoomIn();
        QCOMPARE(m_canvas->zoom(), 1.5);
        m_canvas->zoomOut();
        m_canvas->zoomOut();
        QCOMPARE(m_canvas->zoom(), 2.0 / 3.0);

        QImage big(4000, 3000, QImage::Format_RGB888);
        big.fill(Qt::white);
        m_doc->reset(big);
        QVERIFY(m_canvas->isFitMode());
        const QRectF shown = m_canvas->viewTransform().toWidget(QRectF(0, 0, 4000, 3000));
        QVERIFY(m_canvas->rect().contains(shown.toAlignedRect()));
        QVERIFY(shown.width() > 600 || shown.height() > 440);  // fills the view along one side
    }

    void middleDragAndSpaceDragPan() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(10, 10)});
        QTest::mousePress(m_canvas, Qt::MiddleButton, Qt::NoModifier, QPoint(100, 100));
        QTest::mouseMove(m_canvas, QPoint(130, 90));
        QTest::mouseRelease(m_canvas, Qt::MiddleButton, Qt::NoModifier, QPoint(130, 90));
        QCOMPARE(m_canvas->viewTransform().offset, QPointF(40, 0));

        QTest::keyPress(m_canvas, Qt::Key_Space);
        QTest::mousePress(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(200, 200));
        QTest::mouseMove(m_canvas, QPoint(190, 230));
        QTest::mouseRelease(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(190, 230));
        QTest::keyRelease(m_canvas, Qt::Key_Space);
        QCOMPARE(m_canvas->viewTransform().offset, QPointF(30, 30));
        QCOMPARE(countNonZero(m_doc->layer(0).pixels), 0);  // panning never paints
        QCOMPARE(m_doc->undoStack()->count(), 0);
    }

    void tabletPressureScalesTheBrush() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        m_canvas->setBrushSize(20);  // radius 10 at full pressure
        const QPointF at(160, 120);  // image (80, 60)
        auto send = [&](QEvent::Type type, qreal pressure, Qt::MouseButton button, Qt::MouseButtons buttons) {
            QTabletEvent e(type, QPointingDevice::primaryPointingDevice(), at, m_canvas->mapToGlobal(at), pressure,
                           0, 0, 0, 0, 0, Qt::NoModifier, button, buttons);
            QApplication::sendEvent(m_canvas, &e);
            QVERIFY(e.isAccepted());
        };
        send(QEvent::TabletPress, 0.5, Qt::LeftButton, Qt::LeftButton);
        send(QEvent::TabletRelease, 0.5, Qt::LeftButton, Qt::NoButton);
        QCOMPARE(countDiff(m_doc->layer(0).pixels, footprint(m_doc->size(), {QPointF(80, 60)}, 5.0, 255, 0)), 0);
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void repaintsOnlyTheDirtyRect() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        QTest::qWait(50);
        m_canvas->resetPaintStats();
        QTest::mousePress(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(100, 100));
        QTest::mouseMove(m_canvas, QPoint(110, 104));
        QTest::mouseRelease(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(110, 104));
        QTRY_VERIFY(m_canvas->paintStats().paints > 0);
        const qint64 full = qint64(m_canvas->width()) * m_canvas->height();
        QVERIFY2(m_canvas->paintStats().pixels < full / 10,
                 qPrintable(QStringLiteral("%1 of %2").arg(m_canvas->paintStats().pixels).arg(full)));
    }

    void overlayAndPreviewAreDrawn() {
        m_canvas->setViewTransform(ViewTransform{2.0, QPointF(0, 0)});
        m_canvas->setBrushSize(30);
        QTest::mouseClick(m_canvas, Qt::LeftButton, Qt::NoModifier, QPoint(100, 100));
        QImage shot = m_canvas->grab().toImage();
        const QColor painted = shot.pixelColor(100, 100), plain = shot.pixelColor(250, 200);
        QCOMPARE(plain, QColor(128, 128, 128));
        QVERIFY2(painted.red() > painted.green() + 40, qPrintable(painted.name()));  // red overlay

        // A pending result is shown instead of the image; holding \ shows the original.
        QImage result = m_doc->image().copy();
        result.fill(QColor(0, 0, 255));
        m_canvas->setPreviewImage(result);
        shot = m_canvas->grab().toImage();
        QCOMPARE(shot.pixelColor(250, 200), QColor(0, 0, 255));
        QTest::keyPress(m_canvas, Qt::Key_Backslash);
        QVERIFY(m_canvas->isShowingOriginal());
        shot = m_canvas->grab().toImage();
        QCOMPARE(shot.pixelColor(250, 200), QColor(128, 128, 128));
        QTest::keyRelease(m_canvas, Qt::Key_Backslash);
        QVERIFY(!m_canvas->isShowingOriginal());
        // Split view: result on the left, original on the right.
        m_canvas->setSplitEnabled(true);
        m_canvas->setSplitPosition(0.25);  // x = 160
        shot = m_canvas->grab().toImage();
        QCOMPARE(shot.pixelColor(100, 200), QColor(0, 0, 255));
        QCOMPARE(shot.pixelColor(250, 200), QColor(128, 128, 128));
    }

    void zoomedOutDrawingUsesThePyramid() {
        // Left half red, right half blue, 16-bit with alpha: drawn at 1/16 through a pyramid level.
        QImage big(3200, 2400, QImage::Format_RGBA64);
        big.fill(QColor(255, 0, 0));
        {
            QPainter p(&big);
            p.fillRect(1600, 0, 1600, 2400, QColor(0, 0, 255));
        }
        m_doc->reset(big);
        m_canvas->setViewTransform(ViewTransform{1.0 / 16, QPointF(20, 20)});
        const QImage shot = m_canvas->grab().toImage();
        QCOMPARE(shot.pixelColor(20 + 40, 20 + 60), QColor(255, 0, 0));
        QCOMPARE(shot.pixelColor(20 + 160, 20 + 60), QColor(0, 0, 255));
        // After an applied result the pyramid is refreshed where the image changed.
        QImage result = big.copy();
        {
            QPainter p(&result);
            p.fillRect(0, 0, 800, 800, QColor(0, 255, 0));
        }
        m_doc->applyResult(result, QRect(0, 0, 800, 800), QStringLiteral("apply"));
        const QImage shot2 = m_canvas->grab().toImage();
        QCOMPARE(shot2.pixelColor(20 + 20, 20 + 20), QColor(0, 255, 0));
        QCOMPARE(shot2.pixelColor(20 + 40, 20 + 100), QColor(255, 0, 0));
    }
};

QTEST_MAIN(TestCanvas)
#include "test_canvas.moc"
