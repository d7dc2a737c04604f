// Whether bf16 is actually faster than fp32 on this CPU, measured once per process. AVX-512 BF16
// alone does not decide it: on the 2-core AMD EPYC (Zen 4) oneDNN 2.6's bf16 convolutions run ~4x
// its fp32 ones, while on a 2-core Intel Xeon (family 6 model 207, KVM, AVX-512 BF16 without AMX)
// the same bf16 convolutions and GEMMs ran at 0.55-0.6x fp32 and the bf16 UNet step took 1.34x the
// fp32 one (inpaint-bench). So `auto` on the CPU asks this probe (sd_model.h resolveDtype).
#pragma once

#include <string>

namespace inpaint::models::nn {

struct Bf16Probe {
    bool ran = false;         // false: no native bf16 (not measured: emulated bf16 is always slower)
    double conv = 0;          // bf16 speed / fp32 speed of each kind of op (> 1: bf16 faster)
    double linear = 0;
    double attention = 0;
    double speedup = 0;       // of an SD 1.5 UNet step, the three weighted by its FLOP shares
    double seconds = 0;       // the probe's own cost
};

// The FLOP shares of one SD 1.5 CFG step at 512² (inpaint-bench's count: 1606 GFLOP, of which
// ~900 convolutions, ~460 linear layers, ~250 attention score/value products).
constexpr double kConvShare = 0.56, kLinearShare = 0.29, kAttentionShare = 0.155;

// bf16's speed-up of a UNet step implied by the per-op ratios (time = sum of share / speed).
double weightedSpeedup(double conv, double linear, double attention);

// Runs once per process, on the calling thread with the current intra-op threads (~0.3 s with
// 2 threads): a 3x3 320->320 convolution on [2, 320, 32, 32] (channels-last, prepacked, as the
// models run it), a linear [2048, 320] -> 1280 and 8-head attention over 1024 tokens, each in fp32
// and bf16, best of 3 after a warm-up. Thread-safe; later calls return the first result.
const Bf16Probe& bf16SpeedProbe();

// bf16 is worth its ~1-2 % error (README, Speed) only where it is clearly faster.
constexpr double kBf16MinSpeedup = 1.2;

// "conv 0.58x, linear 0.57x, attention 2.6x -> a UNet step 0.75x"
std::string describeProbe(const Bf16Probe& p);

}  // namespace inpaint::models::nn
