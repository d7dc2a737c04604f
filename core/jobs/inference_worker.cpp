// InferenceWorker: the body of every job, on the worker thread.
#include "core/jobs/inference_worker.h"

#include "core/imaging/mask_ops.h"

#include <QElapsedTimer>

#include <exception>
#include <new>

namespace inpaint::jobs {

InferenceWorker::InferenceWorker(BackendFactory factory) : m_factory(std::move(factory)) {}

void InferenceWorker::process(const InpaintRequest& request, CancelFlag cancel)
{
    InpaintResult result;
    result.jobId = request.id;
    if (cancel->load()) {  // cancelled while it waited in the queue
        result.status = JobStatus::Canceled;
        emit finished(result);
        return;
    }
    emit started(request.id);

    QElapsedTimer timer;
    timer.start();
    try {
        QString error;
        std::unique_ptr<Backend> backend = m_factory ? m_factory(request, &error) : nullptr;
        if (!backend) {
            result.error = error.isEmpty() ? QStringLiteral("No engine can run this pipeline.") : error;
        } else {
            const quint64 id = request.id;
            InpaintRequest grown;
            if (request.maskGrow != 0) {
                grown = request;
                grown.mask = imaging::growMask(request.mask, request.maskGrow);
                if (grown.mask.isNull()) throw std::bad_alloc();
            }
            result = backend->run(
                request.maskGrow != 0 ? grown : request,
                [this, id](const StepReport& r) {
                    if (!r.status.isEmpty()) emit status(id, r.status);
                    else emit stepDone(id, r.step, r.total, r.preview);
                },
                *cancel);
            result.jobId = id;
        }
    } catch (const std::bad_alloc&) {
        result.status = JobStatus::Failed;
        result.error = QStringLiteral("The job ran out of memory; try a smaller image or region.");
    } catch (const std::exception& e) {
        result.status = JobStatus::Failed;
        result.error = QString::fromLocal8Bit(e.what());
    } catch (...) {
        result.status = JobStatus::Failed;
        result.error = QStringLiteral("The job failed with an unknown error.");
    }
    if (result.seconds <= 0.0) result.seconds = timer.elapsed() / 1000.0;
    // A flag raised during the last step still wins: the person asked for nothing to change.
    if (cancel->load() && result.status == JobStatus::Ok) {
        result.status = JobStatus::Canceled;
        result.image = QImage();
    }
    emit finished(result);
}

}  // namespace inpaint::jobs
