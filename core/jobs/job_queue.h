// JobQueue: lives on the UI thread, owns the worker QThread. submit() returns at once;
// jobs run one after another on the worker; results and previews come back as signals
// delivered on the UI thread. cancel() sets the job's atomic flag (the worker, busy
// inside run(), cannot process queued slots, so the flag is the only way in).
#pragma once

#include "core/jobs/backend.h"

#include <QObject>
#include <memory>

namespace inpaint::jobs {

class InferenceWorker;

class JobQueue : public QObject {
    Q_OBJECT
public:
    explicit JobQueue(QObject* parent = nullptr);
    JobQueue(BackendFactory factory, QObject* parent = nullptr);
    ~JobQueue() override;  // cancels everything and joins the worker thread

    quint64 submit(InpaintRequest request);  // returns the job id (> 0)
    void cancel(quint64 jobId);               // queued or running; finished(Canceled) follows
    void cancelAll();
    int pendingCount() const;                 // queued + running
    bool isBusy() const { return pendingCount() > 0; }

signals:
    void started(quint64 jobId);
    void stepDone(quint64 jobId, int step, int total, const QImage& preview);
    void status(quint64 jobId, const QString& text);
    void finished(const inpaint::jobs::InpaintResult& result);
    void idle();  // the queue ran dry

private:
    struct Private;
    std::unique_ptr<Private> d;
};

}  // namespace inpaint::jobs
