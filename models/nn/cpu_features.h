// What the CPU this process runs on can do, detected at run time (never assumed at build time):
// the precision `auto` picks and the bench's header line depend on it.
#pragma once

#include <string>

namespace inpaint::models::nn {

// AVX-512 BF16 (vdpbf16ps): oneDNN then runs bf16 convolutions and GEMMs natively, about 4x the
// fp32 rate on the 2-core EPYC of the issue. Without it LibTorch's bf16 is emulated (slower than fp32).
bool cpuHasNativeBf16();
// AVX-512 F/BW/VL/DQ: oneDNN's packed bf16 convolution path needs these (emulated bf16 without
// the BF16 extension).
bool cpuHasAvx512Core();
bool cpuHasAvx2Fma();
// "avx512_bf16", "avx512", "avx2" or "baseline": the best of the above.
// INPAINT_CPU_FEATURES=avx2|baseline hides the better ones (to run a lesser CPU's paths here).
std::string cpuIsaName();

}  // namespace inpaint::models::nn
