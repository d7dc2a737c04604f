// CPU threading (see cpu_threads.h).
#include "models/nn/cpu_threads.h"
#include "models/nn/cpu_features.h"

#include <ATen/Parallel.h>

#include <cstdlib>

#include <dlfcn.h>
#include <unistd.h>

namespace inpaint::models::nn {

bool setCpuThreads(int n)
{
    if (n < 1) n = 1;
    if (at::get_num_threads() != n) at::set_num_threads(n);
    // Looked up at run time: a LibTorch built on MKL (the pip wheel) has no OpenBLAS, and MKL
    // shares the OpenMP pool already.
    using SetThreads = void (*)(int);
    if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
        set(1);
        return true;
    }
    return false;
}

std::string blasCoreName()
{
    using CoreName = char* (*)();
    if (auto* name = reinterpret_cast<CoreName>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
        if (const char* n = name()) return n;
    return {};
}

std::string betterBlasCore(const std::string& core, bool avx512, bool avx2)
{
    if (core != "Prescott") return {};  // OpenBLAS's fallback for a CPU it does not know
    return avx512 ? "SkylakeX" : avx2 ? "Haswell" : "";
}

void restartForBlasCore(char** argv)
{
    const char* set = std::getenv("OPENBLAS_CORETYPE");
    if ((set && *set) || std::getenv("INPAINT_BLAS_RESTARTED") || !argv || !argv[0]) return;
    const std::string better = betterBlasCore(blasCoreName(), cpuHasAvx512Core(), cpuHasAvx2Fma());
    if (better.empty()) return;
    ::setenv("OPENBLAS_CORETYPE", better.c_str(), 1);
    ::setenv("INPAINT_BLAS_RESTARTED", "1", 1);
    ::execv("/proc/self/exe", argv);
    ::unsetenv("OPENBLAS_CORETYPE");  // exec failed: carry on with the kernels loaded
}

}  // namespace inpaint::models::nn
