// GenerationController: a job runs on the worker thread through the real JobQueue with a
// fake backend; the result is pending until applied (one undo step) or discarded; cancel
// leaves everything as it was; an empty mask starts no job; the UI thread keeps ticking.
#include "core/document/document.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"
#include "core/tools/brush_tool.h"
#include "fake_backend.h"
#include "ui/generation_controller.h"

#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QUndoStack>
#include <qcoro/qcorotask.h>

using inpaint::document::Document;
using inpaint::jobs::InpaintRequest;
using inpaint::jobs::InpaintResult;
using inpaint::jobs::JobQueue;
using inpaint::jobs::JobStatus;
using inpaint::ui::GenerationController;

class TestGeneration : public QObject {
    Q_OBJECT
    std::shared_ptr<FakeBackendState> m_state;
    Document* m_doc = nullptr;
    JobQueue* m_queue = nullptr;
    GenerationController* m_ctl = nullptr;
    QImage m_original;
    int m_steps = 0;  // step reports of every job the controller started (through its handles)

    void paintDisc(QPointF c, qreal size) {
        inpaint::tools::BrushTool brush(m_doc, inpaint::tools::BrushMode::Paint);
        auto s = brush.settings();
        s.size = size;
        brush.setSettings(s);
        brush.begin({c});
        brush.end({c});
    }

private slots:
    void init() {
        m_state = std::make_shared<FakeBackendState>();
        m_doc = new Document;
        m_original = QImage(96, 64, QImage::Format_RGB888);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) m_original.setPixelColor(x, y, QColor(x * 2, y * 3, 77));
        m_doc->reset(m_original, QStringLiteral("test.png"));
        m_queue = new JobQueue(fakeFactory(m_state));
        m_ctl = new GenerationController(m_doc, m_queue);
        m_steps = 0;
        connect(m_ctl, &GenerationController::jobStarted, this, [this](inpaint::jobs::JobHandle* job) {
            connect(job, &inpaint::jobs::JobHandle::progress, this, [this] { ++m_steps; });
        });
    }
    void cleanup() {
        delete m_ctl;
        delete m_queue;  // joins the worker
        delete m_doc;
    }

    void runsOffTheUiThreadAndWaitsForApply() {
        paintDisc(QPointF(30, 30), 20);
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QSignalSpy busy(m_ctl, &GenerationController::busyChanged);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_state->thread.load() != nullptr);
        QVERIFY(m_state->thread.load() != QThread::currentThread());
        QCOMPARE(m_state->runs.load(), 1);
        QCOMPARE(m_steps, 3);
        QCOMPARE(busy.count(), 2);  // true, then false
        QVERIFY(!m_ctl->isBusy());
        // Pending: nothing in the document changed yet.
        QVERIFY(m_ctl->hasPendingResult());
        QVERIFY(m_doc->image() == m_original);
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QCOMPARE(m_ctl->pendingResult()->region, QRect(20, 20, 20, 20));
    }

    void applyIsOneUndoStep() {
        paintDisc(QPointF(30, 30), 20);
        const QImage mask = m_doc->combinedMask();
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_ctl->hasPendingResult());
        const QImage expected = FakeBackend::invertMasked(m_original, mask);
        QVERIFY(m_ctl->applyPending());
        QVERIFY(!m_ctl->hasPendingResult());
        QCOMPARE(m_doc->undoStack()->count(), 2);
        QVERIFY(m_doc->image() == expected);
        QVERIFY(m_doc->isImageModified());
        m_doc->undoStack()->undo();
        QVERIFY(m_doc->image() == m_original);
        m_doc->undoStack()->redo();
        QVERIFY(m_doc->image() == expected);
        m_doc->undoStack()->undo();
        m_doc->undoStack()->redo();
        QVERIFY(m_doc->image() == expected);
        QCOMPARE(m_doc->undoStack()->count(), 2);
    }

    void discardChangesNothing() {
        paintDisc(QPointF(50, 30), 16);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_ctl->hasPendingResult());
        QSignalSpy pending(m_ctl, &GenerationController::pendingResultChanged);
        m_ctl->discardPending();
        QCOMPARE(pending.count(), 1);
        QVERIFY(!m_ctl->hasPendingResult());
        QVERIFY(m_doc->image() == m_original);
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QVERIFY(!m_ctl->applyPending());  // nothing left to apply
        QCOMPARE(m_doc->undoStack()->count(), 1);
    }

    void cancelStopsTheJobAndKeepsEverything() {
        m_state->steps = 200;
        m_state->stepMs = 20;  // 4 s if it ran to the end
        paintDisc(QPointF(30, 30), 20);
        const QImage maskBefore = m_doc->layer(0).pixels.copy();
        QSignalSpy finished(m_ctl, &GenerationController::jobFinished);
        QSignalSpy messages(m_ctl, &GenerationController::message);
        auto task = m_ctl->generate(InpaintRequest{});
        QTRY_VERIFY_WITH_TIMEOUT(m_steps > 0, 10000);
        QVERIFY(m_ctl->isBusy());
        m_ctl->cancel();
        QCoro::waitFor(task);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<InpaintResult>().status, JobStatus::Canceled);
        QVERIFY2(m_steps < 200, qPrintable(QString::number(m_steps)));  // stopped long before the end
        QVERIFY(!m_ctl->hasPendingResult());
        QVERIFY(!m_ctl->isBusy());
        QVERIFY(m_doc->image() == m_original);
        QVERIFY(m_doc->layer(0).pixels == maskBefore);
        QCOMPARE(m_doc->undoStack()->count(), 1);
        QVERIFY(!messages.isEmpty());
    }

    void emptyMaskStartsNoJob() {
        QSignalSpy problems(m_ctl, &GenerationController::problem);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QCOMPARE(problems.count(), 1);
        QVERIFY(problems.at(0).at(0).toString().contains(QStringLiteral("Paint a mask first")));
        QTest::qWait(50);
        QCOMPARE(m_state->created.load(), 0);
        QCOMPARE(m_queue->pendingCount(), 0);
        // A hidden layer does not count either.
        paintDisc(QPointF(30, 30), 20);
        m_doc->setLayerVisible(0, false);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QCOMPARE(problems.count(), 2);
        QCOMPARE(m_state->created.load(), 0);
    }

    void failureIsReported() {
        m_state->fail = true;
        paintDisc(QPointF(30, 30), 20);
        QSignalSpy problems(m_ctl, &GenerationController::problem);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QCOMPARE(problems.count(), 1);
        QCOMPARE(problems.at(0).at(0).toString(), QStringLiteral("The fake engine failed on purpose."));
        QVERIFY(!m_ctl->hasPendingResult());
        QVERIFY(m_doc->image() == m_original);
    }

    void uiThreadKeepsTicking() {
        // No time limit: the UI thread's timer fires while the job runs, which it could not if the
        // job ran on this thread. (How long a gap is, is measured in test_diffusion_editor's report.)
        m_state->steps = 40;
        m_state->stepMs = 25;
        paintDisc(QPointF(30, 30), 20);
        int ticksWhileRunning = 0;
        QTimer timer;
        timer.setInterval(5);
        connect(&timer, &QTimer::timeout, this, [&] { ticksWhileRunning += m_ctl->isBusy() && m_steps > 0 ? 1 : 0; });
        timer.start();
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        timer.stop();
        QVERIFY(m_ctl->hasPendingResult());
        QVERIFY2(ticksWhileRunning > 0, qPrintable(QString::number(ticksWhileRunning)));
    }

    void seedIsDrawnAtSubmitNotBefore() {
        paintDisc(QPointF(30, 30), 20);
        QSignalSpy started(m_ctl, &GenerationController::jobStarted);
        InpaintRequest r;
        r.randomSeed = true;
        r.seed = 5;
        QCoro::waitFor(m_ctl->generate(r));
        QCOMPARE(started.count(), 1);
        const auto recipe = started.at(0).at(1).value<InpaintRequest>();
        QVERIFY(!recipe.randomSeed);
        QCOMPARE(m_ctl->pendingResult()->settings.seed, recipe.seed);
        QCOMPARE(m_ctl->pendingResult()->result.seed, recipe.seed);
    }

    void resultForAClosedImageIsDropped() {
        m_state->steps = 20;
        m_state->stepMs = 10;
        paintDisc(QPointF(30, 30), 20);
        QSignalSpy finished(m_ctl, &GenerationController::jobFinished);
        auto task = m_ctl->generate(InpaintRequest{});
        QImage other(50, 50, QImage::Format_RGB888);
        other.fill(Qt::white);
        m_doc->reset(other);  // cancels and forgets the job
        QCoro::waitFor(task);
        QCOMPARE(finished.count(), 1);
        QVERIFY(!m_ctl->hasPendingResult());
        QVERIFY(m_doc->image() == other);
    }

    void secondJobQueuesBehindTheFirst() {
        m_state->steps = 5;
        m_state->stepMs = 10;
        paintDisc(QPointF(30, 30), 20);
        QSignalSpy finished(m_ctl, &GenerationController::jobFinished);
        auto first = m_ctl->generate(InpaintRequest{});
        auto second = m_ctl->generate(InpaintRequest{});
        QCOMPARE(m_ctl->runningJobs(), 2);
        QCoro::waitFor(first);
        QCoro::waitFor(second);
        QCOMPARE(finished.count(), 2);
        QVERIFY(finished.at(0).at(0).value<InpaintResult>().jobId <
                finished.at(1).at(0).value<InpaintResult>().jobId);
        QCOMPARE(m_state->runs.load(), 2);
        QVERIFY(m_ctl->hasPendingResult());
        QVERIFY(!m_ctl->isBusy());
    }

    void staleResultIsRefused() {
        paintDisc(QPointF(30, 30), 20);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_ctl->applyPending());
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_ctl->hasPendingResult());
        m_doc->undoStack()->undo();  // the base changed under the pending result
        QSignalSpy problems(m_ctl, &GenerationController::problem);
        QVERIFY(!m_ctl->applyPending());
        QCOMPARE(problems.count(), 1);
        QVERIFY(m_doc->image() == m_original);
    }
};

QTEST_MAIN(TestGeneration)
#include "test_generation.moc"
