// What the engine can do and what it runs on: scheduler names, the device/precision description
// for the status bar, LibTorch's thread count. describeEngine() and configureTorchThreads() touch
// torch's runtime (CUDA probing, thread pools), so they run on the worker thread only; a call
// from the UI thread is counted (uiThreadEngineCalls) so a test can prove there is none.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QString>
#include <QStringList>

namespace inpaint::jobs {

// The scheduler names the engine understands ("default" first), for the CLI and the prompt panel.
// Plain strings: no torch runtime is touched.
QStringList schedulerNames();

// What the engine will run on for these preferences: "CPU · fp32 · 2 threads", "CUDA · fp16", or
// the reason they cannot be used ("CUDA asked for, but ..."). Worker thread.
QString describeEngine(Device device, Precision dtype);

// Sets LibTorch's intra-op threads on the calling thread to the machine's cores, or to
// INPAINT_THREADS when that is set (LibTorch defaults to 1 here; the setting is per thread with
// OpenMP). Worker thread.
void configureTorchThreads();

// First thing in main(), before any thread starts: where OpenBLAS fell back to its generic kernels
// on a CPU it does not know, runs the program again with OPENBLAS_CORETYPE set to the kernels the
// CPU can run (models/nn/cpu_threads.h restartForBlasCore). No torch op runs.
void restartForBlasCore(char** argv);

// Records a torch runtime entry on the calling thread; counts it when that is the application's
// main (UI) thread. Every torch-touching entry point of core/jobs calls it.
void noteEngineCall(const char* what);
int uiThreadEngineCalls();
QString lastUiThreadEngineCall();  // the name passed to the last counted call

}  // namespace inpaint::jobs
