// JobQueue: lives on the UI thread, owns the worker QThread. submit() returns a JobHandle at once;
// jobs run one after another on the worker; each job's progress and result come back on its own
// handle, on the UI thread. Cancel goes through the handle's atomic flag (the worker, busy inside
// runJob(), cannot process queued slots, so the flag is the only way in).
#pragma once

#include "core/jobs/backend.h"
#include "core/jobs/job_handle.h"

#include <QObject>
#include <memory>

namespace inpaint::jobs {

class JobQueue : public QObject {
    Q_OBJECT
public:
    explicit JobQueue(QObject* parent = nullptr);
    JobQueue(BackendFactory factory, QObject* parent = nullptr);
    ~JobQueue() override;  // cancels everything and joins the worker thread

    // Queues the job; a random seed is drawn now (request().seed shows it). The handle is a child
    // of `owner` (default: the queue), so it dies with the window that asked for it.
    JobHandle* submit(InpaintRequest request, QObject* owner = nullptr);
    void cancelAll();
    int pendingCount() const;  // queued + running
    bool isBusy() const { return pendingCount() > 0; }

    // Asks the worker what the engine runs on for these preferences; engineDescribed() answers.
    void probeEngine(Device device, Precision dtype);

signals:
    void engineDescribed(inpaint::jobs::Device device, inpaint::jobs::Precision dtype, const QString& text);
    void idle();  // the queue ran dry

private:
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace inpaint::jobs
