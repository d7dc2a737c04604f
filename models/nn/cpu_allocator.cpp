// The huge-page CPU allocator (see cpu_allocator.h).
#include "models/nn/cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/util/Exception.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include <sys/mman.h>

namespace inpaint::models::nn {

namespace {

constexpr size_t kSmallAlignment = 64;               // what c10's CPU allocator aligns to
constexpr size_t kHugePage = size_t{2} << 20;        // x86-64 / arm64 THP size
constexpr size_t kHugeThreshold = size_t{4} << 20;   // smaller blocks stay on 4 KiB pages

thread_local bool t_hugePages = false;

void* allocateBytes(size_t n)
{
    if (n == 0) return nullptr;
    const bool huge = t_hugePages && n >= kHugeThreshold;
    void* p = nullptr;
    if (::posix_memalign(&p, huge ? kHugePage : kSmallAlignment, n) != 0 || !p)
        TORCH_CHECK(false, "CPU out of memory: could not allocate ", n, " bytes.");
    // Whole huge pages only: the tail of the block stays on small pages. Advice, so a kernel
    // without THP (or with it off) just ignores it.
    if (huge) (void)::madvise(p, n / kHugePage * kHugePage, MADV_HUGEPAGE);
    return p;
}

void freeBytes(void* p) { std::free(p); }

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

HugePageScope::HugePageScope() : m_previous(t_hugePages) { t_hugePages = true; }
HugePageScope::~HugePageScope() { t_hugePages = m_previous; }

}  // namespace inpaint::models::nn
