// Quitting the editor while a comparison runs: the main window is destroyed with the compare
// window open and its slots queued and running on the worker. Qt destroys children in creation
// order, so the job queue would go before the compare window; the window's teardown must not use
// the queue. Built and run under AddressSanitizer in CI's sanitizer pass (label asan), where a read
// of the freed queue is a test failure; without ASan it still checks the teardown cancels and joins.
#include "core/document/document.h"
#include "fake_backend.h"
#include "ui/compare_window.h"
#include "ui/main_window.h"

#include <QPointer>
#include <QStandardPaths>
#include <QTest>

using inpaint::jobs::PipelineKind;
using inpaint::ui::MainWindow;

class TestQuitDuringCompare : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void closingMidComparisonIsClean()
    {
        for (int round = 0; round < 3; ++round) {
            auto state = std::make_shared<FakeBackendState>();
            state->steps = 1000;
            state->stepMs = 5;  // 5 s per slot if nothing cancelled it
            auto* w = new MainWindow(fakeFactory(state));
            QImage image(48, 32, QImage::Format_RGB888);
            image.fill(Qt::darkCyan);
            QVERIFY(w->openImage(image, QStringLiteral("quit.png")));
            QImage mask(48, 32, QImage::Format_Grayscale8);
            mask.fill(0);
            for (int y = 8; y < 20; ++y)
                for (int x = 10; x < 30; ++x) mask.scanLine(y)[x] = 255;
            w->document()->addLayerWithPixels(QStringLiteral("mask"), mask);
            QPointer<inpaint::ui::CompareWindow> c = w->showCompare();
            QList<inpaint::ui::ModelEntry> models;
            for (int i = 0; i < 3; ++i)
                models.append({QStringLiteral("fake-%1").arg(i), QStringLiteral("/models/fake-%1").arg(i), QString(), QString(),
                               false, QStringLiteral("4ch/8x")});
            c->setModels(models);
            c->setSlotCount(3);
            for (int i = 0; i < 3; ++i) c->setSlot(i, QStringLiteral("/models/fake-%1").arg(i), PipelineKind::Blend, "ddim");
            QVERIFY(c->run());
            QTRY_VERIFY_WITH_TIMEOUT(state->runs.load() == 1, 10000);  // slot 1 running, 2 and 3 queued
            QVERIFY2(c->result(0).error.isEmpty(), qPrintable(c->result(0).error));
            QVERIFY(c->isRunning());
            if (round == 1) w->startInpaint();  // an editor job queued behind them too
            delete w;  // what quitting does; must cancel, join the worker and free nothing twice
            QVERIFY(c.isNull());
            QVERIFY(state->runs.load() <= 2);  // the queued slots never ran to the end
        }
    }
};

QTEST_MAIN(TestQuitDuringCompare)
#include "test_quit_during_compare.moc"
