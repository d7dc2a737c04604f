// JobQueue: the UI-side face of the worker thread.
#include "core/jobs/job_queue.h"

#include "core/jobs/inference_worker.h"

#include <QHash>
#include <QMetaObject>
#include <QThread>

namespace inpaint::jobs {

struct JobQueue::Private {
    QThread thread;
    InferenceWorker* worker = nullptr;   // owned by the thread (deleteLater on finish)
    QHash<quint64, CancelFlag> flags;    // jobs submitted and not yet finished
    quint64 nextId = 1;
};

JobQueue::JobQueue(QObject* parent) : JobQueue(defaultBackendFactory(), parent) {}

JobQueue::JobQueue(BackendFactory factory, QObject* parent) : QObject(parent), d(std::make_unique<Private>())
{
    qRegisterMetaType<inpaint::jobs::InpaintRequest>();
    qRegisterMetaType<inpaint::jobs::InpaintResult>();

    d->thread.setObjectName(QStringLiteral("inference"));
    d->worker = new InferenceWorker(std::move(factory));
    d->worker->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, d->worker, &QObject::deleteLater);

    // Worker signals arrive on this (UI) thread through queued connections.
    connect(d->worker, &InferenceWorker::started, this, &JobQueue::started, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::stepDone, this, &JobQueue::stepDone, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::status, this, &JobQueue::status, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::finished, this,
            [this](const InpaintResult& r) {
                d->flags.remove(r.jobId);
                emit finished(r);
                if (d->flags.isEmpty()) emit idle();
            },
            Qt::QueuedConnection);
    d->thread.start();
}

JobQueue::~JobQueue()
{
    cancelAll();
    d->thread.quit();
    d->thread.wait();
}

quint64 JobQueue::submit(InpaintRequest request)
{
    request.id = d->nextId++;
    auto flag = std::make_shared<std::atomic<bool>>(false);
    d->flags.insert(request.id, flag);
    InferenceWorker* w = d->worker;
    QMetaObject::invokeMethod(w, [w, request, flag]() { w->process(request, flag); }, Qt::QueuedConnection);
    return request.id;
}

void JobQueue::cancel(quint64 jobId)
{
    if (auto it = d->flags.find(jobId); it != d->flags.end()) (*it)->store(true);
}

void JobQueue::cancelAll()
{
    for (auto& f : d->flags) f->store(true);
}

int JobQueue::pendingCount() const
{
    return d->flags.size();
}

}  // namespace inpaint::jobs
