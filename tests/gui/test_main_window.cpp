// MainWindow end to end with scripted dialogs: open, paint, inpaint (fake backend on the
// real worker thread), apply, save (never over the source without asking), errors that keep
// the work, the close prompt, layer panel operations, mask import/export, paste and drop,
// and the keyboard shortcuts.
#include "app/editor/demo.h"
#include "core/document/document.h"
#include "core/imaging/image_io.h"
#include "fake_backend.h"
#include "ui/canvas_view.h"
#include "ui/dialogs.h"
#include "ui/generation_controller.h"
#include "ui/layer_panel.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/result_bar.h"

#include <QAction>
#include <QClipboard>
#include <QCryptographicHash>
#include <QFile>
#include <QGuiApplication>
#include <QListWidget>
#include <QMimeData>
#include <QPushButton>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using inpaint::document::Document;
using inpaint::ui::CanvasView;
using inpaint::ui::Dialogs;
using inpaint::ui::MainWindow;

namespace {

class FakeDialogs : public Dialogs {
public:
    QString openAnswer, maskAnswer;
    QStringList saveAnswers;
    QList<QMessageBox::StandardButton> askAnswers;
    int saveCalls = 0, askCalls = 0;
    QString lastSuggestion, lastAsk;
    QStringList errors, infos;

    QString openImageFile(QWidget*, const QString&) override { return openAnswer; }
    QString openMaskFile(QWidget*, const QString&) override { return maskAnswer; }
    QString saveImageFile(QWidget*, const QString&, const QString& suggested) override {
        ++saveCalls;
        lastSuggestion = suggested;
        return saveAnswers.isEmpty() ? QString() : saveAnswers.takeFirst();
    }
    QMessageBox::StandardButton ask(QWidget*, const QString&, const QString& text, QMessageBox::StandardButtons,
                                    QMessageBox::StandardButton) override {
        ++askCalls;
        lastAsk = text;
        return askAnswers.isEmpty() ? QMessageBox::Cancel : askAnswers.takeFirst();
    }
    void error(QWidget*, const QString&, const QString& text) override { errors << text; }
    void information(QWidget*, const QString&, const QString& text) override { infos << text; }
    QColor color(QWidget*, const QColor&, const QString&) override { return QColor(10, 20, 30); }
    QString text(QWidget*, const QString&, const QString&, const QString&) override { return {}; }
};

QByteArray fileHash(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256);
}

QString sample() { return QStringLiteral(INPAINT_SOURCE_DIR "/resources/samples/coffee.png"); }

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir* m_tmp = nullptr;
    std::shared_ptr<FakeBackendState> m_state;
    MainWindow* m_w = nullptr;
    FakeDialogs* m_dialogs = nullptr;
    QString m_src;

    Document* doc() const { return m_w->document(); }

    void inpaintAndApply() {
        m_w->action(QStringLiteral("inpaint"))->trigger();
        QTRY_VERIFY(m_w->controller()->hasPendingResult());
        m_w->action(QStringLiteral("apply"))->trigger();
        QVERIFY(!m_w->controller()->hasPendingResult());
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("InpaintStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_main_window"));
    }

    void init() {
        m_tmp = new QTemporaryDir;
        QVERIFY(m_tmp->isValid());
        m_src = m_tmp->filePath(QStringLiteral("src.png"));
        QVERIFY(QFile::copy(sample(), m_src));
        m_state = std::make_shared<FakeBackendState>();
        m_w = new MainWindow(fakeFactory(m_state));
        auto d = std::make_unique<FakeDialogs>();
        m_dialogs = d.get();
        m_w->setDialogs(std::move(d));
        m_w->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_w));
    }

    void cleanup() {
        m_dialogs->askAnswers = {QMessageBox::Discard, QMessageBox::Discard};
        delete m_w;
        delete m_tmp;
    }

    void openShowsTheImage() {
        QVERIFY(m_w->openFile(m_src));
        QCOMPARE(doc()->size(), QSize(600, 400));
        QCOMPARE(doc()->image().format(), QImage::Format_RGB888);
        QVERIFY(m_w->windowTitle().startsWith(QStringLiteral("src.png")));
        QVERIFY(!m_w->isWindowModified());
        QCOMPARE(m_w->layerPanel()->list()->count(), 1);
    }

    void saveNeverOverwritesTheSourceSilently() {
        const QByteArray before = fileHash(m_src);
        QVERIFY(m_w->openFile(m_src));
        inpaint::editor::paintDemoMask(m_w->document());
        inpaintAndApply();
        QVERIFY(doc()->isImageModified());
        QVERIFY(m_w->isWindowModified());

        // First Save asks where; cancelling writes nothing.
        QVERIFY(!m_w->save());
        QCOMPARE(m_dialogs->saveCalls, 1);
        QCOMPARE(m_dialogs->lastSuggestion, m_tmp->filePath(QStringLiteral("src-inpainted.png")));
        QCOMPARE(fileHash(m_src), before);
        QVERIFY(doc()->isImageModified());

        const QString out = m_tmp->filePath(QStringLiteral("out.png"));
        m_dialogs->saveAnswers = {out};
        QVERIFY(m_w->save());
        QCOMPARE(m_dialogs->saveCalls, 2);
        QCOMPARE(fileHash(m_src), before);  // the source is untouched
        QString error;
        QImage written = inpaint::imaging::loadImage(out, &error);
        QVERIFY2(!written.isNull(), qPrintable(error));
        QVERIFY(written == doc()->image());
        QVERIFY(!doc()->isImageModified());
        QVERIFY(!m_w->isWindowModified());
        QVERIFY(m_w->windowTitle().startsWith(QStringLiteral("out.png")));

        // Later saves go to the file the person chose, without asking again.
        inpaintAndApply();
        QVERIFY(m_w->save());
        QCOMPARE(m_dialogs->saveCalls, 2);
        QVERIFY(inpaint::imaging::loadImage(out, &error) == doc()->image());
        QCOMPARE(fileHash(m_src), before);
        QVERIFY(m_dialogs->errors.isEmpty());
    }

    void exportWritesACopyOnly() {
        QVERIFY(m_w->openFile(m_src));
        inpaint::editor::paintDemoMask(m_w->document());
        inpaintAndApply();
        const QString out = m_tmp->filePath(QStringLiteral("copy.jpg"));
        m_dialogs->saveAnswers = {out};
        QVERIFY(m_w->exportImage());
        QVERIFY(QFile::exists(out));
        QVERIFY(doc()->isImageModified());  // the document itself is still unsaved
        QVERIFY(doc()->savePath().isEmpty());
    }

    void saveErrorKeepsTheWork() {
        QVERIFY(m_w->openFile(m_src));
        inpaint::editor::paintDemoMask(m_w->document());
        inpaintAndApply();
        const QImage image = doc()->image().copy();
        const QImage mask = doc()->combinedMask();
        m_dialogs->saveAnswers = {m_tmp->filePath(QStringLiteral("missing/dir/out.png"))};
        QVERIFY(!m_w->save());
        QCOMPARE(m_dialogs->errors.size(), 1);
        QVERIFY(m_dialogs->errors.first().contains(QStringLiteral("Nothing was lost")));
        QVERIFY(doc()->image() == image);
        QVERIFY(doc()->combinedMask() == mask);
        QVERIFY(doc()->isImageModified());
        QVERIFY(doc()->savePath().isEmpty());
        m_dialogs->saveAnswers = {m_tmp->filePath(QStringLiteral("out.xyz"))};
        QVERIFY(!m_w->saveAs());
        QCOMPARE(m_dialogs->errors.size(), 2);
    }

    void openErrorKeepsTheDocument() {
        QVERIFY(m_w->openFile(m_src));
        const QImage image = doc()->image();
        QVERIFY(!m_w->openFile(m_tmp->filePath(QStringLiteral("nope.png"))));
        QCOMPARE(m_dialogs->errors.size(), 1);
        QVERIFY(m_dialogs->errors.first().contains(QStringLiteral("nope.png")));
        QVERIFY(doc()->image() == image);
        QCOMPARE(doc()->sourcePath(), QFileInfo(m_src).absoluteFilePath());
    }

    void closeAsksAboutUnsavedWork() {
        QVERIFY(m_w->openFile(m_src));
        QVERIFY(m_w->close());  // nothing changed: no question
        QCOMPARE(m_dialogs->askCalls, 0);
        m_w->show();
        inpaint::editor::paintDemoMask(m_w->document());
        m_dialogs->askAnswers = {QMessageBox::Cancel};
        QVERIFY(!m_w->close());  // a painted mask: asked, and Cancel keeps the window
        QCOMPARE(m_dialogs->askCalls, 1);
        QVERIFY(m_dialogs->lastAsk.contains(QStringLiteral("mask")));
        inpaintAndApply();
        m_dialogs->askAnswers = {QMessageBox::Cancel};
        QVERIFY(!m_w->close());
        QCOMPARE(m_dialogs->askCalls, 2);
        QVERIFY(m_dialogs->lastAsk.contains(QStringLiteral("not saved")));
        QVERIFY(m_w->isVisible());
        m_dialogs->askAnswers = {QMessageBox::Discard};
        QVERIFY(m_w->close());
    }

    void layerPanelOperationsAreUndoable() {
        QVERIFY(m_w->openFile(m_src));
        auto* panel = m_w->layerPanel();
        QUndoStack* st = doc()->undoStack();
        panel->addAction()->trigger();
        QCOMPARE(doc()->layerCount(), 2);
        QCOMPARE(panel->list()->count(), 2);
        QCOMPARE(panel->list()->currentRow(), 0);  // the new layer is on top and active
        QCOMPARE(doc()->activeLayerIndex(), 1);

        QListWidgetItem* bottom = panel->list()->item(1);  // layer index 0
        bottom->setCheckState(Qt::Unchecked);
        QVERIFY(!doc()->layer(0).visible);
        panel->list()->item(0)->setText(QStringLiteral("Sky"));
        QCOMPARE(doc()->layer(1).name, QStringLiteral("Sky"));
        panel->colorAction()->trigger();
        QCOMPARE(doc()->layer(1).color, QColor(10, 20, 30));
        panel->moveDownAction()->trigger();
        QCOMPARE(doc()->layer(0).name, QStringLiteral("Sky"));
        QCOMPARE(panel->list()->item(1)->text(), QStringLiteral("Sky"));
        panel->fillAction()->trigger();
        QCOMPARE(doc()->combinedMask().pixelColor(5, 5).red(), 255);
        QCOMPARE(st->count(), 6);

        st->undo();  // fill
        st->undo();  // move
        st->undo();  // colour
        st->undo();  // rename
        QCOMPARE(panel->list()->item(0)->text(), doc()->layer(1).name);
        QVERIFY(doc()->layer(1).name != QStringLiteral("Sky"));
        st->undo();  // visibility
        QCOMPARE(panel->list()->item(1)->checkState(), Qt::Checked);
        panel->deleteAction()->trigger();
        QCOMPARE(doc()->layerCount(), 1);
        QCOMPARE(panel->list()->count(), 1);

        panel->opacitySlider()->setValue(80);
        QCOMPARE(doc()->overlayOpacity(), 0.8);
    }

    void importAndExportMask() {
        QVERIFY(m_w->openFile(m_src));
        QImage mask(600, 400, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 100; y < 150; ++y)
            for (int x = 200; x < 260; ++x) mask.scanLine(y)[x] = 255;
        const QString maskPath = m_tmp->filePath(QStringLiteral("mask.png"));
        QVERIFY(mask.save(maskPath));
        m_dialogs->maskAnswer = maskPath;
        m_w->layerPanel()->importAction()->trigger();
        QCOMPARE(doc()->layerCount(), 2);
        QCOMPARE(doc()->layer(1).name, QStringLiteral("mask"));
        QVERIFY(doc()->layer(1).pixels == mask);

        const QString out = m_tmp->filePath(QStringLiteral("combined.png"));
        m_dialogs->saveAnswers = {out};
        m_w->layerPanel()->exportAction()->trigger();
        QString error;
        const QImage back = inpaint::imaging::loadMask(out, QSize(600, 400), false, &error);
        QVERIFY2(!back.isNull(), qPrintable(error));
        QVERIFY(back == doc()->combinedMask());

        // A mask of another size: the person is asked, and it is scaled to fit.
        QImage small = mask.scaled(300, 200);
        const QString smallPath = m_tmp->filePath(QStringLiteral("small.png"));
        QVERIFY(small.save(smallPath));
        m_dialogs->maskAnswer = smallPath;
        m_dialogs->askAnswers = {QMessageBox::Yes};
        QVERIFY(m_w->importMask());
        QCOMPARE(doc()->layerCount(), 3);
        QVERIFY(m_dialogs->lastAsk.contains(QStringLiteral("300 × 200")));
        QCOMPARE(doc()->layer(2).pixels.pixelColor(230, 120).red(), 255);
        QCOMPARE(doc()->layer(2).pixels.pixelColor(10, 10).red(), 0);
    }

    void pasteAndDropOpenImages() {
        QImage img(123, 45, QImage::Format_ARGB32);
        img.fill(QColor(10, 200, 30, 128));
        QGuiApplication::clipboard()->setImage(img);
        QVERIFY(m_w->pasteFromClipboard());
        QCOMPARE(doc()->size(), QSize(123, 45));
        QVERIFY(doc()->hasAlpha());  // alpha kept, straight (not premultiplied)
        QCOMPARE(doc()->image().format(), QImage::Format_RGBA8888);
        QVERIFY(m_w->windowTitle().startsWith(QStringLiteral("Pasted image")));

        auto* mime = new QMimeData;
        mime->setUrls({QUrl::fromLocalFile(m_src)});
        // Drop events only reach a widget that accepted the drag entering it.
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(m_w, &drop);
        QVERIFY(drop.isAccepted());
        QTRY_COMPARE(doc()->size(), QSize(600, 400));
        QCOMPARE(doc()->sourcePath(), QFileInfo(m_src).absoluteFilePath());
        delete mime;
    }

    void inpaintWithEmptyMaskExplains() {
        QVERIFY(m_w->openFile(m_src));
        m_w->action(QStringLiteral("inpaint"))->trigger();
        QTRY_COMPARE(m_dialogs->infos.size(), 1);
        QVERIFY(m_dialogs->infos.first().contains(QStringLiteral("Paint a mask first")));
        QCOMPARE(m_state->created.load(), 0);
    }

    void wholeFlowThroughTheWidgets() {
        QVERIFY(m_w->openFile(m_src));
        CanvasView* canvas = m_w->canvas();
        canvas->setViewTransform({1.25, QPointF(10, 10)});
        const QImage original = doc()->image();
        QTest::mousePress(canvas, Qt::LeftButton, Qt::NoModifier, QPoint(200, 150));
        QTest::mouseMove(canvas, QPoint(260, 180));
        QTest::mouseRelease(canvas, Qt::LeftButton, Qt::NoModifier, QPoint(260, 180));
        QCOMPARE(doc()->undoStack()->count(), 1);
        QTest::mouseClick(m_w->promptPanel()->inpaintButton(), Qt::LeftButton);
        QTRY_VERIFY(m_w->controller()->hasPendingResult());
        QVERIFY(m_w->resultBar()->isVisible());
        QVERIFY(canvas->hasPreview());
        QVERIFY(doc()->image() == original);  // only a preview so far
        QTest::mouseClick(m_w->resultBar()->applyButton(), Qt::LeftButton);
        QVERIFY(!m_w->resultBar()->isVisible());
        QVERIFY(!canvas->hasPreview());
        QCOMPARE(doc()->undoStack()->count(), 2);
        QVERIFY(doc()->image() != original);
        m_w->action(QStringLiteral("undo"))->trigger();
        QVERIFY(doc()->image() == original);
        QCOMPARE(doc()->undoStack()->index(), 1);

        // Discard path.
        QTest::mouseClick(m_w->promptPanel()->inpaintButton(), Qt::LeftButton);
        QTRY_VERIFY(m_w->controller()->hasPendingResult());
        QTest::mouseClick(m_w->resultBar()->discardButton(), Qt::LeftButton);
        QVERIFY(!m_w->controller()->hasPendingResult());
        QVERIFY(doc()->image() == original);
    }

    void keyboardShortcuts() {
        QVERIFY(m_w->openFile(m_src));
        m_w->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(m_w));
        CanvasView* canvas = m_w->canvas();
        canvas->setFocus();
        QTest::keyClick(canvas, Qt::Key_E);
        QCOMPARE(canvas->toolKind(), CanvasView::ToolKind::Eraser);
        QVERIFY(m_w->action(QStringLiteral("eraser"))->isChecked());
        QTest::keyClick(canvas, Qt::Key_B);
        QCOMPARE(canvas->toolKind(), CanvasView::ToolKind::Brush);
        const qreal size = canvas->brushSettings().size;
        QTest::keyClick(canvas, Qt::Key_BracketRight);
        QVERIFY(canvas->brushSettings().size > size);
        QTest::keyClick(canvas, Qt::Key_BracketLeft);
        QTest::keyClick(canvas, Qt::Key_BracketLeft);
        QVERIFY(canvas->brushSettings().size < size);
        const qreal z = canvas->zoom();
        QTest::keyClick(canvas, Qt::Key_Equal, Qt::ControlModifier);
        QVERIFY(canvas->zoom() > z);
        QTest::keyClick(canvas, Qt::Key_Minus, Qt::ControlModifier);
        QTest::keyClick(canvas, Qt::Key_Minus, Qt::ControlModifier);
        QVERIFY(canvas->zoom() < z);
        QTest::keyClick(canvas, Qt::Key_0, Qt::ControlModifier);
        QVERIFY(canvas->isFitMode());
        QVERIFY(m_w->action(QStringLiteral("brush"))->toolTip().contains(QStringLiteral("(B)")));
    }

    void neuralControlsNeedAModel() {
        auto* p = m_w->promptPanel();
        QCOMPARE(p->pipeline(), inpaint::jobs::PipelineKind::ClassicalTelea);
        QVERIFY(!p->neuralControlsEnabled());
        QVERIFY(p->noteText().contains(QStringLiteral("No model installed")));
        p->setModels({{QStringLiteral("SD 1.5"), QStringLiteral("/models/sd15"), {}}});
        p->setPipeline(inpaint::jobs::PipelineKind::Blend);
        QVERIFY(p->neuralControlsEnabled());
        const auto s = p->settings();
        QCOMPARE(s.pipeline, inpaint::jobs::PipelineKind::Blend);
        QCOMPARE(s.modelPath, QStringLiteral("/models/sd15"));
        p->setModels({});
        QCOMPARE(p->pipeline(), inpaint::jobs::PipelineKind::ClassicalTelea);
        QVERIFY(!p->neuralControlsEnabled());
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
