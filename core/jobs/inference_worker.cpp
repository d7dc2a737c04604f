// InferenceWorker: the worker thread's side of every job; the job itself is runJob().
#include "core/jobs/inference_worker.h"

#include "core/jobs/engine_info.h"
#include "core/jobs/run_job.h"

namespace inpaint::jobs {

InferenceWorker::InferenceWorker(BackendFactory factory) : m_factory(std::move(factory)) {}

void InferenceWorker::process(const InpaintRequest& request, CancelFlag cancel)
{
    const quint64 id = request.id;
    if (!cancel->load()) emit started(id);
    InpaintResult result = runJob(request, m_factory,
                                  [this, id](const StepReport& r) {
                                      if (!r.status.isEmpty()) emit status(id, r.status);
                                      else emit stepDone(id, r.step, r.total, r.preview);
                                  },
                                  *cancel);
    result.jobId = id;
    emit finished(result);
}

void InferenceWorker::probe(Device device, Precision dtype)
{
    emit engineDescribed(device, dtype, describeEngine(device, dtype));
}

}  // namespace inpaint::jobs
