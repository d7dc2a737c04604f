// InferenceWorker: lives on the job thread and runs one request at a time. Requests arrive
// as queued calls (FIFO), so jobs run in submission order; each carries its own cancel flag.
#pragma once

#include "core/jobs/backend.h"

#include <QObject>
#include <memory>

namespace inpaint::jobs {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    explicit InferenceWorker(BackendFactory factory);

    // Runs on the worker thread (invoked through a queued connection).
    void process(const inpaint::jobs::InpaintRequest& request, inpaint::jobs::CancelFlag cancel);

signals:
    void started(quint64 jobId);
    void stepDone(quint64 jobId, int step, int total, const QImage& preview);
    void status(quint64 jobId, const QString& text);  // a stage before the steps (model loading)
    void finished(const inpaint::jobs::InpaintResult& result);

private:
    BackendFactory m_factory;
};

}  // namespace inpaint::jobs
