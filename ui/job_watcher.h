// JobWatcher: turns JobQueue::finished (one signal for every job) into a signal that fires
// exactly once, for one job id. A coroutine co_awaits it with qCoro(): QCoro 0.8 resumes
// on the first emission after connecting, so awaiting the queue's own signal in a loop
// could miss or double-deliver results when several jobs finish close together.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QList>
#include <QObject>

namespace inpaint::jobs {
class JobQueue;
}

namespace inpaint::ui {

class JobWatcher : public QObject {
    Q_OBJECT
public:
    // Connects at once, so a result that arrives before watch() is kept, not lost.
    explicit JobWatcher(jobs::JobQueue* queue, QObject* parent = nullptr);
    void watch(quint64 jobId);
    bool isDone() const { return m_done; }

signals:
    void done(const inpaint::jobs::InpaintResult& result);

private:
    void onFinished(const jobs::InpaintResult& result);
    quint64 m_id = 0;
    bool m_done = false;
    QList<jobs::InpaintResult> m_early;
};

}  // namespace inpaint::ui
