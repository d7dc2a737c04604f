#include "models/nn/cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace inpaint::models::nn {

namespace {

// INPAINT_CPU_FEATURES=avx2 (or baseline) hides the AVX-512 features from the engine's choices, so
// the paths of a CPU without them (fp32 by default, bf16 convolutions unpacked) can be run and
// tested here. It cannot add features the CPU lacks.
bool hidden(const char* level)
{
    const char* env = std::getenv("INPAINT_CPU_FEATURES");
    if (!env || !*env) return false;
    if (std::strcmp(level, "avx512") == 0) return std::strcmp(env, "avx2") == 0 || std::strcmp(env, "baseline") == 0;
    if (std::strcmp(level, "avx2") == 0) return std::strcmp(env, "baseline") == 0;
    return false;
}

}  // namespace

// __builtin_cpu_supports reads CPUID once and also checks that the OS saves the AVX-512 state.
bool cpuHasAvx512Core()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool ok = !hidden("avx512") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
    return ok;
#else
    return false;
#endif
}

bool cpuHasNativeBf16()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool ok = cpuHasAvx512Core() && __builtin_cpu_supports("avx512bf16");
    return ok;
#else
    return false;
#endif
}

bool cpuHasAvx2Fma()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool ok = !hidden("avx2") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok;
#else
    return false;
#endif
}

std::string cpuIsaName()
{
    if (cpuHasNativeBf16()) return "avx512_bf16";
    if (cpuHasAvx512Core()) return "avx512";
    if (cpuHasAvx2Fma()) return "avx2";
    return "baseline";
}

}  // namespace inpaint::models::nn
