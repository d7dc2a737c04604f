// Document: layers, combined mask, undo commands (layer operations, strokes, apply result)
// and the modified state. Undo must be pixel-exact: every check compares whole images.
#include "core/document/document.h"
#include "core/document/stroke_command.h"
#include "core/document/stroke_transaction.h"
#include "core/tools/brush_tool.h"

#include <QSignalSpy>
#include <cstring>
#include <QTest>
#include <QUndoStack>

using inpaint::document::Document;
using inpaint::document::StrokeCommand;
using inpaint::document::StrokeTransaction;
using inpaint::tools::BrushMode;
using inpaint::tools::BrushTool;

namespace {

QImage makeImage(QSize size, QImage::Format format) {
    QImage img(size, format);
    // A pattern that is different in every channel and pixel, so swaps and offsets show.
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x)
            img.setPixelColor(x, y, QColor::fromRgba64(quint16(x * 977 + y * 131), quint16(x * 37 + y * 4099),
                                                       quint16((x ^ y) * 613), quint16(65535 - x * 11)));
    return img;
}

void paintRect(Document& doc, int layer, const QRect& r, uchar v) {
    StrokeTransaction tx(&doc, layer, QStringLiteral("test"));
    tx.aboutToWrite(r);
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) tx.pixels().scanLine(y)[x] = v;
    tx.written(r);
    tx.commit();
}

int countNonZero(const QImage& m) {
    int n = 0;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x) n += m.constScanLine(y)[x] != 0;
    return n;
}

}  // namespace

class TestDocument : public QObject {
    Q_OBJECT
private slots:
    void resetKeepsFormatAndStartsClean_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("grey8") << int(QImage::Format_Grayscale8);
        QTest::newRow("grey16") << int(QImage::Format_Grayscale16);
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("rgba8") << int(QImage::Format_RGBA8888);
        QTest::newRow("rgb16") << int(QImage::Format_RGBX64);
        QTest::newRow("rgba16") << int(QImage::Format_RGBA64);
    }
    void resetKeepsFormatAndStartsClean() {
        QFETCH(int, format);
        Document doc;
        QSignalSpy resetSpy(&doc, &Document::documentReset);
        const QImage img = makeImage({33, 21}, QImage::Format(format));
        doc.reset(img, QStringLiteral("/tmp/x.png"));
        QCOMPARE(resetSpy.count(), 1);
        QCOMPARE(doc.image().format(), QImage::Format(format));
        QVERIFY(doc.image() == img);
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(doc.layer(0).pixels.format(), QImage::Format_Grayscale8);
        QCOMPARE(doc.layer(0).pixels.size(), QSize(33, 21));
        QCOMPARE(countNonZero(doc.layer(0).pixels), 0);
        QCOMPARE(doc.activeLayerIndex(), 0);
        QCOMPARE(doc.undoStack()->count(), 0);
        QVERIFY(!doc.isModified());
        QVERIFY(!doc.isImageModified());
        QCOMPARE(doc.sourcePath(), QStringLiteral("/tmp/x.png"));
        QVERIFY(doc.savePath().isEmpty());
    }

    void combinedMaskIsUnionOfVisibleLayers() {
        Document doc;
        doc.reset(makeImage({40, 30}, QImage::Format_RGB888));
        paintRect(doc, 0, QRect(0, 0, 10, 10), 200);
        const int second = doc.addLayer();
        QCOMPARE(second, 1);
        paintRect(doc, 1, QRect(5, 5, 10, 10), 100);
        QImage m = doc.combinedMask();
        QCOMPARE(m.format(), QImage::Format_Grayscale8);
        QCOMPARE(m.pixelColor(2, 2).red(), 200);   // only layer 0
        QCOMPARE(m.pixelColor(7, 7).red(), 200);   // both: max
        QCOMPARE(m.pixelColor(12, 12).red(), 100); // only layer 1
        QCOMPARE(m.pixelColor(30, 20).red(), 0);
        QCOMPARE(countNonZero(m), 100 + 100 - 25);

        doc.setLayerVisible(0, false);
        m = doc.combinedMask();
        QCOMPARE(m.pixelColor(2, 2).red(), 0);
        QCOMPARE(m.pixelColor(7, 7).red(), 100);
        QCOMPARE(countNonZero(m), 100);
        doc.setLayerVisible(1, false);
        QVERIFY(!doc.hasVisibleMask());
        QCOMPARE(countNonZero(doc.combinedMask()), 0);
        doc.undoStack()->undo();
        QVERIFY(doc.hasVisibleMask());
        // The combined mask never shares pixels with a layer: painting must not detach it.
        QImage c = doc.combinedMask();
        QVERIFY(c.constBits() != doc.layer(1).pixels.constBits());
    }

    void layerOperationsUndoRedo() {
        Document doc;
        doc.reset(makeImage({16, 16}, QImage::Format_RGB888));
        QUndoStack* st = doc.undoStack();
        const quint64 firstId = doc.layer(0).id;

        doc.addLayer(QStringLiteral("B"));
        QCOMPARE(doc.layerCount(), 2);
        QCOMPARE(doc.layer(1).name, QStringLiteral("B"));
        QCOMPARE(doc.activeLayerIndex(), 1);
        QVERIFY(doc.layer(1).color != doc.layer(0).color);

        doc.renameLayer(1, QStringLiteral("Sky"));
        doc.moveLayer(1, 0);
        QCOMPARE(doc.layer(0).name, QStringLiteral("Sky"));
        QCOMPARE(doc.layer(1).id, firstId);
        doc.setLayerColor(0, QColor(1, 2, 3));
        doc.setLayerVisible(0, false);
        doc.removeLayer(1);
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(st->count(), 6);

        // Walk all the way back, checking each state.
        st->undo();  // remove
        QCOMPARE(doc.layerCount(), 2);
        QCOMPARE(doc.layer(1).id, firstId);
        st->undo();  // visibility
        QVERIFY(doc.layer(0).visible);
        st->undo();  // colour
        QVERIFY(doc.layer(0).color != QColor(1, 2, 3));
        st->undo();  // move
        QCOMPARE(doc.layer(0).id, firstId);
        QCOMPARE(doc.layer(1).name, QStringLiteral("Sky"));
        st->undo();  // rename
        QCOMPARE(doc.layer(1).name, QStringLiteral("B"));
        st->undo();  // add
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(doc.layer(0).id, firstId);
        QVERIFY(!doc.isModified());

        // And forward again.
        for (int i = 0; i < 6; ++i) st->redo();
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(doc.layer(0).name, QStringLiteral("Sky"));
        QCOMPARE(doc.layer(0).color, QColor(1, 2, 3));
        QVERIFY(!doc.layer(0).visible);
        QVERIFY(doc.isModified());
        QVERIFY(!doc.isImageModified());  // masks only

        // No-ops push nothing.
        doc.renameLayer(0, QStringLiteral("Sky"));
        doc.setLayerVisible(0, false);
        doc.moveLayer(0, 0);
        doc.removeLayer(7);
        QCOMPARE(st->count(), 6);
    }

    void clearFillInvertArePixelExact() {
        Document doc;
        doc.reset(makeImage({50, 40}, QImage::Format_RGB888));
        paintRect(doc, 0, QRect(3, 4, 7, 9), 255);
        paintRect(doc, 0, QRect(20, 20, 5, 5), 77);
        const QImage s0 = doc.layer(0).pixels.copy();
        QUndoStack* st = doc.undoStack();
        const int base = st->count();

        doc.invertLayer(0);
        const QImage s1 = doc.layer(0).pixels.copy();
        QCOMPARE(s1.pixelColor(0, 0).red(), 255);
        QCOMPARE(s1.pixelColor(21, 21).red(), 255 - 77);
        doc.fillLayer(0);
        const QImage s2 = doc.layer(0).pixels.copy();
        QCOMPARE(countNonZero(s2), 50 * 40);
        doc.clearLayer(0);
        QCOMPARE(countNonZero(doc.layer(0).pixels), 0);
        doc.clearLayer(0);  // already clear: no step
        QCOMPARE(st->count(), base + 3);

        st->undo();
        QVERIFY(doc.layer(0).pixels == s2);
        st->undo();
        QVERIFY(doc.layer(0).pixels == s1);
        st->undo();
        QVERIFY(doc.layer(0).pixels == s0);
        st->redo();
        QVERIFY(doc.layer(0).pixels == s1);
        st->undo();
        QVERIFY(doc.layer(0).pixels == s0);
        st->redo();
        st->redo();
        QVERIFY(doc.layer(0).pixels == s2);
    }

    void importedMaskLayerUndo() {
        Document doc;
        doc.reset(makeImage({20, 10}, QImage::Format_RGB888));
        QImage mask(20, 10, QImage::Format_Grayscale8);
        mask.fill(0);
        mask.setPixelColor(3, 4, QColor(255, 255, 255));
        QCOMPARE(doc.addLayerWithPixels(QStringLiteral("imported"), mask), 1);
        QVERIFY(doc.layer(1).pixels == mask);
        QCOMPARE(doc.combinedMask().pixelColor(3, 4).red(), 255);
        doc.undoStack()->undo();
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(countNonZero(doc.combinedMask()), 0);
        doc.undoStack()->redo();
        QVERIFY(doc.layer(1).pixels == mask);
    }

    void strokeIsOneStepAndUndoIsExact() {
        Document doc;
        doc.reset(makeImage({300, 200}, QImage::Format_RGB888));
        const QImage s0 = doc.layer(0).pixels.copy();
        BrushTool brush(&doc, BrushMode::Paint);
        auto s = brush.settings();
        s.size = 21;
        s.hardness = 0.5;
        brush.setSettings(s);
        QVERIFY(brush.begin({QPointF(10, 10)}));
        for (int i = 1; i <= 20; ++i) brush.motion({QPointF(10 + i * 12, 10 + i * 8)});
        brush.end({QPointF(250, 170)});
        QCOMPARE(doc.undoStack()->count(), 1);
        const QImage s1 = doc.layer(0).pixels.copy();
        QVERIFY(s1 != s0);

        BrushTool eraser(&doc, BrushMode::Erase);
        eraser.setSettings(s);
        QVERIFY(eraser.begin({QPointF(100, 60)}));
        eraser.motion({QPointF(140, 100)});
        eraser.end({QPointF(140, 100)});
        QCOMPARE(doc.undoStack()->count(), 2);
        const QImage s2 = doc.layer(0).pixels.copy();
        QVERIFY(s2 != s1);

        // redo/undo/redo through both strokes
        doc.undoStack()->undo();
        QVERIFY(doc.layer(0).pixels == s1);
        doc.undoStack()->undo();
        QVERIFY(doc.layer(0).pixels == s0);
        doc.undoStack()->redo();
        QVERIFY(doc.layer(0).pixels == s1);
        doc.undoStack()->redo();
        QVERIFY(doc.layer(0).pixels == s2);
        doc.undoStack()->undo();
        QVERIFY(doc.layer(0).pixels == s1);
        doc.undoStack()->redo();
        QVERIFY(doc.layer(0).pixels == s2);

        // The stroke stores only the tiles it touched, not the layer.
        const auto* cmd = dynamic_cast<const StrokeCommand*>(doc.undoStack()->command(0));
        QVERIFY(cmd);
        QVERIFY(cmd->storedBytes() > 0);
        QVERIFY(cmd->storedBytes() < 2 * 300 * 200);
    }

    void longStrokeOnLargeLayerStoresOnlyTouchedTiles() {
        Document doc;
        QImage big(4000, 3000, QImage::Format_Grayscale8);
        big.fill(90);
        doc.reset(big);
        BrushTool brush(&doc, BrushMode::Paint);
        auto s = brush.settings();
        s.size = 30;
        brush.setSettings(s);
        brush.begin({QPointF(0, 0)});
        brush.end({QPointF(3999, 2999)});  // a diagonal across the whole image
        const auto* cmd = dynamic_cast<const StrokeCommand*>(doc.undoStack()->command(0));
        QVERIFY(cmd);
        // The bounding box would be 12 MB (x2 for before/after); the touched tiles are far less.
        QVERIFY2(cmd->storedBytes() < 2 * 1024 * 1024, qPrintable(QString::number(cmd->storedBytes())));
    }

    void emptyStrokePushesNothingAndCancelRollsBack() {
        Document doc;
        doc.reset(makeImage({64, 64}, QImage::Format_RGB888));
        BrushTool eraser(&doc, BrushMode::Erase);
        eraser.begin({QPointF(20, 20)});
        eraser.end({QPointF(30, 30)});
        QCOMPARE(doc.undoStack()->count(), 0);  // erasing nothing is not a step

        BrushTool brush(&doc, BrushMode::Paint);
        brush.begin({QPointF(20, 20)});
        brush.motion({QPointF(40, 40)});
        QVERIFY(countNonZero(doc.layer(0).pixels) > 0);
        brush.cancel();
        QCOMPARE(countNonZero(doc.layer(0).pixels), 0);
        QCOMPARE(doc.undoStack()->count(), 0);
        QVERIFY(!doc.activeStroke());
    }

    void layerOperationEndsOpenStroke() {
        Document doc;
        doc.reset(makeImage({64, 64}, QImage::Format_RGB888));
        BrushTool brush(&doc, BrushMode::Paint);
        brush.begin({QPointF(20, 20)});
        brush.motion({QPointF(30, 20)});
        QVERIFY(doc.activeStroke());
        doc.addLayer();  // must commit the stroke first: two steps, in order
        QVERIFY(!doc.activeStroke());
        QVERIFY(!brush.isActive());
        QCOMPARE(doc.undoStack()->count(), 2);
        brush.motion({QPointF(50, 50)});  // ignored: the stroke is over
        brush.end({QPointF(50, 50)});
        QCOMPARE(doc.undoStack()->count(), 2);
        doc.undoStack()->undo();
        doc.undoStack()->undo();
        QCOMPARE(countNonZero(doc.layer(0).pixels), 0);
    }

    void applyResultIsOneStepOverTheRegion_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("rgba16") << int(QImage::Format_RGBA64);
        QTest::newRow("grey16") << int(QImage::Format_Grayscale16);
    }
    void applyResultIsOneStepOverTheRegion() {
        QFETCH(int, format);
        Document doc;
        const QImage original = makeImage({120, 80}, QImage::Format(format));
        doc.reset(original);
        QSignalSpy changed(&doc, &Document::imageChanged);
        QImage result = original.copy();
        const QRect region(30, 20, 40, 25);
        for (int y = region.top(); y <= region.bottom(); ++y)
            for (int x = region.left(); x <= region.right(); ++x)
                result.setPixelColor(x, y, QColor::fromRgba64(1000, 2000, 3000, 65535));
        doc.applyResult(result, region, QStringLiteral("apply"));
        QCOMPARE(doc.undoStack()->count(), 1);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).toRect(), region);
        QVERIFY(doc.image() == result);
        QCOMPARE(doc.image().format(), QImage::Format(format));
        QVERIFY(doc.isImageModified());
        doc.undoStack()->undo();
        QVERIFY(doc.image() == original);
        QVERIFY(!doc.isImageModified());
        doc.undoStack()->redo();
        QVERIFY(doc.image() == result);
        doc.markSaved(QStringLiteral("/tmp/out.png"));
        QVERIFY(!doc.isImageModified());
        QCOMPARE(doc.savePath(), QStringLiteral("/tmp/out.png"));
        doc.undoStack()->undo();
        QVERIFY(doc.isImageModified());  // the saved file has the result; the document does not
        doc.undoStack()->redo();
        QVERIFY(!doc.isImageModified());

        // Wrong size or format is refused without a step.
        doc.applyResult(result.scaled(10, 10), QRect(0, 0, 5, 5), QStringLiteral("bad"));
        QCOMPARE(doc.undoStack()->count(), 1);
    }

    void resizeCanvasIsOneStepAndUndoIsExact() {
        // Extend Canvas: a bigger image, every layer padded with 0 and hidden, the new area in a
        // new active layer; undo gives back the old image, layers and state exactly.
        Document doc;
        const QImage original = makeImage({40, 30}, QImage::Format_RGBA64);
        doc.reset(original);
        paintRect(doc, 0, QRect(5, 5, 10, 8), 200);
        const QImage layer0 = doc.layer(0).pixels.copy();
        const int stepsBefore = doc.undoStack()->count();
        const quint64 stateBefore = doc.imageState();
        QSignalSpy resized(&doc, &Document::canvasResized);
        QImage bigger(56, 30, QImage::Format_RGBA64);
        bigger.fill(Qt::green);
        QImage mask(56, 30, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 0; y < 30; ++y) std::memset(mask.scanLine(y) + 36, 255, 20);
        QVERIFY(doc.resizeCanvas(bigger, QPoint(0, 0), mask, QStringLiteral("Outpaint"), QStringLiteral("Extend")));
        QCOMPARE(resized.count(), 1);
        QCOMPARE(doc.undoStack()->count(), stepsBefore + 1);
        QCOMPARE(doc.size(), QSize(56, 30));
        QCOMPARE(doc.layerCount(), 2);
        QCOMPARE(doc.layer(0).pixels.copy(0, 0, 40, 30), layer0);
        QCOMPARE(countNonZero(doc.layer(0).pixels), countNonZero(layer0));
        QVERIFY(!doc.layer(0).visible);
        QCOMPARE(doc.layer(1).name, QStringLiteral("Outpaint"));
        QCOMPARE(doc.activeLayerIndex(), 1);
        QCOMPARE(doc.combinedMask(), mask);
        QVERIFY(doc.imageState() != stateBefore);
        QVERIFY(doc.isImageModified());

        doc.undoStack()->undo();
        QCOMPARE(resized.count(), 2);
        QVERIFY(doc.image() == original);
        QCOMPARE(doc.layerCount(), 1);
        QCOMPARE(doc.layer(0).pixels, layer0);
        QVERIFY(doc.layer(0).visible);
        QCOMPARE(doc.imageState(), stateBefore);
        doc.undoStack()->redo();
        QCOMPARE(doc.size(), QSize(56, 30));
        QCOMPARE(doc.combinedMask(), mask);

        // A picture that does not fit inside the new canvas, or a mask of another size: refused.
        QVERIFY(!doc.resizeCanvas(original, QPoint(0, 0), mask, QString(), QStringLiteral("bad")));
        QVERIFY(!doc.resizeCanvas(bigger, QPoint(30, 0), mask, QString(), QStringLiteral("bad")));
        QCOMPARE(doc.undoStack()->count(), stepsBefore + 1);
    }

    void snapshotIsNotChangedByLaterEdits() {
        // A job reads the image while the person keeps working: the snapshot must not change.
        Document doc;
        doc.reset(makeImage({32, 32}, QImage::Format_RGB888));
        const QImage snapshot = doc.image();
        const QImage snapshotCopy = snapshot.copy();
        QImage result = snapshot.copy();
        result.fill(Qt::black);
        doc.applyResult(result, QRect(0, 0, 32, 32), QStringLiteral("apply"));
        QVERIFY(snapshot == snapshotCopy);
        QVERIFY(doc.image() != snapshot);
    }
};

QTEST_GUILESS_MAIN(TestDocument)
#include "test_document.moc"
