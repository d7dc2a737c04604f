// The CPU allocator's cache of large activation blocks (models/nn/cpu_allocator.h): a freed block
// serves a later request it holds (up to twice the request's size), at most the cache limit waits
// (here 256 MiB, set before the first allocation), and past it the blocks that waited longest are
// given back, only as many as the new block needs.
#include "models/nn/cpu_allocator.h"
#include "tests/common/numeric_check.h"

#include <torch/torch.h>

#include <cstdlib>
#include <vector>

using namespace inpaint::models::nn;

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

torch::Tensor block(int64_t mib) { return torch::empty({mib * kMiB}, torch::kUInt8); }

const void* address(const torch::Tensor& t) { return t.data_ptr(); }

}  // namespace

TEST_CASE(a_freed_block_serves_a_request_it_holds)
{
    REQUIRE(installHugePageCpuAllocator());
    releaseCachedCpuBlocks();
    const void* first = nullptr;
    {
        torch::Tensor a = block(40);
        first = address(a);
        a.fill_(7);
    }
    EXPECT_EQ(cachedCpuBlocks().bytes, size_t(40 * kMiB));
    EXPECT_EQ(cachedCpuBlocks().blocks, size_t(1));
    {
        torch::Tensor b = block(24);  // 24 MiB fits in the 40 MiB block (under twice its size)
        EXPECT(address(b) == first);
        EXPECT_EQ(cachedCpuBlocks().bytes, size_t(0));
    }
    EXPECT_EQ(cachedCpuBlocks().bytes, size_t(40 * kMiB));  // back under its mapped size
    {
        torch::Tensor c = block(18);  // 40 MiB is more than twice 18: a block of its own
        EXPECT(address(c) != first);
        EXPECT_EQ(cachedCpuBlocks().bytes, size_t(40 * kMiB));
    }
    {
        torch::Tensor big = block(64);  // bigger than anything waiting
        EXPECT(address(big) != first);
    }
    releaseCachedCpuBlocks();
    EXPECT_EQ(cachedCpuBlocks().bytes, size_t(0));
    EXPECT_EQ(cachedCpuBlocks().blocks, size_t(0));
}

TEST_CASE(the_limit_gives_back_the_longest_waiting_blocks_first)
{
    REQUIRE(installHugePageCpuAllocator());
    releaseCachedCpuBlocks();
    EXPECT_EQ(cachedCpuBlocks().limit, size_t(256 * kMiB));
    std::vector<const void*> order;
    {
        std::vector<torch::Tensor> live;
        for (int i = 0; i < 5; ++i) live.push_back(block(64));
        for (auto& t : live) {  // freed in this order: the first one waits longest
            order.push_back(address(t));
            t = torch::Tensor();
        }
    }
    // 5 x 64 MiB freed, 4 fit under 256 MiB: the first one freed went back when the fifth came.
    EXPECT_EQ(cachedCpuBlocks().bytes, size_t(256 * kMiB));
    EXPECT_EQ(cachedCpuBlocks().blocks, size_t(4));
    {
        // 100 MiB: nothing waiting holds it; two blocks go (the 2nd and 3rd freed) to make room.
        torch::Tensor t = block(100);
        EXPECT_EQ(cachedCpuBlocks().bytes, size_t(128 * kMiB));
        EXPECT_EQ(cachedCpuBlocks().blocks, size_t(2));
        // The ones still waiting are the last two freed (the newest is taken first).
        torch::Tensor a = block(64), b = block(64);
        EXPECT(address(a) == order[4]);
        EXPECT(address(b) == order[3]);
        EXPECT_EQ(cachedCpuBlocks().blocks, size_t(0));
    }
    EXPECT(cachedCpuBlocks().bytes <= cachedCpuBlocks().limit);
    releaseCachedCpuBlocks();
    EXPECT_EQ(cachedCpuBlocks().bytes, size_t(0));
}

TEST_CASE(small_blocks_stay_with_malloc)
{
    REQUIRE(installHugePageCpuAllocator());
    releaseCachedCpuBlocks();
    {
        torch::Tensor t = block(8);  // under 16 MiB: glibc's heap, not the cache
        t.fill_(1);
        EXPECT_EQ(int(t.data_ptr<uint8_t>()[8 * kMiB - 1]), 1);
    }
    EXPECT_EQ(cachedCpuBlocks().blocks, size_t(0));
}

int main(int argc, char** argv)
{
    // Before the first allocation: the cache limit is read once.
    ::setenv("INPAINT_CPU_CACHE_MB", "256", 1);
    ::unsetenv("INPAINT_HUGE_PAGES");
    return ::inpaint::test::runAll(argc, argv);
}
