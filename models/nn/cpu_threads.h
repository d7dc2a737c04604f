// CPU threading of the engine. LibTorch's own ops run on its OpenMP pool; fp32 GEMMs went to
// OpenBLAS, whose separate pthread pool fought the OpenMP threads (still spinning after each
// parallel region) for the same cores: on the 2-core EPYC an fp32 attention ran at 17 GFLOP/s,
// 0.73 s instead of 1.9 s once OpenBLAS kept to one thread. So OpenBLAS is held to one thread;
// the engine's fp32 linear layers run on oneDNN (nn::linear) and the attention spreads its
// single-threaded GEMMs over the OpenMP pool (one task per batch, head and query chunk).
#pragma once

namespace inpaint::models::nn {

// Sets LibTorch's intra-op thread count to n (>= 1) and, where the process uses OpenBLAS, keeps
// OpenBLAS to one thread. Returns whether OpenBLAS was found (and so is single-threaded).
bool setCpuThreads(int n);

}  // namespace inpaint::models::nn
