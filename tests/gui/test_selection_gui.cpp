// The selection tools in the real main window (offscreen): choose Select Object by its action,
// drag a rectangle over a synthetic object with QTest mouse events (the rubber band shows while
// dragging), the active layer then covers the object; one Undo restores it pixel for pixel.
// Also: the options that replace the brush options, Esc and a plain click (nothing changes, the
// status bar says why), and the magic wand with Shift adding.
#include "core/document/document.h"
#include "core/document/pixel_patch.h"
#include "fake_backend.h"
#include "ui/canvas_view.h"
#include "ui/main_window.h"

#include <QAction>
#include <QComboBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTest>
#include <QUndoStack>
#include <cmath>

using inpaint::document::Document;
using inpaint::document::samePixels;
using inpaint::ui::CanvasView;
using inpaint::ui::MainWindow;

namespace {
const QPointF kCentre(150, 100);
constexpr double kRadius = 50;
const QRect kSquare(250, 40, 40, 40);

bool inDisc(int x, int y) { return std::hypot(x + 0.5 - kCentre.x(), y + 0.5 - kCentre.y()) <= kRadius; }

QImage scene() {
    QImage img(320, 200, QImage::Format_RGB888);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            QColor c = ((x / 10 + y / 10) % 2) ? QColor(110, 140, 60) : QColor(90, 120, 80);
            if (inDisc(x, y)) c = QColor(230, 70, 60);
            else if (kSquare.contains(x, y)) c = QColor(60, 80, 230);
            img.setPixelColor(x, y, c);
        }
    return img;
}

double covered(const QImage& m, auto&& pred) {
    qint64 n = 0, hit = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            if (pred(x, y)) {
                ++n;
                hit += m.constScanLine(y)[x] != 0;
            }
    return double(hit) / std::max<qint64>(1, n);
}
}  // namespace

class TestSelectionGui : public QObject {
    Q_OBJECT
    std::shared_ptr<FakeBackendState> m_state;
    MainWindow* m_w = nullptr;

    Document* doc() const { return m_w->document(); }
    CanvasView* canvas() const { return m_w->canvas(); }
    QPoint w(QPointF imagePt) const { return canvas()->imageToWidget(imagePt).toPoint(); }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("InpaintStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_selection_gui"));
    }
    void init() {
        m_state = std::make_shared<FakeBackendState>();
        m_w = new MainWindow(fakeFactory(m_state));
        m_w->resize(1100, 750);
        m_w->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_w));
        doc()->reset(scene());
        QTest::qWait(20);
    }
    void cleanup() {
        doc()->undoStack()->setClean();  // no "save changes?" on close
        delete m_w;
        m_w = nullptr;
    }

    void rectangleSelectsTheObjectAndUndoRestores() {
        QAction* select = m_w->action(QStringLiteral("selectRect"));
        QVERIFY(select);
        QCOMPARE(select->shortcut(), QKeySequence(Qt::Key_R));
        select->trigger();
        QCOMPARE(canvas()->toolKind(), CanvasView::ToolKind::Select);
        QVERIFY(select->isChecked());
        QVERIFY(!m_w->action(QStringLiteral("brush"))->isChecked());
        auto* options = m_w->findChild<QWidget*>(QStringLiteral("selectionOptions"));
        QVERIFY(options);
        QTRY_VERIFY(options->isVisible());  // the tool bar lays its widgets out on the next pass
        QTRY_VERIFY(m_w->findChild<QComboBox*>(QStringLiteral("grabCutDrag"))->isVisible());

        const QImage before = doc()->layer(0).pixels.copy();
        const QPoint a = w(QPointF(92, 42)), b = w(QPointF(208, 158));
        QTest::mousePress(canvas(), Qt::LeftButton, Qt::NoModifier, a);
        QTest::mouseMove(canvas(), (a + b) / 2);
        QTest::mouseMove(canvas(), b);
        QVERIFY(canvas()->isStrokeActive());
        // The rubber band: white dashes / black line along its top edge, where the picture has neither.
        const QImage shot = canvas()->grab().toImage();
        int bandPixels = 0;
        for (int x = a.x() + 4; x < b.x() - 4; ++x)
            for (int y = a.y() - 2; y <= a.y() + 2; ++y) {
                const QColor c = shot.pixelColor(x, y);
                bandPixels += (c.red() > 235 && c.green() > 235 && c.blue() > 235) ||
                              (c.red() < 20 && c.green() < 20 && c.blue() < 20);
            }
        QVERIFY2(bandPixels > (b.x() - a.x()) / 2, qPrintable(QString::number(bandPixels)));
        QTest::mouseRelease(canvas(), Qt::LeftButton, Qt::NoModifier, b);

        QCOMPARE(doc()->undoStack()->count(), 1);
        const QImage after = doc()->layer(0).pixels.copy();
        const double disc = covered(after, inDisc);
        const double outside = covered(after, [](int x, int y) { return !inDisc(x, y); });
        qInfo("selected %.4f of the disc, %.4f of the rest", disc, outside);
        QVERIFY(disc >= 0.97);
        QVERIFY(outside <= 0.01);
        QVERIFY(m_w->statusBar()->currentMessage().contains(QLatin1String("GrabCut")));

        m_w->action(QStringLiteral("undo"))->trigger();
        QVERIFY(samePixels(doc()->layer(0).pixels, before));
        m_w->action(QStringLiteral("redo"))->trigger();
        QVERIFY(samePixels(doc()->layer(0).pixels, after));
    }

    void clickAndEscapeChangeNothing() {
        m_w->action(QStringLiteral("selectRect"))->trigger();
        const QImage before = doc()->layer(0).pixels.copy();
        QTest::mouseClick(canvas(), Qt::LeftButton, Qt::NoModifier, w(QPointF(150, 100)));
        QCOMPARE(doc()->undoStack()->count(), 0);
        QVERIFY2(m_w->statusBar()->currentMessage().contains(QLatin1String("empty")),
                 qPrintable(m_w->statusBar()->currentMessage()));
        const QPoint a = w(QPointF(92, 42)), b = w(QPointF(208, 158));
        QTest::mousePress(canvas(), Qt::LeftButton, Qt::NoModifier, a);
        QTest::mouseMove(canvas(), b);
        QTest::keyClick(canvas(), Qt::Key_Escape);
        QVERIFY(!canvas()->isStrokeActive());
        QTest::mouseRelease(canvas(), Qt::LeftButton, Qt::NoModifier, b);
        QCOMPARE(doc()->undoStack()->count(), 0);
        QVERIFY(samePixels(doc()->layer(0).pixels, before));
    }

    void wandClickAndShiftAdd() {
        QAction* wand = m_w->action(QStringLiteral("magicWand"));
        QCOMPARE(wand->shortcut(), QKeySequence(Qt::Key_W));
        wand->trigger();
        QCOMPARE(canvas()->toolKind(), CanvasView::ToolKind::Wand);
        QTRY_VERIFY(m_w->findChild<QWidget*>(QStringLiteral("wandTolerance"))->isVisible());
        QTRY_VERIFY(!m_w->findChild<QComboBox*>(QStringLiteral("grabCutDrag"))->isVisible());
        QTest::mouseClick(canvas(), Qt::LeftButton, Qt::NoModifier, w(QPointF(150.5, 100.5)));
        QCOMPARE(doc()->undoStack()->count(), 1);
        QCOMPARE(covered(doc()->layer(0).pixels, inDisc), 1.0);
        QCOMPARE(covered(doc()->layer(0).pixels, [](int x, int y) { return !inDisc(x, y); }), 0.0);
        QTest::mouseClick(canvas(), Qt::LeftButton, Qt::ShiftModifier, w(QPointF(270.5, 60.5)));
        QCOMPARE(doc()->undoStack()->count(), 2);
        QCOMPARE(covered(doc()->layer(0).pixels, inDisc), 1.0);
        QCOMPARE(covered(doc()->layer(0).pixels, [](int x, int y) { return kSquare.contains(x, y); }), 1.0);
        // Back to the brush: its options return.
        m_w->action(QStringLiteral("brush"))->trigger();
        QTRY_VERIFY(!m_w->findChild<QWidget*>(QStringLiteral("selectionOptions"))->isVisible());
        QTRY_VERIFY(m_w->findChild<QWidget*>(QStringLiteral("brushSize"))->isVisible());
    }
};

QTEST_MAIN(TestSelectionGui)
#include "test_selection_gui.moc"
