// The huge-page CPU allocator (see cpu_allocator.h).
#include "models/nn/cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <sys/mman.h>

namespace inpaint::models::nn {

namespace {

constexpr size_t kSmallAlignment = 64;               // what c10's CPU allocator aligns to
constexpr size_t kHugePage = size_t{2} << 20;        // x86-64 / arm64 THP size
constexpr size_t kHugeThreshold = size_t{4} << 20;   // smaller blocks stay on 4 KiB pages

thread_local bool t_hugePages = false;

// Activation blocks of 16 MiB and more (the VAE's full-resolution tensors: 64-256 MiB at 512 px)
// come from mmap and are kept for reuse when freed. glibc maps every block over 32 MiB afresh and
// unmaps it on free, so each such tensor faulted in its pages again: an add of two 64 MiB bf16
// tensors took 0.11 s instead of 0.001 s for a quarter of the size, and the VAE's 512 px decode cost
// 10x its 256 px one for 4x the pixels. The same shapes recur every block and every step, so an
// exact-size free list finds them; at most kCacheLimit bytes wait there (INPAINT_CPU_CACHE_MB).
constexpr size_t kCachedThreshold = size_t{16} << 20;

size_t cacheLimit()
{
    static const size_t limit = [] {
        if (const char* env = std::getenv("INPAINT_CPU_CACHE_MB"); env && *env)
            return size_t(std::strtoull(env, nullptr, 10)) << 20;
        return size_t{1536} << 20;
    }();
    return limit;
}

struct LargeBlocks {
    std::mutex mutex;
    std::unordered_map<void*, size_t> live;               // handed out: pointer -> mapped size
    std::unordered_map<size_t, std::vector<void*>> free;  // mapped size -> blocks waiting for reuse
    size_t cached = 0;                                    // bytes in `free`

    void unmapAllFree()
    {
        for (auto& [size, blocks] : free)
            for (void* b : blocks) ::munmap(b, size);
        free.clear();
        cached = 0;
    }
};

LargeBlocks& largeBlocks()
{
    static LargeBlocks* blocks = new LargeBlocks();  // never destroyed: tensors may outlive statics
    return *blocks;
}

void* allocateLarge(size_t n)
{
    const size_t size = (n + kHugePage - 1) / kHugePage * kHugePage;
    LargeBlocks& lb = largeBlocks();
    {
        std::lock_guard<std::mutex> lock(lb.mutex);
        if (auto it = lb.free.find(size); it != lb.free.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            lb.cached -= size;
            lb.live.emplace(p, size);
            return p;
        }
        if (lb.cached + size > cacheLimit()) lb.unmapAllFree();  // other sizes: give them back first
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        std::lock_guard<std::mutex> lock(largeBlocks().mutex);
        largeBlocks().unmapAllFree();
        p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) TORCH_CHECK(false, "CPU out of memory: could not allocate ", n, " bytes.");
    }
    (void)::madvise(p, size, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(lb.mutex);
    lb.live.emplace(p, size);
    return p;
}

// True when p was a large block (now cached or unmapped).
bool freeLarge(void* p)
{
    LargeBlocks& lb = largeBlocks();
    std::lock_guard<std::mutex> lock(lb.mutex);
    const auto it = lb.live.find(p);
    if (it == lb.live.end()) return false;
    const size_t size = it->second;
    lb.live.erase(it);
    if (lb.cached + size <= cacheLimit()) {
        lb.free[size].push_back(p);
        lb.cached += size;
    } else {
        ::munmap(p, size);
    }
    return true;
}

void* allocateBytes(size_t n)
{
    if (n == 0) return nullptr;
    if (!t_hugePages && n >= kCachedThreshold && cacheLimit() > 0) return allocateLarge(n);
    const bool huge = t_hugePages && n >= kHugeThreshold;
    void* p = nullptr;
    if (::posix_memalign(&p, huge ? kHugePage : kSmallAlignment, n) != 0 || !p)
        TORCH_CHECK(false, "CPU out of memory: could not allocate ", n, " bytes.");
    // Whole huge pages only: the tail of the block stays on small pages. Advice, so a kernel
    // without THP (or with it off) just ignores it.
    if (huge) (void)::madvise(p, n / kHugePage * kHugePage, MADV_HUGEPAGE);
    return p;
}

void freeBytes(void* p)
{
    if (!p || freeLarge(p)) return;
    std::free(p);
}

class HugePageCpuAllocator final : public c10::Allocator {
public:
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
    c10::DataPtr allocate(size_t n) override
#else
    c10::DataPtr allocate(size_t n) const override
#endif
    {
        void* p = allocateBytes(n);
        return {p, p, &freeBytes, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &freeBytes; }
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
    void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }
#endif
};

}  // namespace

bool installHugePageCpuAllocator()
{
    static bool installed = false;
    static std::once_flag once;
    std::call_once(once, [] {
        if (const char* env = std::getenv("INPAINT_HUGE_PAGES"); env && std::strcmp(env, "0") == 0) return;
        static HugePageCpuAllocator allocator;
        // Blocks the previous allocator handed out keep their own deleters, so switching is safe
        // at any time; the priority outranks c10's default registration.
        c10::SetAllocator(c10::DeviceType::CPU, &allocator, /*priority=*/1);
        installed = true;
    });
    return installed;
}

void releaseCachedCpuBlocks()
{
    LargeBlocks& lb = largeBlocks();
    std::lock_guard<std::mutex> lock(lb.mutex);
    lb.unmapAllFree();
}

HugePageScope::HugePageScope() : m_previous(t_hugePages) { t_hugePages = true; }
HugePageScope::~HugePageScope() { t_hugePages = m_previous; }

}  // namespace inpaint::models::nn
