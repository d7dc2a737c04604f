// JobWatcher (see job_watcher.h).
#include "ui/job_watcher.h"

#include "core/jobs/job_queue.h"

#include <QTimer>

namespace inpaint::ui {

JobWatcher::JobWatcher(jobs::JobQueue* queue, QObject* parent) : QObject(parent) {
    connect(queue, &jobs::JobQueue::finished, this, &JobWatcher::onFinished);
}

void JobWatcher::watch(quint64 jobId) {
    m_id = jobId;
    for (const jobs::InpaintResult& r : std::as_const(m_early)) {
        if (r.jobId == jobId) {
            // Emit from the event loop: the awaiting coroutine connects right after this call.
            const jobs::InpaintResult copy = r;
            m_done = true;
            QTimer::singleShot(0, this, [this, copy] { emit done(copy); });
            break;
        }
    }
    m_early.clear();
}

void JobWatcher::onFinished(const jobs::InpaintResult& result) {
    if (m_done) return;
    if (m_id == 0) {
        m_early.append(result);
        return;
    }
    if (result.jobId != m_id) return;
    m_done = true;
    emit done(result);
}

}  // namespace inpaint::ui
