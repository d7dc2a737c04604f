// Painting cost on an 8000x6000 image, measured on the real canvas: 1000 mouse motion
// events with the button held, each followed by the repaint it causes (processEvents), at
// "fit" zoom and at 100 %, for an 8-bit RGB and a 16-bit RGBA image. Prints ms per event
// (input + brush + dirty tracking), the repaint times, and the cost of ending the stroke
// (the undo command), and fails if painting stops being proportional to the brush.
#include "core/document/document.h"
#include "ui/canvas_view.h"

#include <QElapsedTimer>
#include <QPainter>
#include <QTest>
#include <QUndoStack>
#include <cmath>

using inpaint::document::Document;
using inpaint::ui::CanvasView;

namespace {
QImage makeBig(QImage::Format format) {
    QImage img(8000, 6000, format);
    QPainter p(&img);
    QLinearGradient g(0, 0, 8000, 6000);
    g.setColorAt(0, QColor(30, 60, 90));
    g.setColorAt(1, QColor(220, 180, 120));
    p.fillRect(img.rect(), g);
    return img;
}
}  // namespace

class TestPaintBench : public QObject {
    Q_OBJECT
private slots:
    void paint_data() {
        QTest::addColumn<int>("format");
        QTest::addColumn<bool>("fit");
        QTest::newRow("rgb8-fit") << int(QImage::Format_RGB888) << true;
        QTest::newRow("rgb8-100%") << int(QImage::Format_RGB888) << false;
        QTest::newRow("rgba16-fit") << int(QImage::Format_RGBA64) << true;
    }

    void paint() {
        QFETCH(int, format);
        QFETCH(bool, fit);
        Document doc;
        doc.reset(makeBig(QImage::Format(format)));
        CanvasView canvas(&doc);
        canvas.resize(1600, 1000);
        canvas.show();
        QVERIFY(QTest::qWaitForWindowExposed(&canvas));
        if (fit) canvas.fitToWindow();
        else canvas.setViewTransform({1.0, QPointF(-3000, -2500)});
        canvas.setBrushSize(60);  // image pixels
        QCoreApplication::processEvents();

        // Full repaint (what a zoom or pan costs), averaged over 10.
        QElapsedTimer t;
        t.start();
        for (int i = 0; i < 10; ++i) canvas.repaint();
        const double fullMs = t.nsecsElapsed() / 1e6 / 10;

        canvas.resetPaintStats();
        const int n = 1000;
        auto pointAt = [&](int i) {  // a wavy stroke across most of the view
            const double u = double(i) / n;
            return QPoint(int(100 + 1400 * u), int(500 + 380 * std::sin(u * 6 * M_PI)));
        };
        double inputNs = 0;
        QElapsedTimer total;
        total.start();
        QTest::mousePress(&canvas, Qt::LeftButton, Qt::NoModifier, pointAt(0));
        for (int i = 1; i <= n; ++i) {
            QElapsedTimer e;
            e.start();
            QTest::mouseMove(&canvas, pointAt(i));
            inputNs += e.nsecsElapsed();
            QCoreApplication::processEvents();  // the repaint this motion asked for
        }
        const double totalMs = total.nsecsElapsed() / 1e6;
        t.restart();
        QTest::mouseRelease(&canvas, Qt::LeftButton, Qt::NoModifier, pointAt(n));
        const double commitMs = t.nsecsElapsed() / 1e6;
        QCOMPARE(doc.undoStack()->count(), 1);

        const auto st = canvas.paintStats();
        const double perEvent = totalMs / n;
        const double inputPerEvent = inputNs / 1e6 / n;
        const double paintAvg = st.paints ? st.totalMs / st.paints : 0.0;
        const double pxAvg = st.paints ? double(st.pixels) / st.paints : 0.0;
        qInfo("PAINTBENCH %s zoom=%.3f: %.3f ms/event total (input+brush %.3f ms, %d repaints avg %.3f ms max %.3f ms, "
              "avg %.0f widget px each); full repaint %.2f ms; end of stroke (undo command) %.2f ms",
              QTest::currentDataTag(), canvas.zoom(), perEvent, inputPerEvent, st.paints, paintAvg, st.maxMs, pxAvg,
              fullMs, commitMs);
        // Painting must stay interactive: well under a 60 Hz frame per event on average.
        QVERIFY2(perEvent < 16.0, qPrintable(QString::number(perEvent)));
        QVERIFY2(inputPerEvent < 5.0, qPrintable(QString::number(inputPerEvent)));
    }
};

QTEST_MAIN(TestPaintBench)
#include "test_paint_bench.moc"
