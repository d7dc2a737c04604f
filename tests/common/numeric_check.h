// The check harness of the torch engine tests (models/, core/diffusion/; the engine-only build has
// no Qt, so these do not use Qt Test), and the numeric comparisons they make against goldens.
//
//   TEST_CASE(name) { ... }   registers a case; TEST_MAIN() runs every case (or those whose name
//                             contains argv[1]) in file order.
//   EXPECT*(...)              counts a check; a failure prints file:line and the case goes on.
//   REQUIRE(cond)             a failure also ends the case.
//   compareTensors / tensorsClose   max-abs, relative-L2 and allclose against a Tolerance.
//   WorstCase                 the largest difference seen, and where.
//   goldenCases (reference.h) the cases of a golden section, failing when it has none.
//
// The run fails on any failed check, on an exception leaving a case, on a case that made no check,
// and when no case ran at all (a filter that matches nothing, an empty file): nothing passes by
// testing nothing. The macros are EXPECT*, not CHECK*: LibTorch pulls in glog/c10, whose CHECK,
// CHECK_EQ and CHECK_NEAR would silently replace ours and abort instead of counting.
#pragma once

#include "models/nn/cpu_threads.h"

#include <ATen/Parallel.h>
#include <torch/types.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <functional>
#include <iostream>
#include <limits>
#include <source_location>
#include <sstream>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace inpaint::test {

// ---------------------------------------------------------------------------------------------
// Registry, failures, the run

struct Registry {
    struct Case {
        std::string name;
        std::function<void()> fn;
    };
    std::vector<Case> cases;
    int failures = 0;
    int checks = 0;
    int goldenCases = 0;                        // golden cases handed out by goldenCases()
    std::vector<std::string>* capture = nullptr;  // FailureCapture: collect instead of failing

    static Registry& get()
    {
        static Registry r;
        return r;
    }
};

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { Registry::get().cases.push_back({name, std::move(fn)}); }
};

struct RequireFailed : std::exception {};

inline void countCheck()
{
    ++Registry::get().checks;
}

inline void fail(const char* file, int line, const std::string& what)
{
    auto& r = Registry::get();
    if (r.capture) {
        r.capture->push_back(what);
        return;
    }
    ++r.failures;
    std::cerr << file << ":" << line << ": FAIL: " << what << std::endl;
}

// std::source_location where the compiler has it; clang 14 with libstdc++ 12 (the sanitizer
// build) has not, so there the same two fields come from __builtin_FILE/__builtin_LINE.
#if defined(__cpp_lib_source_location)
using SourceLocation = std::source_location;
#else
struct SourceLocation {
    static constexpr SourceLocation current(const char* file = __builtin_FILE(), unsigned line = __builtin_LINE())
    {
        return SourceLocation{file, line};
    }
    constexpr const char* file_name() const { return m_file; }
    constexpr unsigned line() const { return m_line; }
    const char* m_file = "";
    unsigned m_line = 0;
};
#endif

inline void fail(const SourceLocation& at, const std::string& what)
{
    fail(at.file_name(), static_cast<int>(at.line()), what);
}

// A failure of a whole case (an exception left it, it checked nothing) or of the run.
inline void failCase(const std::string& name, const std::string& what)
{
    auto& r = Registry::get();
    if (r.capture) {
        r.capture->push_back(name + ": " + what);
        return;
    }
    ++r.failures;
    std::cerr << name << ": FAIL: " << what << std::endl;
}

// While alive, failures are collected in `messages` instead of failing the run: for tests of the
// harness itself (that a guard does fail).
class FailureCapture {
public:
    FailureCapture() : m_previous(Registry::get().capture) { Registry::get().capture = &messages; }
    ~FailureCapture() { Registry::get().capture = m_previous; }
    FailureCapture(const FailureCapture&) = delete;
    FailureCapture& operator=(const FailureCapture&) = delete;
    std::vector<std::string> messages;

private:
    std::vector<std::string>* m_previous;
};

// Failures so far, counted or captured.
inline size_t failuresSeen()
{
    const auto& r = Registry::get();
    return static_cast<size_t>(r.failures) + (r.capture ? r.capture->size() : 0);
}

// Runs the cases whose name contains `filter` (all for an empty one) and prints the summary;
// returns the process exit code: 0 only when some case ran and nothing failed.
inline int runCases(const std::vector<Registry::Case>& cases, const std::string& filter)
{
    auto& r = Registry::get();
    // Two threads (the goldens' own count) unless INPAINT_THREADS says otherwise: ctest runs one
    // test per core, so the test environment sets 1. Results agree across counts to the tolerances.
    const char* threads = std::getenv("INPAINT_THREADS");
    models::nn::setCpuThreads(threads && std::atoi(threads) > 0 ? std::atoi(threads) : 2);
    const size_t failuresAtStart = failuresSeen();
    const int checksAtStart = r.checks;
    const int goldenAtStart = r.goldenCases;
    int ran = 0;
    for (const auto& c : cases) {
        if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
        ++ran;
        const size_t failuresBefore = failuresSeen();
        const int checksBefore = r.checks;
        std::cout << "[ RUN  ] " << c.name << std::endl;
        try {
            c.fn();
        } catch (const RequireFailed&) {
        } catch (const std::exception& e) {
            failCase(c.name, std::string("unexpected exception: ") + e.what());
        } catch (...) {
            failCase(c.name, "unexpected non-std exception");
        }
        if (r.checks == checksBefore && failuresSeen() == failuresBefore) failCase(c.name, "the case made no check");
        std::cout << (failuresSeen() == failuresBefore ? "[  OK  ] " : "[ FAIL ] ") << c.name << std::endl;
    }
    if (ran == 0) failCase("run", "no case ran" + (filter.empty() ? std::string() : " (filter '" + filter + "')"));
    const size_t failed = failuresSeen() - failuresAtStart;
    std::cout << ran << " case(s), " << r.checks - checksAtStart << " check(s), " << r.goldenCases - goldenAtStart
              << " golden case(s), " << failed << " failure(s)" << std::endl;
    return failed == 0 ? 0 : 1;
}

inline int runAll(int argc, char** argv)
{
    return runCases(Registry::get().cases, argc > 1 ? argv[1] : "");
}

// ---------------------------------------------------------------------------------------------
// Numeric comparisons

inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Elementwise allclose |actual - expected| <= atol + rtol * |expected| (numpy's rule), and an
// optional bound on the relative L2 error ||actual - expected|| / ||expected||.
struct Tolerance {
    Tolerance(double atol_ = 0.0, double rtol_ = 0.0, double relL2_ = kInf) : atol(atol_), rtol(rtol_), relL2(relL2_) {}
    double atol;
    double rtol;
    double relL2;
};

struct TensorDiff {
    bool sameShape = false;
    bool finite = false;  // `actual` and the difference are finite
    bool ok = false;      // same shape, finite, allclose and within the relative-L2 bound
    double maxAbs = kInf;
    double maxRel = kInf;  // max |d| / max(|expected|, 1e-3)
    double relL2 = kInf;   // ||d|| / ||expected|| (0 when both are 0)
};

inline TensorDiff compareTensors(const torch::Tensor& actual, const torch::Tensor& expected, const Tolerance& tol)
{
    TensorDiff d;
    if (actual.sizes() != expected.sizes()) return d;
    d.sameShape = true;
    const auto a = actual.detach().to(torch::kCPU, torch::kDouble);
    const auto e = expected.detach().to(torch::kCPU, torch::kDouble);
    if (a.numel() == 0) {
        d.finite = d.ok = true;
        d.maxAbs = d.maxRel = d.relL2 = 0.0;
        return d;
    }
    const auto diff = (a - e).abs();
    d.maxAbs = diff.max().item<double>();
    d.maxRel = (diff / e.abs().clamp_min(1e-3)).max().item<double>();
    const double diffNorm = diff.norm().item<double>();
    const double refNorm = e.norm().item<double>();
    d.relL2 = refNorm > 0 ? diffNorm / refNorm : (diffNorm == 0 ? 0.0 : kInf);
    d.finite = torch::isfinite(a).all().item<bool>() && std::isfinite(d.maxAbs);
    const bool allclose = (diff <= tol.atol + tol.rtol * e.abs()).all().item<bool>();
    d.ok = d.finite && allclose && d.relL2 <= tol.relL2;
    return d;
}

// Largest |a - b| (in double); infinity when the shapes differ.
inline double maxAbsDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return compareTensors(a, b, Tolerance()).maxAbs;
}

// ||actual - expected|| / ||expected||; infinity when the shapes differ.
inline double relativeL2(const torch::Tensor& actual, const torch::Tensor& expected)
{
    return compareTensors(actual, expected, Tolerance()).relL2;
}

// compareTensors, with one line in the log for the measured margin:
//   "  <label>  max|diff| 1.234e-06 (tol 1.0e-04)".
inline bool tensorsClose(const torch::Tensor& actual, const torch::Tensor& expected, const Tolerance& tol,
                         const std::string& label, double* measuredMaxAbs = nullptr, TensorDiff* diffOut = nullptr)
{
    const TensorDiff d = compareTensors(actual, expected, tol);
    if (diffOut) *diffOut = d;
    if (!d.sameShape) {
        std::cerr << "  " << label << ": shape " << actual.sizes() << " != expected " << expected.sizes() << std::endl;
        return false;
    }
    if (measuredMaxAbs) *measuredMaxAbs = d.maxAbs;
    std::string bound;
    if (tol.rtol > 0) {
        char b[48];
        std::snprintf(b, sizeof b, " + %.1e*|ref|", tol.rtol);
        bound += b;
    }
    if (std::isfinite(tol.relL2)) {
        char b[64];
        std::snprintf(b, sizeof b, ", rel L2 %.3e (tol %.1e)", d.relL2, tol.relL2);
        bound += b;
    }
    std::printf("  %-60s max|diff| %.3e (tol %.1e%s)%s\n", label.c_str(), d.maxAbs, tol.atol,
                bound.c_str(), d.finite ? "" : " NON-FINITE");
    return d.ok;
}

// The largest value recorded and the label it came with (the worst case of a run).
class WorstCase {
public:
    void record(const std::string& label, double value)
    {
        ++m_count;
        if (m_count == 1 || value > m_value || std::isnan(value)) {
            m_value = value;
            m_label = label;
        }
    }
    double value() const { return m_value; }
    const std::string& label() const { return m_label; }
    int count() const { return m_count; }

private:
    double m_value = 0.0;
    std::string m_label;
    int m_count = 0;
};

// A scratch folder of this process (<tmp>/<tag>_<pid>), created on first use and removed at exit.
class ScratchDir {
public:
    explicit ScratchDir(const std::string& tag)
        : m_path(std::filesystem::temp_directory_path() / (tag + "_" + std::to_string(::getpid())))
    {
        std::filesystem::create_directories(m_path);
    }
    ~ScratchDir()
    {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

}  // namespace inpaint::test

// ---------------------------------------------------------------------------------------------
// Macros

#define INPAINT_TEST_CAT2(a, b) a##b
#define INPAINT_TEST_CAT(a, b) INPAINT_TEST_CAT2(a, b)

#define TEST_CASE(name)                                                                              \
    static void name();                                                                              \
    static ::inpaint::test::Registrar INPAINT_TEST_CAT(registrar_, name)(#name, &name);              \
    static void name()

#define TEST_MAIN()                                                                                  \
    int main(int argc, char** argv) { return ::inpaint::test::runAll(argc, argv); }

#define EXPECT_MSG(cond, msg)                                                                        \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        if (!(cond)) {                                                                               \
            std::ostringstream expectOs_;                                                            \
            expectOs_ << "EXPECT(" #cond "): " << msg;                                               \
            ::inpaint::test::fail(__FILE__, __LINE__, expectOs_.str());                              \
        }                                                                                            \
    } while (0)

#define EXPECT(cond)                                                                                 \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        if (!(cond)) ::inpaint::test::fail(__FILE__, __LINE__, "EXPECT(" #cond ")");                 \
    } while (0)

// Ends the case on failure (a later check would only fail on its consequences).
#define REQUIRE(cond)                                                                                \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        if (!(cond)) {                                                                               \
            ::inpaint::test::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")");                         \
            throw ::inpaint::test::RequireFailed();                                                  \
        }                                                                                            \
    } while (0)

// Each argument is evaluated once (into a copy: `a` may refer into a temporary).
#define EXPECT_EQ(a, b)                                                                              \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        const auto expectA_ = (a);                                                                   \
        const auto expectB_ = (b);                                                                   \
        if (!(expectA_ == expectB_)) {                                                               \
            std::ostringstream expectOs_;                                                            \
            expectOs_ << "EXPECT_EQ(" #a ", " #b "): " << expectA_ << " != " << expectB_;            \
            ::inpaint::test::fail(__FILE__, __LINE__, expectOs_.str());                              \
        }                                                                                            \
    } while (0)

#define EXPECT_NEAR(a, b, tol)                                                                       \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        const double expectA_ = (a), expectB_ = (b), expectT_ = (tol);                               \
        if (!(std::fabs(expectA_ - expectB_) <= expectT_)) {                                         \
            std::ostringstream expectOs_;                                                            \
            expectOs_.precision(17);                                                                 \
            expectOs_ << "EXPECT_NEAR(" #a ", " #b "): " << expectA_ << " vs " << expectB_           \
                      << " (tol " << expectT_ << ")";                                                \
            ::inpaint::test::fail(__FILE__, __LINE__, expectOs_.str());                              \
        }                                                                                            \
    } while (0)

// Expects `expr` to throw `Type` whose what() contains `needle`; prints the message, so the log
// shows what a user would read.
#define EXPECT_THROWS(expr, Type, needle)                                                            \
    do {                                                                                             \
        ::inpaint::test::countCheck();                                                               \
        bool thrown_ = false;                                                                        \
        try {                                                                                        \
            (void)(expr);                                                                            \
        } catch (const Type& e_) {                                                                   \
            thrown_ = true;                                                                          \
            const std::string w_ = e_.what();                                                        \
            std::cout << "  expected " #Type ": " << w_.substr(0, 300) << std::endl;                 \
            if (w_.find(needle) == std::string::npos)                                                \
                ::inpaint::test::fail(__FILE__, __LINE__,                                            \
                                      std::string("message of " #expr " lacks '") + (needle) + "': " + w_); \
        } catch (const std::exception& e_) {                                                         \
            thrown_ = true;                                                                          \
            ::inpaint::test::fail(__FILE__, __LINE__, std::string(#expr " threw the wrong type: ") + e_.what()); \
        }                                                                                            \
        if (!thrown_) ::inpaint::test::fail(__FILE__, __LINE__, #expr " did not throw " #Type);      \
    } while (0)
