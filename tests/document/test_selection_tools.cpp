// The selection tools on a Document (core/tools/selection_tools.h): each GrabCut rectangle,
// refining stroke and wand click is exactly one undo step; undo restores the layer pixel for
// pixel, redo reapplies it; Replace / Add / Subtract; failures change nothing and say why.
// Also Document::setLayerPixels, which they use: only the changed rectangle, no empty steps.
#include "core/document/document.h"
#include "core/document/pixel_patch.h"
#include "core/tools/selection_tools.h"

#include <QSignalSpy>
#include <QTest>
#include <QUndoStack>
#include <cmath>

using inpaint::document::Document;
using inpaint::document::samePixels;
using inpaint::imaging::SelectionMode;
using inpaint::imaging::WandChannel;
using inpaint::tools::GrabCutTool;
using inpaint::tools::MagicWandTool;

namespace {

const QPointF kDiscCentre(100, 75);
constexpr double kDiscRadius = 40;
const QRect kSquare(160, 40, 50, 50);

// A flat red disc and a flat blue square on a two-tone checked background.
QImage scene(QImage::Format format = QImage::Format_RGB888) {
    QImage img(240, 150, QImage::Format_RGB888);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            QColor c = ((x / 8 + y / 8) % 2) ? QColor(110, 140, 60) : QColor(90, 120, 80);
            if (std::hypot(x + 0.5 - kDiscCentre.x(), y + 0.5 - kDiscCentre.y()) <= kDiscRadius) c = QColor(230, 70, 60);
            else if (kSquare.contains(x, y)) c = QColor(60, 80, 230);
            img.setPixelColor(x, y, c);
        }
    return img.convertToFormat(format);
}

bool inDisc(int x, int y) { return std::hypot(x + 0.5 - kDiscCentre.x(), y + 0.5 - kDiscCentre.y()) <= kDiscRadius; }

double fraction(const QImage& m, auto&& pred, bool wantSet) {
    qint64 n = 0, hit = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            if (pred(x, y)) {
                ++n;
                hit += (m.constScanLine(y)[x] != 0) == wantSet;
            }
    return double(hit) / std::max<qint64>(1, n);
}
double discCovered(const QImage& m) { return fraction(m, inDisc, true); }
double squareCovered(const QImage& m) { return fraction(m, [](int x, int y) { return kSquare.contains(x, y); }, true); }

void drag(GrabCutTool& tool, QPointF a, QPointF b) {
    QVERIFY(tool.begin({a}));
    tool.motion({(a + b) / 2});
    tool.end({b});
}

}  // namespace

class TestSelectionTools : public QObject {
    Q_OBJECT
    Document* m_doc = nullptr;

private slots:
    void init() {
        m_doc = new Document;
        m_doc->reset(scene(), QStringLiteral("scene.png"));
        // Something already on the layer, away from the objects: Replace clears it, Add keeps it.
        QImage px(m_doc->size(), QImage::Format_Grayscale8);
        px.fill(0);
        for (int y = 120; y < 140; ++y)
            for (int x = 5; x < 30; ++x) px.scanLine(y)[x] = 200;
        QVERIFY(m_doc->setLayerPixels(0, px, QStringLiteral("setup")));
        m_doc->undoStack()->clear();
    }
    void cleanup() {
        delete m_doc;
        m_doc = nullptr;
    }

    void setLayerPixelsStoresOneStepOverTheChangedRect() {
        QImage next = m_doc->layer(0).pixels.copy();
        next.scanLine(10)[20] = 255;
        next.scanLine(30)[50] = 7;
        QSignalSpy spy(m_doc, &Document::layerPixelsChanged);
        QVERIFY(m_doc->setLayerPixels(0, next, QStringLiteral("two pixels")));
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QCOMPARE(m_doc->undoStack()->undoText(), QStringLiteral("two pixels"));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(1).toRect(), QRect(QPoint(20, 10), QPoint(50, 30)));
        QVERIFY(samePixels(m_doc->layer(0).pixels, next));
        // The same pixels again, a wrong size, a wrong index: nothing, and no empty step.
        QVERIFY(!m_doc->setLayerPixels(0, next, QStringLiteral("again")));
        QVERIFY(!m_doc->setLayerPixels(0, next.copy(0, 0, 10, 10), QStringLiteral("small")));
        QVERIFY(!m_doc->setLayerPixels(3, next, QStringLiteral("no layer")));
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void rectangleIsOneUndoStep() {
        const QImage before = m_doc->layer(0).pixels.copy();
        GrabCutTool tool(m_doc);
        drag(tool, QPointF(52.3, 28.7), QPointF(148.5, 122.2));
        QVERIFY2(tool.lastError().isEmpty(), qPrintable(tool.lastError()));
        QVERIFY(!tool.isActive());
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QVERIFY(m_doc->undoStack()->undoText().contains(QLatin1String("Select object")));
        const QImage after = m_doc->layer(0).pixels.copy();
        QVERIFY2(discCovered(after) >= 0.97, qPrintable(QString::number(discCovered(after))));
        QVERIFY(fraction(after, [](int x, int y) { return !inDisc(x, y); }, false) >= 0.99);
        QCOMPARE(after.constScanLine(130)[10], uchar(0));  // Replace: the old pixels are gone

        m_doc->undoStack()->undo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, before));
        m_doc->undoStack()->redo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, after));
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void addAndSubtract() {
        GrabCutTool tool(m_doc);
        tool.setMode(SelectionMode::Add);
        drag(tool, QPointF(52, 28), QPointF(148, 122));
        QImage px = m_doc->layer(0).pixels;
        QCOMPARE(px.constScanLine(130)[10], uchar(200));  // kept
        QVERIFY(discCovered(px) >= 0.97);
        // Add the square with a second rectangle, then take the disc away again.
        drag(tool, QPointF(150, 30), QPointF(220, 100));
        QVERIFY(squareCovered(m_doc->layer(0).pixels) >= 0.97);
        tool.setMode(SelectionMode::Subtract);
        drag(tool, QPointF(52, 28), QPointF(148, 122));
        px = m_doc->layer(0).pixels;
        QVERIFY2(discCovered(px) <= 0.01, qPrintable(QString::number(discCovered(px))));
        QVERIFY(squareCovered(px) >= 0.97);
        QCOMPARE(px.constScanLine(130)[10], uchar(200));
        QCOMPARE(m_doc->undoStack()->count(), 3);
    }

    void emptyRectangleChangesNothing() {
        const QImage before = m_doc->layer(0).pixels.copy();
        GrabCutTool tool(m_doc);
        drag(tool, QPointF(60.2, 60.2), QPointF(61.7, 90.0));  // 2 px wide
        QVERIFY(tool.lastError().contains(QLatin1String("empty")));
        drag(tool, QPointF(70, 70), QPointF(70.4, 70.4));  // a click
        QVERIFY(tool.lastError().contains(QLatin1String("empty")));
        drag(tool, QPointF(300, 200), QPointF(400, 300));  // off the image
        QVERIFY(tool.lastError().contains(QLatin1String("outside")));
        QCOMPARE(m_doc->undoStack()->count(), 0);
        QVERIFY(samePixels(m_doc->layer(0).pixels, before));
        QVERIFY(!m_doc->isModified());
    }

    void strokesRefineTheLastRectangle() {
        const QImage before = m_doc->layer(0).pixels.copy();
        GrabCutTool tool(m_doc);
        // Strokes before any rectangle: refused.
        tool.setDragKind(GrabCutTool::DragKind::MarkBackground);
        QVERIFY(!tool.begin({QPointF(180, 60)}));
        QVERIFY(tool.lastError().contains(QLatin1String("rectangle")));
        QCOMPARE(m_doc->undoStack()->count(), 0);

        tool.setDragKind(GrabCutTool::DragKind::Rectangle);
        drag(tool, QPointF(45, 20), QPointF(225, 130));  // around disc and square
        const QImage both = m_doc->layer(0).pixels.copy();
        QVERIFY(discCovered(both) >= 0.97);
        QVERIFY(squareCovered(both) >= 0.97);
        QVERIFY(tool.canRefine());

        tool.setDragKind(GrabCutTool::DragKind::MarkBackground);
        drag(tool, QPointF(165, 65), QPointF(205, 65));
        QVERIFY2(tool.lastError().isEmpty(), qPrintable(tool.lastError()));
        const QImage refined = m_doc->layer(0).pixels.copy();
        QCOMPARE(m_doc->undoStack()->count(), 2);
        QVERIFY(m_doc->undoStack()->undoText().contains(QLatin1String("Refine")));
        QVERIFY2(squareCovered(refined) <= 0.05, qPrintable(QString::number(squareCovered(refined))));
        QVERIFY(discCovered(refined) >= 0.97);

        m_doc->undoStack()->undo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, both));
        QVERIFY(!tool.canRefine());  // the layer no longer holds the refined result
        m_doc->undoStack()->undo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, before));
        m_doc->undoStack()->redo();
        m_doc->undoStack()->redo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, refined));
        QVERIFY(tool.canRefine());
    }

    void wandClickIsOneUndoStep() {
        const QImage before = m_doc->layer(0).pixels.copy();
        MagicWandTool wand(m_doc);
        inpaint::tools::SelectionSettings s;
        s.wandTolerance = 10;
        wand.setSettings(s);
        QVERIFY(wand.begin({QPointF(100.5, 75.5)}));
        wand.end({QPointF(100.5, 75.5)});
        QCOMPARE(m_doc->undoStack()->count(), 1);
        const QImage after = m_doc->layer(0).pixels.copy();
        // Exactly the disc: flat colour, nothing else within 10 of it.
        for (int y = 0; y < after.height(); ++y)
            for (int x = 0; x < after.width(); ++x)
                QCOMPARE(after.constScanLine(y)[x], uchar(inDisc(x, y) ? 255 : 0));
        m_doc->undoStack()->undo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, before));
        m_doc->undoStack()->redo();
        QVERIFY(samePixels(m_doc->layer(0).pixels, after));

        // Shift-click style add of the square; off the image: an error and no step.
        wand.setMode(SelectionMode::Add);
        QVERIFY(wand.begin({QPointF(170, 50)}));
        QCOMPARE(squareCovered(m_doc->layer(0).pixels), 1.0);
        QCOMPARE(m_doc->undoStack()->count(), 2);
        QVERIFY(!wand.begin({QPointF(-3, 50)}));
        QVERIFY(wand.lastError().contains(QLatin1String("outside")));
        QCOMPARE(m_doc->undoStack()->count(), 2);
    }

    void wandOnEveryFormat_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("grey8") << int(QImage::Format_Grayscale8);
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("argb32") << int(QImage::Format_ARGB32);
        QTest::newRow("rgba64") << int(QImage::Format_RGBA64);
    }
    void wandOnEveryFormat() {
        QFETCH(int, format);
        m_doc->reset(scene(QImage::Format(format)));
        MagicWandTool wand(m_doc);
        // In grey the disc is 123 and the background 117 / 103: a tolerance below 6 tells them apart.
        inpaint::tools::SelectionSettings s;
        s.wandTolerance = 4;
        wand.setSettings(s);
        QVERIFY(wand.begin({QPointF(100.5, 75.5)}));
        QCOMPARE(discCovered(m_doc->layer(0).pixels), 1.0);
        QCOMPARE(fraction(m_doc->layer(0).pixels, [](int x, int y) { return !inDisc(x, y); }, false), 1.0);
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void noLayerNoStep() {
        m_doc->removeLayer(0);
        m_doc->undoStack()->clear();
        GrabCutTool tool(m_doc);
        QVERIFY(!tool.begin({QPointF(50, 30)}));
        QVERIFY(!tool.lastError().isEmpty());
        MagicWandTool wand(m_doc);
        QVERIFY(!wand.begin({QPointF(50, 30)}));
        QVERIFY(!wand.lastError().isEmpty());
        QCOMPARE(m_doc->undoStack()->count(), 0);
    }
};

QTEST_MAIN(TestSelectionTools)
#include "test_selection_tools.moc"
