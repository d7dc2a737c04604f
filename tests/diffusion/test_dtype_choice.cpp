// auto precision's CPU rule (sd_model.h chooseCpuDtype, bf16_probe.h): bf16 only where the speed
// probe measured it at least 1.2x fp32 on a UNet step's mix of ops, with the figures in the reason;
// the step estimate weighs the per-op ratios by their FLOP shares (time = sum of share / speed).
#include "core/diffusion/sd_model.h"
#include "models/nn/bf16_probe.h"
#include "tests/common/numeric_check.h"

using namespace inpaint;
using models::nn::Bf16Probe;

namespace {

Bf16Probe probe(double conv, double linear, double attention)
{
    Bf16Probe p;
    p.ran = true;
    p.conv = conv;
    p.linear = linear;
    p.attention = attention;
    p.speedup = models::nn::weightedSpeedup(conv, linear, attention);
    return p;
}

}  // namespace

TEST_CASE(weighted_speedup_is_the_step_time_ratio)
{
    using models::nn::weightedSpeedup;
    EXPECT_NEAR(weightedSpeedup(1, 1, 1), 1.0, 1e-12);
    EXPECT_NEAR(weightedSpeedup(4, 4, 4), 4.0, 1e-12);
    // The 2-core Intel Xeon of bf16_probe.h: conv and linear slower, attention faster.
    const double s = 1.005 / (0.56 / 0.6 + 0.29 / 0.57 + 0.155 / 2.6);
    EXPECT_NEAR(weightedSpeedup(0.6, 0.57, 2.6), s, 1e-12);
    EXPECT(s < 1.0);
    // One op kind at 2x and the others equal: the step gains by that kind's share only.
    EXPECT_NEAR(weightedSpeedup(2, 1, 1), 1.005 / (0.28 + 0.29 + 0.155), 1e-12);
    EXPECT_EQ(weightedSpeedup(0, 1, 1), 0.0);  // a failed measurement never reads as fast
}

TEST_CASE(cpu_auto_takes_bf16_only_when_measured_faster)
{
    const auto fast = diffusion::chooseCpuDtype(probe(4.1, 3.0, 3.5));  // the EPYC's kind of figures
    EXPECT(fast.dtype == torch::kBFloat16);
    EXPECT_MSG(fast.why.find("auto: AVX-512 BF16, bf16 measured at 3.") == 0, fast.why);
    const auto slow = diffusion::chooseCpuDtype(probe(0.6, 0.57, 2.6));  // the Xeon's
    EXPECT(slow.dtype == torch::kFloat32);
    EXPECT_MSG(slow.why.find("but bf16 measured at 0.") != std::string::npos && slow.why.find("1.2x") != std::string::npos,
               slow.why);
    EXPECT(diffusion::chooseCpuDtype(probe(1.15, 1.15, 1.15)).dtype == torch::kFloat32);  // not worth the error
    EXPECT(diffusion::chooseCpuDtype(probe(1.25, 1.25, 1.25)).dtype == torch::kBFloat16);
    EXPECT(diffusion::chooseCpuDtype(Bf16Probe{}).dtype == torch::kFloat32);  // not measured
}

TEST_MAIN()
