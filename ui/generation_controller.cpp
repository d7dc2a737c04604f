// GenerationController (see generation_controller.h).
#include "ui/generation_controller.h"

#include "core/document/document.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"

#include <QPointer>
#include <algorithm>
#include <cmath>
#include <utility>

namespace inpaint::ui {

// co_await JobFinished{this, job} gives the job's result, or nothing when the controller is
// destroyed first. Unlike awaiting the signal through QCoro (which never resumes when the
// sender dies), the controller knows every suspended call and ends each one in its destructor,
// so no coroutine frame outlives it.
class GenerationController::JobFinished {
public:
    JobFinished(GenerationController* controller, jobs::JobHandle* job) : m_controller(controller), m_job(job) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> coroutine) {
        m_controller->m_waiting.insert(m_job, Waiting{coroutine, &m_result});
        // Queued, as QCoro does: the coroutine goes on after the emitting code has returned.
        // The controller is the context, so the call is dropped if the controller goes first.
        jobs::JobHandle* job = m_job;
        GenerationController* controller = m_controller;
        QObject::connect(
            job, &jobs::JobHandle::finished, controller,
            [controller, job](const jobs::InpaintResult& r) { controller->resume(job, r); },
            Qt::QueuedConnection);
    }
    std::optional<jobs::InpaintResult> await_resume() { return std::move(m_result); }

private:
    GenerationController* m_controller;
    jobs::JobHandle* m_job;
    std::optional<jobs::InpaintResult> m_result;
};

GenerationController::GenerationController(document::Document* doc, jobs::JobQueue* queue, QObject* parent)
    : QObject(parent), m_doc(doc), m_queue(queue) {
    // A result belongs to the image it was made from.
    connect(doc, &document::Document::documentReset, this, [this] {
        cancel();
        discardPending();
    });
    // A job of the old canvas size cannot land on the new one.
    connect(doc, &document::Document::canvasResized, this, [this] {
        cancel();
        discardPending();
    });
}

QCoro::Task<> GenerationController::generate(jobs::InpaintRequest settings) {
    if (m_doc->isNull()) {
        emit problem(tr("Open an image first."));
        co_return;
    }
    m_doc->commitActiveStroke();
    const QImage mask = m_doc->combinedMask();
    if (imaging::maskBoundingBox(mask).isEmpty()) {
        emit problem(tr("Paint a mask first: brush over what should be replaced (B), then press Inpaint."));
        co_return;
    }

    // The snapshot: implicitly shared copies, so later painting or applying detaches the
    // document's pixels and never changes what the worker reads.
    settings.image = m_doc->image();
    settings.mask = mask;
    const quint64 serial = m_doc->serial();
    const quint64 imageState = m_doc->imageState();

    // The handle is this controller's child: if the controller goes first, the job is cancelled.
    QPointer<jobs::JobHandle> job = m_queue->submit(settings, this);
    m_running.insert(job.data());
    if (m_running.size() == 1) emit busyChanged(true);
    jobs::InpaintRequest recipe = job->request();  // the seed as drawn
    recipe.image = {};
    recipe.mask = {};
    emit jobStarted(job.data(), recipe);

    const std::optional<jobs::InpaintResult> got = co_await JobFinished(this, job.data());
    if (!got) co_return;  // the controller is being destroyed: nothing left to update
    const jobs::InpaintResult& result = *got;

    m_running.remove(job.data());
    if (m_running.isEmpty()) emit busyChanged(false);
    emit jobFinished(result);

    switch (result.status) {
    case jobs::JobStatus::Canceled:
        emit message(tr("Inpainting cancelled; the image and mask are unchanged."));
        co_return;
    case jobs::JobStatus::Failed:
        emit problem(result.error.isEmpty() ? tr("Inpainting failed for an unknown reason.") : result.error);
        co_return;
    case jobs::JobStatus::Ok:
        break;
    }
    if (m_doc->serial() != serial) {
        emit message(tr("A result arrived for an image that is no longer open; it was dropped."));
        co_return;
    }
    if (result.image.size() != m_doc->size() || result.image.format() != m_doc->image().format()) {
        emit problem(tr("The engine returned an image of the wrong size or format; it was not used."));
        co_return;
    }
    m_pending = PendingResult{result, recipe, result.changed, serial, imageState};
    emit resultReady(*m_pending);
    emit pendingResultChanged();
    emit message(tr("Result ready in %1 s: Apply keeps it, Discard drops it, hold \\ to compare.")
                     .arg(result.seconds, 0, 'f', 2));
}

GenerationController::~GenerationController() {
    cancel();
    const QHash<jobs::JobHandle*, Waiting> waiting = std::exchange(m_waiting, {});
    for (const Waiting& w : waiting) w.coroutine.resume();  // each sees "no result" and returns
}

void GenerationController::resume(jobs::JobHandle* job, std::optional<jobs::InpaintResult> result) {
    const auto it = m_waiting.constFind(job);
    if (it == m_waiting.constEnd()) return;
    const Waiting w = *it;
    m_waiting.erase(it);
    *w.result = std::move(result);
    w.coroutine.resume();
}

void GenerationController::cancel() {
    for (jobs::JobHandle* job : std::as_const(m_running)) job->cancel();
}

bool GenerationController::applyPending() {
    if (!m_pending) return false;
    if (m_doc->serial() != m_pending->docSerial || m_doc->imageState() != m_pending->imageState) {
        discardPending();
        emit problem(tr("The image changed after this result was made, so it no longer fits. Run Inpaint again."));
        return false;
    }
    const PendingResult p = *m_pending;
    m_pending.reset();
    m_doc->applyResult(p.result.image, p.region,
                       tr("Inpaint (%1)").arg(jobs::pipelineName(p.settings.pipeline)));
    emit pendingResultChanged();
    emit applied(p.settings);
    emit message(tr("Result applied. Undo (Ctrl+Z) brings the original back."));
    return true;
}

void GenerationController::setPending(const PendingResult& result) {
    m_pending = result;
    emit pendingResultChanged();
}

void GenerationController::discardPending() {
    if (!m_pending) return;
    m_pending.reset();
    emit pendingResultChanged();
}

}  // namespace inpaint::ui
