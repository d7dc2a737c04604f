#include "models/nn/cpu_features.h"

namespace inpaint::models::nn {

// __builtin_cpu_supports reads CPUID once and also checks that the OS saves the AVX-512 state.
bool cpuHasAvx512Core()
{
#if defined(__x86_64__) || defined(__i386__)
    static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
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
    static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
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
