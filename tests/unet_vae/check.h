// A tiny self-contained test harness for the torch engine tests (the engine-only build has no
// Qt). TEST_CASE registers a function; EXPECT records a failure and goes on; REQUIRE stops the
// case; main() runs every case (or those whose name contains argv[1]) and returns non-zero on
// any failure.
#pragma once

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace inpaint::test {

struct Case {
    std::string name;
    std::function<void()> fn;
};

inline std::vector<Case>& registry()
{
    static std::vector<Case> cases;
    return cases;
}

inline int& failures()
{
    static int n = 0;
    return n;
}

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { registry().push_back({name, std::move(fn)}); }
};

struct RequireFailed : std::exception {};

inline void reportFailure(const char* file, int line, const std::string& what)
{
    ++failures();
    std::cerr << file << ":" << line << ": FAILED: " << what << std::endl;
}

inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// Compares shapes and values; prints the measured difference so the log documents the margin.
inline bool tensorsClose(const torch::Tensor& actual, const torch::Tensor& expected, double atol,
                         const std::string& label, double* measured = nullptr)
{
    if (actual.sizes() != expected.sizes()) {
        std::cerr << "  " << label << ": shape " << actual.sizes() << " != expected " << expected.sizes() << std::endl;
        return false;
    }
    const double d = maxAbsDiff(actual, expected);
    if (measured)
        *measured = d;
    const bool finite = torch::isfinite(actual).all().item<bool>();
    std::printf("  %-60s max|diff| %.3e (tol %.1e)%s\n", label.c_str(), d, atol, finite ? "" : " NON-FINITE");
    return finite && d <= atol;
}

inline int runAll(int argc, char** argv)
{
    torch::set_num_threads(2);
    const std::string filter = argc > 1 ? argv[1] : "";
    int ran = 0;
    for (const auto& c : registry()) {
        if (!filter.empty() && c.name.find(filter) == std::string::npos)
            continue;
        ++ran;
        const int before = failures();
        std::cout << "[ RUN  ] " << c.name << std::endl;
        try {
            c.fn();
        } catch (const RequireFailed&) {
        } catch (const std::exception& e) {
            reportFailure(__FILE__, __LINE__, c.name + ": unexpected exception: " + e.what());
        }
        std::cout << (failures() == before ? "[  OK  ] " : "[ FAIL ] ") << c.name << std::endl;
    }
    std::cout << ran << " case(s), " << failures() << " failure(s)" << std::endl;
    return failures() == 0 && ran > 0 ? 0 : 1;
}

}  // namespace inpaint::test

#define INPAINT_CAT2(a, b) a##b
#define INPAINT_CAT(a, b) INPAINT_CAT2(a, b)
#define TEST_CASE(name)                                                                                         \
    static void name();                                                                                         \
    static ::inpaint::test::Registrar INPAINT_CAT(registrar_, name)(#name, name);                               \
    static void name()

#define EXPECT(cond)                                                                                             \
    do {                                                                                                        \
        if (!(cond))                                                                                            \
            ::inpaint::test::reportFailure(__FILE__, __LINE__, #cond);                                         \
    } while (0)

#define EXPECT_MSG(cond, msg)                                                                                    \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            std::ostringstream os_;                                                                             \
            os_ << #cond << " -- " << msg;                                                                      \
            ::inpaint::test::reportFailure(__FILE__, __LINE__, os_.str());                                     \
        }                                                                                                       \
    } while (0)

#define REQUIRE(cond)                                                                                           \
    do {                                                                                                        \
        if (!(cond)) {                                                                                          \
            ::inpaint::test::reportFailure(__FILE__, __LINE__, #cond);                                         \
            throw ::inpaint::test::RequireFailed();                                                            \
        }                                                                                                       \
    } while (0)

// Expects `expr` to throw `Type` whose what() contains `needle`.
#define EXPECT_THROWS_WITH(expr, Type, needle)                                                                   \
    do {                                                                                                        \
        bool thrown_ = false;                                                                                   \
        try {                                                                                                   \
            (void)(expr);                                                                                       \
        } catch (const Type& e_) {                                                                              \
            thrown_ = true;                                                                                     \
            const std::string w_ = e_.what();                                                                   \
            std::cout << "  expected " #Type ": " << w_.substr(0, 300) << std::endl;                            \
            if (w_.find(needle) == std::string::npos)                                                           \
                ::inpaint::test::reportFailure(__FILE__, __LINE__,                                              \
                                               std::string("message lacks '") + (needle) + "': " + w_);         \
        } catch (const std::exception& e_) {                                                                    \
            thrown_ = true;                                                                                     \
            ::inpaint::test::reportFailure(__FILE__, __LINE__,                                                  \
                                           std::string(#expr " threw the wrong type: ") + e_.what());           \
        }                                                                                                       \
        if (!thrown_)                                                                                           \
            ::inpaint::test::reportFailure(__FILE__, __LINE__, #expr " did not throw " #Type);                 \
    } while (0)

#define TEST_MAIN()                                                                                             \
    int main(int argc, char** argv) { return ::inpaint::test::runAll(argc, argv); }
