// Parallel loops over the intra-op OpenMP pool for the engine's own CPU kernels.
//
// at::parallel_for is a header template: its loop is split over threads only in code compiled
// with OpenMP (the engine is, see models/CMakeLists.txt); elsewhere it runs the whole range on the
// calling thread. Its workers do not inherit the caller's thread-local state, so a kernel that
// calls ATen ops on inference tensors would fail on them ("Inplace update to inference tensor
// outside InferenceMode"); parallelFor hands each worker the caller's state first.
#pragma once

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>

#include <cstdint>

namespace inpaint::models::nn {

template <typename F>
void parallelFor(int64_t begin, int64_t end, int64_t grain, const F& f)
{
    const at::ThreadLocalState state;
    at::parallel_for(begin, end, grain, [&](int64_t b, int64_t e) {
        const at::ThreadLocalStateGuard guard(state);
        f(b, e);
    });
}

// True when this build splits parallelFor over threads (compiled with OpenMP).
constexpr bool parallelForIsThreaded()
{
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

}  // namespace inpaint::models::nn
