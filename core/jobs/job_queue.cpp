// JobQueue: the UI-side face of the worker thread.
#include "core/jobs/job_queue.h"

#include "core/jobs/inference_worker.h"

#include <QHash>
#include <QMetaObject>
#include <QPointer>
#include <QThread>

namespace inpaint::jobs {

struct JobQueue::Private {
    struct Entry {
        CancelFlag flag;
        QPointer<JobHandle> handle;  // null once its owner deleted it (the job is then cancelled)
    };
    QThread thread;
    InferenceWorker* worker = nullptr;  // owned by the thread (deleteLater on finish)
    QHash<quint64, Entry> jobs;         // submitted and not yet finished
    quint64 nextId = 1;

    JobHandle* handle(quint64 id) const
    {
        const auto it = jobs.constFind(id);
        return it == jobs.cend() ? nullptr : it->handle.data();
    }
};

JobQueue::JobQueue(QObject* parent) : JobQueue(defaultBackendFactory(), parent) {}

JobQueue::JobQueue(BackendFactory factory, QObject* parent) : QObject(parent), d(std::make_unique<Private>())
{
    qRegisterMetaType<inpaint::jobs::InpaintRequest>();
    qRegisterMetaType<inpaint::jobs::InpaintResult>();
    qRegisterMetaType<inpaint::jobs::Device>();
    qRegisterMetaType<inpaint::jobs::Precision>();

    d->thread.setObjectName(QStringLiteral("inference"));
    d->worker = new InferenceWorker(std::move(factory));
    d->worker->moveToThread(&d->thread);
    connect(&d->thread, &QThread::finished, d->worker, &QObject::deleteLater);

    // Worker signals arrive on this (UI) thread through queued connections and go to the job's handle.
    connect(d->worker, &InferenceWorker::started, this, [this](quint64 id) {
        if (JobHandle* h = d->handle(id)) emit h->started();
    }, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::status, this, [this](quint64 id, const QString& text) {
        if (JobHandle* h = d->handle(id)) emit h->status(text);
    }, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::stepDone, this, [this](quint64 id, int step, int total, const QImage& preview) {
        if (JobHandle* h = d->handle(id)) emit h->progress(step, total, preview);
    }, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::finished, this, [this](const InpaintResult& r) {
        const Private::Entry e = d->jobs.take(r.jobId);
        if (e.handle) e.handle->finish(r);
        if (d->jobs.isEmpty()) emit idle();
    }, Qt::QueuedConnection);
    connect(d->worker, &InferenceWorker::engineDescribed, this, &JobQueue::engineDescribed, Qt::QueuedConnection);
    d->thread.start();
}

JobQueue::~JobQueue()
{
    cancelAll();
    d->thread.quit();
    d->thread.wait();
    // Handles that outlive the queue (children of other windows) keep their flags, already raised.
}

JobHandle* JobQueue::submit(InpaintRequest request, QObject* owner)
{
    request.id = d->nextId++;
    request.resolveSeed();
    auto flag = std::make_shared<std::atomic<bool>>(false);
    auto* handle = new JobHandle(request, flag, owner ? owner : this);
    d->jobs.insert(request.id, {flag, handle});
    InferenceWorker* w = d->worker;
    QMetaObject::invokeMethod(w, [w, request, flag]() { w->process(request, flag); }, Qt::QueuedConnection);
    return handle;
}

void JobQueue::cancelAll()
{
    for (auto& e : d->jobs) e.flag->store(true);
}

int JobQueue::pendingCount() const
{
    return int(d->jobs.size());
}

void JobQueue::probeEngine(Device device, Precision dtype)
{
    InferenceWorker* w = d->worker;
    QMetaObject::invokeMethod(w, [w, device, dtype]() { w->probe(device, dtype); }, Qt::QueuedConnection);
}

}  // namespace inpaint::jobs
