// LibTorch's CPU allocator with transparent huge pages for the weights. Loading SD 1.5 allocates
// about 4 GiB of weights; with 4 KiB pages each page costs a fault (on virtual machines a slow
// one), which made the load take twice as long. While a HugePageScope is alive on a thread, its
// blocks of 4 MiB and more are aligned to 2 MiB and marked MADV_HUGEPAGE; every other block is
// allocated as LibTorch's own allocator does (64-byte aligned). Frees are plain free(), so raw
// allocations keep working. Activations stay on ordinary pages: measured, huge pages did not make
// the UNet faster (the allocator returns those blocks to the system and zeroes them again).
//
// Activation blocks of 16 MiB and more wait in a cache for reuse once freed (up to
// INPAINT_CPU_CACHE_MB, 1.5 GiB by default), and glibc keeps the smaller ones mapped: on virtual
// machines each page given back costs a slow fault on its next touch (cpu_allocator.cpp).
//
// Installed once per process (the editor's worker, the CLI and the bench call it at start-up);
// INPAINT_HUGE_PAGES=0 leaves LibTorch's own allocator in place.
#pragma once

#include <cstddef>

namespace inpaint::models::nn {

// True when the allocator is in place (after this or an earlier call).
bool installHugePageCpuAllocator();

// Gives the cached activation blocks back to the system (a model unloaded, or memory short).
void releaseCachedCpuBlocks();

// The activation blocks waiting for reuse now, and the most that may wait.
struct CachedCpuBlocks {
    size_t bytes = 0;
    size_t blocks = 0;
    size_t limit = 0;
    size_t mapped = 0;  // large blocks mapped afresh since start-up (each one's pages faulted in)
};
CachedCpuBlocks cachedCpuBlocks();

// Large CPU blocks allocated on this thread while it lives go on huge pages (SdModel::load).
class HugePageScope {
public:
    HugePageScope();
    ~HugePageScope();
    HugePageScope(const HugePageScope&) = delete;
    HugePageScope& operator=(const HugePageScope&) = delete;

private:
    bool m_previous;
};

}  // namespace inpaint::models::nn
