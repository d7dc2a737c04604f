// JobHandle: one submitted job, as the UI sees it. JobQueue::submit() returns it; its signals
// carry only this job's progress and result (no filtering of a shared signal), and cancel()
// raises this job's flag. The handle deletes itself (deleteLater) once finished() has been
// emitted; copy what you need from the signal. Destroying it earlier (e.g. with its owner)
// cancels the job. UI thread only.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QObject>

#include <atomic>
#include <memory>

namespace inpaint::jobs {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

class JobHandle : public QObject {
    Q_OBJECT
public:
    ~JobHandle() override;  // cancels the job if it has not finished

    quint64 id() const { return m_request.id; }
    // The request as it runs: id set, a random seed drawn.
    const InpaintRequest& request() const { return m_request; }
    bool isFinished() const { return m_finished; }
    void cancel();

signals:
    void started();                                           // the worker began running it
    void status(const QString& text);                         // a stage before the steps (model loading)
    void progress(int step, int total, const QImage& preview);  // after every step; preview may be null
    void finished(const inpaint::jobs::InpaintResult& result);   // exactly once: Ok, Canceled or Failed

private:
    friend class JobQueue;
    JobHandle(InpaintRequest request, CancelFlag flag, QObject* parent);
    void finish(const InpaintResult& result);

    InpaintRequest m_request;
    CancelFlag m_flag;
    bool m_finished = false;
};

}  // namespace inpaint::jobs
