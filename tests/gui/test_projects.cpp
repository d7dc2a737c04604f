// Projects and autosave in the editor: Save Project / Open of a .ora keeps the layers and the kept
// results, a damaged project loses nothing of the open work, a clean exit leaves no autosave, and
// an editor process killed mid-work is restored pixel-exactly by the next start.
#include "app/editor/demo.h"
#include "core/document/document.h"
#include "core/document/ora_project.h"
#include "core/imaging/image_io.h"
#include "fake_backend.h"
#include "ui/dialogs.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/project_files.h"
#include "ui/results_strip.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>

using inpaint::document::Document;
using inpaint::ui::Dialogs;
using inpaint::ui::MainWindow;

namespace {

class FakeDialogs : public Dialogs {
public:
    QStringList projectAnswers;
    QList<QMessageBox::StandardButton> askAnswers;
    QStringList asks, errors;
    QString saveProjectFile(QWidget*, const QString&) override {
        return projectAnswers.isEmpty() ? QString() : projectAnswers.takeFirst();
    }
    QString saveImageFile(QWidget*, const QString&, const QString&) override { return {}; }
    QMessageBox::StandardButton ask(QWidget*, const QString&, const QString& text, QMessageBox::StandardButtons,
                                    QMessageBox::StandardButton) override {
        asks << text;
        return askAnswers.isEmpty() ? QMessageBox::Cancel : askAnswers.takeFirst();
    }
    void error(QWidget*, const QString&, const QString& text) override { errors << text; }
    void information(QWidget*, const QString&, const QString&) override {}
};

QString sample() { return QStringLiteral(INPAINT_SOURCE_DIR "/resources/samples/coffee.png"); }

bool samePixels(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.format() != b.format()) return false;
    const qsizetype row = qsizetype(a.width()) * a.depth() / 8;
    for (int y = 0; y < a.height(); ++y)
        if (std::memcmp(a.constScanLine(y), b.constScanLine(y), size_t(row)) != 0) return false;
    return true;
}

// What `inpaint-studio coffee.png --demo-mask` holds: the sample and the demo mask.
void expectedDemoDocument(Document* doc) {
    QString error;
    doc->reset(inpaint::imaging::loadImage(sample(), &error), sample());
    inpaint::editor::paintDemoMask(doc);
}

bool hasPaintedLayer(const QString& ora) {
    QString error;
    const auto p = inpaint::document::readOra(ora, &error);
    if (!p || p->layers.isEmpty()) return false;
    const QImage& m = p->layers.front().pixels;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x)
            if (m.constScanLine(y)[x]) return true;
    return false;
}

}  // namespace

class TestProjects : public QObject {
    Q_OBJECT
    QTemporaryDir* m_tmp = nullptr;
    std::shared_ptr<FakeBackendState> m_state;

    MainWindow* makeWindow(FakeDialogs** dialogs) {
        auto* w = new MainWindow(fakeFactory(m_state));
        auto d = std::make_unique<FakeDialogs>();
        *dialogs = d.get();
        w->setDialogs(std::move(d));
        w->show();
        return w;
    }
    QString autosaveDir() const { return m_tmp->filePath(QStringLiteral("state/inpaint-studio/autosave")); }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        m_state = std::make_shared<FakeBackendState>();
    }
    void init() {
        m_tmp = new QTemporaryDir;
        QVERIFY(m_tmp->isValid());
    }
    void cleanup() { delete m_tmp; }

    void saveAndOpenAProject() {
        FakeDialogs* d = nullptr;
        std::unique_ptr<MainWindow> w(makeWindow(&d));
        QVERIFY(w->openFile(sample()));
        inpaint::editor::paintDemoMask(w->document());
        w->document()->addLayer(QStringLiteral("Second"));
        w->document()->fillLayer(1);
        w->document()->setLayerVisible(1, false);
        w->document()->setActiveLayerIndex(0);
        w->document()->setLayerVisible(1, true);
        // Two kept results (the fake engine inverts the masked pixels); the first one applied.
        w->action(QStringLiteral("inpaint"))->trigger();
        QTRY_VERIFY(w->controller()->hasPendingResult());
        w->action(QStringLiteral("apply"))->trigger();
        QVERIFY(!w->controller()->hasPendingResult());
        w->action(QStringLiteral("inpaint"))->trigger();
        QTRY_VERIFY(w->controller()->hasPendingResult());
        QCOMPARE(w->resultsStrip()->count(), 2);
        const QImage secondResult = w->resultsStrip()->result(0).result.image;

        const QString path = m_tmp->filePath(QStringLiteral("work.ora"));
        d->projectAnswers = {m_tmp->filePath(QStringLiteral("work"))};  // ".ora" is added
        QVERIFY(w->action(QStringLiteral("saveProject")));
        w->action(QStringLiteral("saveProject"))->trigger();
        w->projects()->waitForWrites();
        QVERIFY2(d->errors.isEmpty(), qPrintable(d->errors.join('\n')));
        QVERIFY(QFile::exists(path));
        QCOMPARE(w->projects()->projectPath(), path);
        QVERIFY(!w->document()->isModified());
        QVERIFY(w->windowTitle().startsWith(QStringLiteral("work.ora")));

        const QImage image = w->document()->image();
        QVector<inpaint::document::MaskLayer> layers;
        for (int i = 0; i < w->document()->layerCount(); ++i) layers << w->document()->layer(i);

        // Another image replaces it; then the project opens again through File ▸ Open's path.
        QVERIFY(w->openFile(sample()));
        QCOMPARE(w->resultsStrip()->count(), 0);
        QVERIFY(w->openFile(path));
        QVERIFY2(d->errors.isEmpty(), qPrintable(d->errors.join('\n')));
        QVERIFY(samePixels(w->document()->image(), image));
        QCOMPARE(w->document()->layerCount(), layers.size());
        for (int i = 0; i < layers.size(); ++i) {
            QCOMPARE(w->document()->layer(i).name, layers[i].name);
            QCOMPARE(w->document()->layer(i).color, layers[i].color);
            QCOMPARE(w->document()->layer(i).visible, layers[i].visible);
            QVERIFY(samePixels(w->document()->layer(i).pixels, layers[i].pixels));
        }
        QCOMPARE(w->resultsStrip()->count(), 2);
        // The newest result comes back whole (it was made from the pixels the project holds) and
        // can be applied; the older one was made before the first apply and says it no longer fits.
        QVERIFY(samePixels(w->resultsStrip()->result(0).result.image, secondResult));
        QCOMPARE(w->resultsStrip()->result(0).settings.seed, w->resultsStrip()->result(0).result.seed);
        QVERIFY(!w->document()->isModified());
        w->controller()->setPending(w->resultsStrip()->result(0));
        QVERIFY(w->controller()->applyPending());
        QVERIFY(samePixels(w->document()->image(), secondResult));
        w->controller()->setPending(w->resultsStrip()->result(1));
        QVERIFY(!w->controller()->applyPending());

        // Save goes to the project now (no dialog), and a second save keeps the file valid.
        w->action(QStringLiteral("save"))->trigger();
        w->projects()->waitForWrites();
        QString error;
        QVERIFY2(inpaint::document::readOra(path, &error), qPrintable(error));
        QVERIFY(!w->document()->isModified());
        d->askAnswers = {QMessageBox::Discard};
    }

    void aDamagedProjectLosesNothing() {
        FakeDialogs* d = nullptr;
        std::unique_ptr<MainWindow> w(makeWindow(&d));
        QVERIFY(w->openFile(sample()));
        inpaint::editor::paintDemoMask(w->document());
        const QImage mask = w->document()->layer(0).pixels;
        const QString bad = m_tmp->filePath(QStringLiteral("bad.ora"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("PK\x03\x04 this is not the rest of a zip");
        f.close();
        d->askAnswers = {QMessageBox::Discard};  // "discard the mask?" before opening
        QVERIFY(!w->openFile(bad));
        QCOMPARE(d->errors.size(), 1);
        QVERIFY2(d->errors[0].contains(QStringLiteral("bad.ora")) && d->errors[0].contains(QStringLiteral("damaged")),
                 qPrintable(d->errors[0]));
        QCOMPARE(w->document()->sourcePath(), QFileInfo(sample()).absoluteFilePath());
        QVERIFY(samePixels(w->document()->layer(0).pixels, mask));
        QVERIFY(w->document()->undoStack()->count() > 0);  // the undo history is still there
        d->askAnswers = {QMessageBox::Discard};
    }

    void cleanExitLeavesNoAutosave() {
        const QString dir = autosaveDir();
        {
            FakeDialogs* d = nullptr;
            std::unique_ptr<MainWindow> w(makeWindow(&d));
            QVERIFY(w->enableAutosave(dir, 3600));
            QVERIFY(!w->offerRestore());
            QVERIFY(w->openFile(sample()));
            // A file just opened holds nothing that is not on disk: no autosave.
            w->projects()->autosaveNow();
            w->projects()->waitForWrites();
            QCOMPARE(w->projects()->autosavesWritten(), 0);
            QVERIFY(!QFile::exists(w->projects()->autosavePath()));
            inpaint::editor::paintDemoMask(w->document());
            w->projects()->autosaveNow();
            w->projects()->waitForWrites();
            QCOMPARE(w->projects()->autosavesWritten(), 1);
            QVERIFY(hasPaintedLayer(w->projects()->autosavePath()));
            d->askAnswers = {QMessageBox::Discard};
            QVERIFY(w->close());
            QVERIFY(!QFile::exists(dir + QStringLiteral("/session-1.ora")));
        }
        FakeDialogs* d = nullptr;
        std::unique_ptr<MainWindow> w(makeWindow(&d));
        QVERIFY(w->enableAutosave(dir, 3600));
        QVERIFY(!w->offerRestore());
        QVERIFY(d->asks.isEmpty());
    }

    // The acceptance test: a real editor process paints, autosaves, and is killed (SIGKILL);
    // the next start offers its work back and restores the layers pixel-exactly.
    void killedEditorIsRestored() {
        const QString state = m_tmp->filePath(QStringLiteral("state"));
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_STATE_HOME"), state);
        env.insert(QStringLiteral("INPAINT_AUTOSAVE_SECONDS"), QStringLiteral("1"));
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("INPAINT_MODELS_PATH"), m_tmp->filePath(QStringLiteral("no-models")));
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedChannels);
        child.start(QStringLiteral(INPAINT_STUDIO_BIN), {sample(), QStringLiteral("--demo-mask")});
        QVERIFY2(child.waitForStarted(), qPrintable(child.errorString()));
        const QString ora = autosaveDir() + QStringLiteral("/session-1.ora");
        // Waits for an event (the first autosave with the painted mask), not a speed bound.
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(ora) && hasPaintedLayer(ora), 120000);
        QCOMPARE(child.state(), QProcess::Running);
        child.kill();
        QVERIFY(child.waitForFinished());
        QVERIFY(QFile::exists(ora));  // nobody cleaned up: the crash case

        Document expected;
        expectedDemoDocument(&expected);

        FakeDialogs* d = nullptr;
        std::unique_ptr<MainWindow> w(makeWindow(&d));
        QVERIFY(w->enableAutosave(autosaveDir(), 3600));
        d->askAnswers = {QMessageBox::Yes};
        QVERIFY(w->offerRestore());
        QCOMPARE(d->asks.size(), 1);
        QVERIFY2(d->asks[0].contains(QStringLiteral("did not close normally")) && d->asks[0].contains(QStringLiteral("coffee.png")),
                 qPrintable(d->asks[0]));
        Document* doc = w->document();
        QVERIFY(samePixels(doc->image(), expected.image()));
        QCOMPARE(doc->layerCount(), expected.layerCount());
        for (int i = 0; i < expected.layerCount(); ++i) {
            QCOMPARE(doc->layer(i).name, expected.layer(i).name);
            QCOMPARE(doc->layer(i).color, expected.layer(i).color);
            QCOMPARE(doc->layer(i).visible, expected.layer(i).visible);
            QVERIFY2(samePixels(doc->layer(i).pixels, expected.layer(i).pixels), "the restored mask differs");
        }
        QCOMPARE(doc->sourcePath(), sample());
        QVERIFY(doc->isModified());  // restored work is saved nowhere yet
        // It stays in the slot it came from until this session ends cleanly.
        QCOMPARE(w->projects()->autosavePath(), ora);
        d->askAnswers = {QMessageBox::Discard};
        QVERIFY(w->close());
        QVERIFY(!QFile::exists(ora));

        // Declining a restore deletes the autosave.
        QVERIFY(QDir().mkpath(autosaveDir()));
        inpaint::document::Project p = inpaint::document::projectFromDocument(expected);
        QString error;
        QVERIFY(inpaint::document::writeOra(ora, p, &error));
        FakeDialogs* d2 = nullptr;
        std::unique_ptr<MainWindow> w2(makeWindow(&d2));
        QVERIFY(w2->enableAutosave(autosaveDir(), 3600));
        d2->askAnswers = {QMessageBox::No};
        QVERIFY(!w2->offerRestore());
        QCOMPARE(d2->asks.size(), 1);
        QVERIFY(!QFile::exists(ora));
    }
};

QTEST_MAIN(TestProjects)
#include "test_projects.moc"
