// GenerationController (see generation_controller.h).
#include "ui/generation_controller.h"

#include "core/document/document.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"

#include <QPointer>
#include <algorithm>
#include <cmath>
#include <qcoro/qcorosignal.h>

namespace inpaint::ui {

GenerationController::GenerationController(document::Document* doc, jobs::JobQueue* queue, QObject* parent)
    : QObject(parent), m_doc(doc), m_queue(queue) {
    // A result belongs to the image it was made from.
    connect(doc, &document::Document::documentReset, this, [this] {
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

    const std::optional<jobs::InpaintResult> got = co_await qCoro(job.data(), &jobs::JobHandle::finished);
    if (!got) co_return;  // the handle died with us: nothing left to update
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
