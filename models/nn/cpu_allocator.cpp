// The huge-page CPU allocator (see cpu_allocator.h).
#include "models/nn/cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

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
// 10x its 256 px one for 4x the pixels. The same shapes recur every block and every step, so a
// request takes the smallest waiting block that holds it (at most kReuseFactor times its size:
// the UNet's blocks serve the VAE's, and the other way round). At most cacheLimit() bytes wait
// (INPAINT_CPU_CACHE_MB); past it the blocks waiting longest are given back first, only as many
// as the new block needs.
constexpr size_t kCachedThreshold = size_t{16} << 20;
constexpr size_t kReuseFactor = 2;

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
    struct Waiting {
        void* p;
        uint64_t since;  // when it was freed (a counter)
    };
    std::mutex mutex;
    std::unordered_map<void*, size_t> live;          // handed out: pointer -> mapped size
    std::map<size_t, std::vector<Waiting>> waiting;  // mapped size -> blocks waiting for reuse
    size_t cached = 0;                               // bytes in `waiting`
    uint64_t clock = 0;
    size_t mapped = 0;                               // blocks mapped afresh so far

    // A waiting block of at least `size` bytes (and at most kReuseFactor times it), or null.
    void* take(size_t size)
    {
        const auto it = waiting.lower_bound(size);
        if (it == waiting.end() || it->first / kReuseFactor > size) return nullptr;
        void* p = it->second.back().p;
        const size_t mapped = it->first;
        it->second.pop_back();
        if (it->second.empty()) waiting.erase(it);
        cached -= mapped;
        live.emplace(p, mapped);
        return p;
    }

    // Gives back the longest-waiting blocks until `incoming` more bytes fit under the limit.
    void makeRoom(size_t incoming)
    {
        while (cached > 0 && cached + incoming > cacheLimit()) {
            auto oldest = waiting.begin();
            size_t at = 0;
            for (auto it = waiting.begin(); it != waiting.end(); ++it)
                for (size_t i = 0; i < it->second.size(); ++i)
                    if (it->second[i].since < oldest->second[at].since) oldest = it, at = i;
            ::munmap(oldest->second[at].p, oldest->first);
            cached -= oldest->first;
            oldest->second.erase(oldest->second.begin() + std::ptrdiff_t(at));
            if (oldest->second.empty()) waiting.erase(oldest);
        }
    }

    void unmapAllWaiting()
    {
        for (auto& [size, blocks] : waiting)
            for (const Waiting& b : blocks) ::munmap(b.p, size);
        waiting.clear();
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
        if (void* p = lb.take(size)) return p;
        lb.makeRoom(size);
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        std::lock_guard<std::mutex> lock(largeBlocks().mutex);
        largeBlocks().unmapAllWaiting();
        p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) TORCH_CHECK(false, "CPU out of memory: could not allocate ", n, " bytes.");
    }
    (void)::madvise(p, size, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(lb.mutex);
    lb.live.emplace(p, size);
    ++lb.mapped;
    return p;
}

// True when p was a large block (now waiting or unmapped).
bool freeLarge(void* p)
{
    LargeBlocks& lb = largeBlocks();
    std::lock_guard<std::mutex> lock(lb.mutex);
    const auto it = lb.live.find(p);
    if (it == lb.live.end()) return false;
    const size_t size = it->second;
    lb.live.erase(it);
    if (size <= cacheLimit()) {
        lb.makeRoom(size);
        lb.waiting[size].push_back({p, ++lb.clock});
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
    if (::posix_memalign(&p, huge ? kHugePage : kSmallAlignment, n) != 0 || !p) {
        releaseCachedCpuBlocks();  // the waiting blocks first, then once more
        if (::posix_memalign(&p, huge ? kHugePage : kSmallAlignment, n) != 0 || !p)
            TORCH_CHECK(false, "CPU out of memory: could not allocate ", n, " bytes.");
    }
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

// glibc's malloc, which serves the blocks under kCachedThreshold, gives memory back to the system
// on its own: blocks above its moving mmap threshold are mapped and unmapped one by one, and a
// heap whose free top grows past the trim threshold (twice that threshold) is cut back. Each page
// handed back is faulted in and zeroed again on the next touch, and on virtual machines that is
// slow: on the 2-core EPYC VM a fresh 64 MiB costs 0.1 s on huge pages and 0.3 s on 4 KiB pages,
// against 0.003 s to write it again. A UNet step at batch 2 (activations of 5-10 MiB) faulted
// 18,000 pages, about 0.3 s of its 3.3 s. So: blocks under kCachedThreshold always come from the
// heap, and the heap is only cut back when more than kTrimThreshold lies free at its top (the
// peak stays what the job needs; the free pages wait for the next step). The threads of a parallel
// region allocate from arenas of their own, made of 64 MiB heaps, and glibc unmaps a whole heap
// once it is free whatever the trim threshold, unless the pad it must keep at the top (M_TOP_PAD)
// is larger than what the heap before it could still give: with a 64 MiB pad no heap goes. The pad
// is address space only (untouched pages cost nothing). The fp32 LCM step there (batch 1) faulted
// 23,000 pages with the threshold alone, 4,500 with the pad too: 3.72 -> 3.39 s a step.
constexpr size_t kTrimThreshold = size_t{512} << 20;
constexpr size_t kTopPad = size_t{64} << 20;

void keepSmallBlocksMapped()
{
#if defined(__GLIBC__)
    (void)::mallopt(M_MMAP_THRESHOLD, int(kCachedThreshold));
    (void)::mallopt(M_TRIM_THRESHOLD, int(kTrimThreshold));
    (void)::mallopt(M_TOP_PAD, int(kTopPad));
#endif
}

}  // namespace

bool installHugePageCpuAllocator()
{
    static bool installed = false;
    static std::once_flag once;
    std::call_once(once, [] {
        keepSmallBlocksMapped();
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
    lb.unmapAllWaiting();
}

CachedCpuBlocks cachedCpuBlocks()
{
    LargeBlocks& lb = largeBlocks();
    std::lock_guard<std::mutex> lock(lb.mutex);
    CachedCpuBlocks c;
    c.bytes = lb.cached;
    c.limit = cacheLimit();
    c.mapped = lb.mapped;
    for (const auto& [size, blocks] : lb.waiting) c.blocks += blocks.size();
    return c;
}

HugePageScope::HugePageScope() : m_previous(t_hugePages) { t_hugePages = true; }
HugePageScope::~HugePageScope() { t_hugePages = m_previous; }

}  // namespace inpaint::models::nn
