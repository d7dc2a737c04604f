// Engine info (see engine_info.h).
#include "core/jobs/engine_info.h"

#include "models/nn/cpu_allocator.h"
#include "models/nn/cpu_threads.h"

#include "core/diffusion/schedulers/scheduler_factory.h"
#include "core/diffusion/sd_model.h"

#include <torch/torch.h>

#include <QCoreApplication>
#include <QMutex>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <thread>

namespace inpaint::jobs {

namespace {
std::atomic<int> g_uiCalls{0};
QMutex g_lastMutex;
QString g_last;
}  // namespace

void noteEngineCall(const char* what)
{
    const QCoreApplication* app = QCoreApplication::instance();
    if (!app || QThread::currentThread() != app->thread()) return;
    ++g_uiCalls;
    QMutexLocker lock(&g_lastMutex);
    g_last = QString::fromLatin1(what);
}

int uiThreadEngineCalls() { return g_uiCalls.load(); }

QString lastUiThreadEngineCall()
{
    QMutexLocker lock(&g_lastMutex);
    return g_last;
}

QStringList schedulerNames()
{
    QStringList names;
    for (const std::string& n : diffusion::schedulerNames()) names << QString::fromStdString(n);
    return names;
}

namespace {

unsigned jobThreads()
{
    bool set = false;
    const int asked = qEnvironmentVariableIntValue("INPAINT_THREADS", &set);
    return set && asked > 0 ? unsigned(asked) : std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

QString describeEngine(Device device, Precision dtype)
{
    noteEngineCall("describeEngine");
    try {
        const torch::Device d = diffusion::parseDevice(name(device).toStdString());
        // auto may time ops (bf16_probe.h), once per process: with the threads jobs run with.
        models::nn::setCpuThreads(static_cast<int>(jobThreads()));
        const diffusion::DtypeChoice c = diffusion::resolveDtype(name(dtype).toStdString(), d);
        const QString type = QStringLiteral("%1 (%2)").arg(QString::fromStdString(diffusion::dtypeName(c.dtype)),
                                                           QString::fromStdString(c.why));
        if (d.is_cuda()) return QStringLiteral("CUDA · %1").arg(type);
        return QStringLiteral("CPU · %1 · %2 threads").arg(type).arg(jobThreads());  // what jobs run with
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

void restartForBlasCore(char** argv)
{
    models::nn::restartForBlasCore(argv);
}

void configureTorchThreads()
{
    noteEngineCall("configureTorchThreads");
    // INPAINT_THREADS=N overrides the count (for runs that share the machine, e.g. parallel tests:
    // threads beyond the free cores spin in OpenMP/OpenBLAS and cost far more than they give).
    const unsigned n = jobThreads();
    models::nn::setCpuThreads(static_cast<int>(n));  // and OpenBLAS to one thread (cpu_threads.h)
    models::nn::installHugePageCpuAllocator();  // once; weights and activations on huge pages
}

}  // namespace inpaint::jobs
