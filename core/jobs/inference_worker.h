// InferenceWorker: lives on the job thread and runs one request at a time through runJob().
// Requests arrive as queued calls (FIFO), so jobs run in submission order; each carries its own
// cancel flag. It also answers engine probes (device / precision), so the UI thread never
// touches torch.
#pragma once

#include "core/jobs/backend.h"
#include "core/jobs/job_handle.h"

#include <QObject>

namespace inpaint::jobs {

class InferenceWorker : public QObject {
    Q_OBJECT
public:
    explicit InferenceWorker(BackendFactory factory);

    // Run on the worker thread (invoked through queued calls).
    void process(const inpaint::jobs::InpaintRequest& request, inpaint::jobs::CancelFlag cancel);
    void probe(inpaint::jobs::Device device, inpaint::jobs::Precision dtype);

signals:
    void started(quint64 jobId);
    void stepDone(quint64 jobId, int step, int total, const QImage& preview);
    void status(quint64 jobId, const QString& text);  // a stage before the steps (model loading)
    void finished(const inpaint::jobs::InpaintResult& result);
    void engineDescribed(inpaint::jobs::Device device, inpaint::jobs::Precision dtype, const QString& text);

private:
    BackendFactory m_factory;
};

}  // namespace inpaint::jobs
