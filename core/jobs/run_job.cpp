// runJob (see run_job.h).
#include "core/jobs/run_job.h"

#include "core/jobs/work_region.h"
#include "models/errors.h"

#include <QElapsedTimer>

#include <exception>
#include <new>

namespace inpaint::jobs {

QString describeViolations(const QList<Violation>& violations)
{
    QStringList parts;
    for (const Violation& v : violations) parts << v.text();
    return parts.isEmpty() ? QString() : parts.join(QStringLiteral("; ")) + QLatin1Char('.');
}

InpaintResult runJob(InpaintRequest request, const BackendFactory& factory, const StepSink& onStep,
                     const std::atomic<bool>& cancel)
{
    QElapsedTimer timer;
    timer.start();
    InpaintResult result;
    result.jobId = request.id;
    auto finish = [&](JobStatus status) {
        result.status = status;
        if (status != JobStatus::Ok) result.image = QImage();
        result.seconds = timer.elapsed() / 1000.0;
        return result;
    };
    if (cancel.load()) return finish(JobStatus::Canceled);  // cancelled while it waited in the queue

    request.resolveSeed();
    result.seed = request.seed;
    if (const QList<Violation> bad = request.validate(); !bad.isEmpty()) {
        result.error = describeViolations(bad);
        return finish(JobStatus::Failed);
    }

    try {
        QString error;
        std::unique_ptr<Backend> backend = factory ? factory(request, &error) : nullptr;
        if (!backend) {
            result.error = error.isEmpty() ? QStringLiteral("No engine can run the %1 pipeline.").arg(name(request.pipeline))
                                           : error;
            return finish(JobStatus::Failed);
        }

        WorkRegion region(request);
        if (region.empty()) {  // nothing to repaint: the image as it is, no model loaded or run
            result.image = request.image;
            return finish(JobStatus::Ok);
        }

        const WorkNeeds needs = backend->prepare(
            request, [&](const QString& stage) { if (onStep) onStep(StepReport{0, 0, {}, stage}); }, cancel);
        if (cancel.load()) throw models::Cancelled();
        result.engine = needs.engine;
        result.family = needs.family;
        region.plan(needs);
        InpaintRequest workRequest = request;  // with the micro-conditioning of the region (SDXL)
        region.fillMicroConditioning(&workRequest);

        int total = 1;
        const QImage work = backend->run(workRequest, region.image(), region.mask(),
                                         [&](int step, int n, const QImage& preview) {
                                             total = n;
                                             // The last step's preview is the result, sent below.
                                             if (!onStep || step >= n) return;
                                             onStep(StepReport{step, n, preview.isNull() ? QImage() : region.compose(preview)});
                                         },
                                         cancel);
        if (cancel.load()) throw models::Cancelled();  // a flag raised during the last step still wins
        result.image = region.compose(work);
        if (result.image.size() != request.image.size() || result.image.format() != request.image.format()) {
            result.error = QStringLiteral("The %1 engine returned an image of the wrong size or format.").arg(name(request.pipeline));
            return finish(JobStatus::Failed);
        }
        result.changed = region.changed();
        if (onStep) onStep(StepReport{total, total, result.image});
        return finish(JobStatus::Ok);
    } catch (const models::Cancelled&) {
        return finish(JobStatus::Canceled);
    } catch (const std::bad_alloc&) {
        result.error = QStringLiteral("The job ran out of memory on a %1x%2 image; try a smaller image or the only-masked region.")
                           .arg(request.image.width())
                           .arg(request.image.height());
    } catch (const std::exception& e) {
        result.error = QString::fromLocal8Bit(e.what());
    } catch (...) {
        result.error = QStringLiteral("The job failed with an unknown error.");
    }
    if (result.error.isEmpty()) result.error = QStringLiteral("The job failed with an unknown error.");
    return finish(JobStatus::Failed);
}

}  // namespace inpaint::jobs
