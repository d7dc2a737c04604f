// CPU threading (see cpu_threads.h).
#include "models/nn/cpu_threads.h"

#include <ATen/Parallel.h>

#include <dlfcn.h>

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

}  // namespace inpaint::models::nn
