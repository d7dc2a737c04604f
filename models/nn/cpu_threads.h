// CPU threading of the engine. LibTorch's own ops run on its OpenMP pool; fp32 GEMMs went to
// OpenBLAS, whose separate pthread pool fought the OpenMP threads (still spinning after each
// parallel region) for the same cores: on the 2-core EPYC an fp32 attention ran at 17 GFLOP/s,
// 0.73 s instead of 1.9 s once OpenBLAS kept to one thread. So OpenBLAS is held to one thread;
// the engine's fp32 linear layers run on oneDNN (nn::linear) and the attention spreads its
// single-threaded GEMMs over the OpenMP pool (one task per batch, head and query chunk).
#pragma once

#include <string>

namespace inpaint::models::nn {

// Sets LibTorch's intra-op thread count to n (>= 1) and, where the process uses OpenBLAS, keeps
// OpenBLAS to one thread. Returns whether OpenBLAS was found (and so is single-threaded).
bool setCpuThreads(int n);

// OpenBLAS chooses its kernels once, when the library is loaded, from the CPU's model number.
// Debian 12's OpenBLAS 0.3.21 does not know newer CPUs (a 2-core Intel Xeon, family 6 model 207,
// under KVM) and falls back to its Prescott (SSE3) kernels: the attention's fp32 GEMMs ran at 37-41
// GFLOP/s there, 95-107 with its SkylakeX or Haswell kernels (OPENBLAS_CORETYPE), and the fp32
// attention is half of a UNet step on that machine.
// The kernel set OpenBLAS runs ("SkylakeX", "Prescott", ...); empty without OpenBLAS.
std::string blasCoreName();
// The OPENBLAS_CORETYPE to ask for when OpenBLAS runs `core`: "SkylakeX" (AVX-512 F/BW/VL/DQ) or
// "Haswell" (AVX2 + FMA) where it fell back to Prescott on a CPU that has those; else empty.
std::string betterBlasCore(const std::string& core, bool avx512, bool avx2);
// Call first in main(), before any thread starts: where betterBlasCore names a kernel set, no
// OPENBLAS_CORETYPE is set and this process was not already restarted for it, sets
// OPENBLAS_CORETYPE and runs this program again (/proc/self/exe, the same arguments and
// environment). Returns when nothing needs doing or the restart failed (the slow kernels then stay).
void restartForBlasCore(char** argv);

}  // namespace inpaint::models::nn
