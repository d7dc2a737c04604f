// JobQueue + InferenceWorker: jobs run off the UI thread, in order, report steps, cancel
// promptly, keep the UI thread free, and the classical backend leaves unmasked pixels alone.
#include "core/jobs/classical_backend.h"
#include "core/jobs/job_queue.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <thread>

using namespace inpaint::jobs;

namespace {

// A backend that takes `steps` steps of `msPerStep` each, checking cancel between them.
class FakeBackend final : public Backend {
public:
    FakeBackend(int steps, int msPerStep, std::atomic<QThread*>* ranOn) : m_steps(steps), m_ms(msPerStep), m_ranOn(ranOn) {}
    InpaintResult run(const InpaintRequest& req, const StepSink& onStep, const std::atomic<bool>& cancel) override
    {
        if (m_ranOn) m_ranOn->store(QThread::currentThread());
        InpaintResult r;
        r.jobId = req.id;
        for (int i = 1; i <= m_steps; ++i) {
            if (cancel.load()) {
                r.status = JobStatus::Canceled;
                return r;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(m_ms));
            QImage preview(4, 4, QImage::Format_RGB888);
            preview.fill(QColor(i, 0, 0));
            onStep(StepReport{i, m_steps, preview});
        }
        r.image = req.image;
        r.status = JobStatus::Ok;
        return r;
    }

private:
    int m_steps, m_ms;
    std::atomic<QThread*>* m_ranOn;
};

BackendFactory fakeFactory(int steps, int ms, std::atomic<QThread*>* ranOn = nullptr)
{
    return [=](const InpaintRequest&, QString*) { return std::make_unique<FakeBackend>(steps, ms, ranOn); };
}

InpaintRequest smallRequest()
{
    InpaintRequest r;
    r.image = QImage(8, 8, QImage::Format_RGB888);
    r.image.fill(Qt::gray);
    r.mask = QImage(8, 8, QImage::Format_Grayscale8);
    r.mask.fill(0);
    return r;
}

}  // namespace

class TestJobQueue : public QObject {
    Q_OBJECT
private slots:
    void runsOffTheUiThreadWithOrderedSteps()
    {
        std::atomic<QThread*> ranOn{nullptr};
        JobQueue q(fakeFactory(5, 5, &ranOn));
        QSignalSpy steps(&q, &JobQueue::stepDone);
        QSignalSpy done(&q, &JobQueue::finished);
        const quint64 id = q.submit(smallRequest());
        QVERIFY(id > 0);
        QVERIFY(done.wait(5000));
        QVERIFY(ranOn.load() != nullptr);
        QVERIFY(ranOn.load() != QThread::currentThread());
        QCOMPARE(steps.count(), 5);
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(steps.at(i).at(0).toULongLong(), id);
            QCOMPARE(steps.at(i).at(1).toInt(), i + 1);
            QCOMPARE(steps.at(i).at(2).toInt(), 5);
        }
        const auto res = done.at(0).at(0).value<InpaintResult>();
        QCOMPARE(res.jobId, id);
        QVERIFY(res.ok());
        QCOMPARE(q.pendingCount(), 0);
    }

    void jobsRunInSubmissionOrder()
    {
        JobQueue q(fakeFactory(2, 2));
        QSignalSpy done(&q, &JobQueue::finished);
        QSignalSpy idle(&q, &JobQueue::idle);
        const quint64 a = q.submit(smallRequest());
        const quint64 b = q.submit(smallRequest());
        const quint64 c = q.submit(smallRequest());
        QCOMPARE(q.pendingCount(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 3, 5000);
        QCOMPARE(done.at(0).at(0).value<InpaintResult>().jobId, a);
        QCOMPARE(done.at(1).at(0).value<InpaintResult>().jobId, b);
        QCOMPARE(done.at(2).at(0).value<InpaintResult>().jobId, c);
        QCOMPARE(idle.count(), 1);
    }

    void cancelStopsWithinAStep()
    {
        JobQueue q(fakeFactory(200, 10));
        QSignalSpy steps(&q, &JobQueue::stepDone);
        QSignalSpy done(&q, &JobQueue::finished);
        const quint64 id = q.submit(smallRequest());
        QVERIFY(steps.wait(2000));
        QElapsedTimer t;
        t.start();
        q.cancel(id);
        QVERIFY(done.wait(2000));
        QVERIFY(t.elapsed() < 500);
        const auto res = done.at(0).at(0).value<InpaintResult>();
        QCOMPARE(res.status, JobStatus::Canceled);
        QVERIFY(res.image.isNull());
        QVERIFY(steps.count() < 200);
    }

    void cancelQueuedJobNeverStarts()
    {
        JobQueue q(fakeFactory(20, 10));
        QSignalSpy started(&q, &JobQueue::started);
        QSignalSpy done(&q, &JobQueue::finished);
        const quint64 a = q.submit(smallRequest());
        const quint64 b = q.submit(smallRequest());
        q.cancel(b);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 2, 5000);
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.at(0).at(0).toULongLong(), a);
        QVERIFY(done.at(0).at(0).value<InpaintResult>().ok());
        QCOMPARE(done.at(1).at(0).value<InpaintResult>().status, JobStatus::Canceled);
    }

    void uiThreadStaysResponsive()
    {
        JobQueue q(fakeFactory(30, 10));
        QSignalSpy done(&q, &JobQueue::finished);
        QElapsedTimer clock;
        qint64 last = 0, worstGap = 0;
        QTimer tick;
        tick.setInterval(5);
        connect(&tick, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            worstGap = std::max(worstGap, now - last);
            last = now;
        });
        clock.start();
        tick.start();
        q.submit(smallRequest());
        QVERIFY(done.wait(5000));
        tick.stop();
        QVERIFY2(worstGap < 50, qPrintable(QStringLiteral("UI thread stalled %1 ms").arg(worstGap)));
    }

    void neuralPipelineWithoutModelFailsClearly()
    {
        JobQueue q;  // default factory
        QSignalSpy done(&q, &JobQueue::finished);
        InpaintRequest r = smallRequest();
        r.pipeline = PipelineKind::Blend;
        q.submit(r);
        QVERIFY(done.wait(5000));
        const auto res = done.at(0).at(0).value<InpaintResult>();
        QCOMPARE(res.status, JobStatus::Failed);
        QVERIFY(res.error.contains(QStringLiteral("model")));
    }

    void classicalKeepsUnmaskedPixels()
    {
        JobQueue q;
        QSignalSpy done(&q, &JobQueue::finished);
        InpaintRequest r;
        r.image = QImage(64, 48, QImage::Format_RGB888);
        for (int y = 0; y < r.image.height(); ++y)
            for (int x = 0; x < r.image.width(); ++x) r.image.setPixelColor(x, y, QColor(x * 4, y * 5, (x ^ y) & 255));
        r.mask = QImage(64, 48, QImage::Format_Grayscale8);
        r.mask.fill(0);
        for (int y = 20; y < 30; ++y)
            for (int x = 10; x < 25; ++x) r.mask.setPixel(x, y, 255);  // grey index == value
        r.pipeline = PipelineKind::ClassicalNS;
        r.classicalRadius = 3;
        q.submit(r);
        QVERIFY(done.wait(5000));
        const auto res = done.at(0).at(0).value<InpaintResult>();
        QVERIFY2(res.ok(), qPrintable(res.error));
        QCOMPARE(res.image.size(), r.image.size());
        QCOMPARE(res.image.format(), r.image.format());
        int changedInside = 0;
        for (int y = 0; y < r.image.height(); ++y)
            for (int x = 0; x < r.image.width(); ++x) {
                const bool masked = qGray(r.mask.pixel(x, y)) > 0;
                if (!masked) QCOMPARE(res.image.pixel(x, y), r.image.pixel(x, y));
                else if (res.image.pixel(x, y) != r.image.pixel(x, y)) ++changedInside;
            }
        QVERIFY(changedInside > 0);
    }

    void badMaskIsRejectedWithBothSizes()
    {
        InpaintRequest r = smallRequest();
        r.mask = QImage(5, 7, QImage::Format_Grayscale8);
        const QString problem = validateImageAndMask(r);
        QVERIFY(problem.contains(QStringLiteral("5x7")));
        QVERIFY(problem.contains(QStringLiteral("8x8")));
    }

    void destroyingTheQueueMidJobCancelsAndJoins()
    {
        QElapsedTimer t;
        t.start();
        {
            JobQueue q(fakeFactory(1000, 10));
            QSignalSpy steps(&q, &JobQueue::stepDone);
            q.submit(smallRequest());
            q.submit(smallRequest());
            QVERIFY(steps.wait(2000));
        }
        QVERIFY(t.elapsed() < 2000);
    }
};

QTEST_GUILESS_MAIN(TestJobQueue)
#include "test_job_queue.moc"
