// GenerationController: a job runs on the worker thread through the real JobQueue with a
// fake backend; the result is pending until applied (one undo step) or discarded; cancel
// leaves everything as it was; an empty mask starts no job; the UI thread keeps ticking.
#include "core/document/document.h"
#include "core/jobs/job_queue.h"
#include "core/tools/brush_tool.h"
#include "fake_backend.h"
#include "ui/generation_controller.h"

#include <QElapsedTimer>
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
        QSignalSpy steps(m_queue, &JobQueue::stepDone);
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        QVERIFY(m_state->thread.load() != nullptr);
        QVERIFY(m_state->thread.load() != QThread::currentThread());
        QCOMPARE(m_state->runs.load(), 1);
        QCOMPARE(steps.count(), 3);
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
        QSignalSpy steps(m_queue, &JobQueue::stepDone);
        QSignalSpy finished(m_ctl, &GenerationController::jobFinished);
        QSignalSpy messages(m_ctl, &GenerationController::message);
        auto task = m_ctl->generate(InpaintRequest{});
        QVERIFY(steps.wait(2000));
        QVERIFY(m_ctl->isBusy());
        QElapsedTimer t;
        t.start();
        m_ctl->cancel();
        QCoro::waitFor(task);
        QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.at(0).at(0).value<InpaintResult>().status, JobStatus::Canceled);
        QVERIFY(steps.count() < 200);
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

    void uiThreadStaysResponsive() {
        m_state->steps = 40;
        m_state->stepMs = 25;  // a 1 s job
        paintDisc(QPointF(30, 30), 20);
        QElapsedTimer clock;
        qint64 last = 0, worstGap = 0;
        int ticks = 0;
        QTimer timer;
        timer.setInterval(5);
        connect(&timer, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            worstGap = std::max(worstGap, now - last);
            last = now;
            ++ticks;
        });
        clock.start();
        timer.start();
        QCoro::waitFor(m_ctl->generate(InpaintRequest{}));
        timer.stop();
        QVERIFY(m_ctl->hasPendingResult());
        QVERIFY2(ticks > 50, qPrintable(QString::number(ticks)));
        QVERIFY2(worstGap < 100, qPrintable(QString::number(worstGap)));
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
