// OpenBLAS's kernel choice (models/nn/cpu_threads.h): which fallback is replaced by which kernel
// set, and that OPENBLAS_CORETYPE (what restartForBlasCore sets before running the program again)
// does select OpenBLAS's kernels in a fresh process of this binary.
#include "models/nn/cpu_features.h"
#include "models/nn/cpu_threads.h"
#include "tests/common/numeric_check.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

using namespace inpaint::models::nn;

namespace {

std::string selfPath;

// This binary run again with `env` in front, printing the kernel set OpenBLAS took.
std::string childBlasCore(const std::string& env)
{
    const std::string cmd = env + " '" + selfPath + "' --print-blas-core";
    std::string out;
    if (FILE* p = ::popen(cmd.c_str(), "r")) {
        std::array<char, 128> buf{};
        while (std::fgets(buf.data(), buf.size(), p)) out += buf.data();
        ::pclose(p);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

}  // namespace

TEST_CASE(better_blas_core_replaces_only_the_fallback)
{
    EXPECT_EQ(betterBlasCore("Prescott", true, true), std::string("SkylakeX"));
    EXPECT_EQ(betterBlasCore("Prescott", false, true), std::string("Haswell"));
    EXPECT_EQ(betterBlasCore("Prescott", false, false), std::string());  // nothing better to run
    EXPECT_EQ(betterBlasCore("SkylakeX", true, true), std::string());    // OpenBLAS knew the CPU
    EXPECT_EQ(betterBlasCore("Haswell", true, true), std::string());
    EXPECT_EQ(betterBlasCore("Zen", false, true), std::string());
    EXPECT_EQ(betterBlasCore("", true, true), std::string());  // no OpenBLAS
}

TEST_CASE(openblas_coretype_selects_the_kernels)
{
    const std::string here = blasCoreName();
    std::printf("OpenBLAS kernels in this process: '%s' (CPU %s)\n", here.c_str(), cpuIsaName().c_str());
    if (here.empty()) {
        std::printf("SKIP: this LibTorch uses no OpenBLAS\n");
        EXPECT(!setCpuThreads(1));  // and the thread setting found none either
        return;
    }
    EXPECT_EQ(childBlasCore("OPENBLAS_CORETYPE=Prescott"), std::string("Prescott"));
    if (cpuHasAvx2Fma()) EXPECT_EQ(childBlasCore("OPENBLAS_CORETYPE=Haswell"), std::string("Haswell"));
    // What a restart would ask for here is a set this CPU runs, or nothing.
    const std::string better = betterBlasCore(here, cpuHasAvx512Core(), cpuHasAvx2Fma());
    if (!better.empty()) EXPECT_EQ(childBlasCore("OPENBLAS_CORETYPE=" + better), better);
}

int main(int argc, char** argv)
{
    if (argc > 1 && std::strcmp(argv[1], "--print-blas-core") == 0) {
        std::printf("%s\n", blasCoreName().c_str());
        return 0;
    }
    selfPath = std::filesystem::absolute(argv[0]).string();
    return ::inpaint::test::runAll(argc, argv);
}
