// Minimal check harness for the engine tests (no Qt: the engine-only build has none).
// VERIFY* macros (not CHECK*, which c10 already defines) count failures and print file:line;
// main() returns checkReport().
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>

namespace inpaint::test {

inline int& failureCount()
{
    static int n = 0;
    return n;
}

inline int& checkCount()
{
    static int n = 0;
    return n;
}

inline void fail(const char* file, int line, const std::string& what)
{
    ++failureCount();
    std::fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what.c_str());
}

// Prints a summary; the test's main() returns this.
inline int checkReport(const char* name)
{
    std::printf("%s: %d checks, %d failures\n", name, checkCount(), failureCount());
    return failureCount() == 0 ? 0 : 1;
}

}  // namespace inpaint::test

#define VERIFY(cond)                                                                   \
    do {                                                                              \
        ++::inpaint::test::checkCount();                                              \
        if (!(cond)) ::inpaint::test::fail(__FILE__, __LINE__, "VERIFY(" #cond ")");  \
    } while (0)

#define VERIFY_MSG(cond, msg)                                                          \
    do {                                                                              \
        ++::inpaint::test::checkCount();                                              \
        if (!(cond)) {                                                                \
            std::ostringstream os_;                                                   \
            os_ << "VERIFY(" #cond "): " << msg;                                       \
            ::inpaint::test::fail(__FILE__, __LINE__, os_.str());                     \
        }                                                                             \
    } while (0)

#define VERIFY_EQ(a, b)                                                                \
    do {                                                                              \
        ++::inpaint::test::checkCount();                                              \
        const auto a_ = (a);                                                          \
        const auto b_ = (b);                                                          \
        if (!(a_ == b_)) {                                                            \
            std::ostringstream os_;                                                   \
            os_ << "VERIFY_EQ(" #a ", " #b "): " << a_ << " != " << b_;                \
            ::inpaint::test::fail(__FILE__, __LINE__, os_.str());                     \
        }                                                                             \
    } while (0)

#define VERIFY_NEAR(a, b, tol)                                                         \
    do {                                                                              \
        ++::inpaint::test::checkCount();                                              \
        const double a_ = (a), b_ = (b), t_ = (tol);                                  \
        if (!(std::fabs(a_ - b_) <= t_)) {                                            \
            std::ostringstream os_;                                                   \
            os_ << "VERIFY_NEAR(" #a ", " #b "): " << a_ << " vs " << b_ << " (tol " << t_ << ")"; \
            ::inpaint::test::fail(__FILE__, __LINE__, os_.str());                     \
        }                                                                             \
    } while (0)

// Checks that `expr` throws exception type E whose what() contains `needle`.
#define VERIFY_THROWS(E, expr, needle)                                                 \
    do {                                                                              \
        ++::inpaint::test::checkCount();                                              \
        bool threw_ = false;                                                          \
        try {                                                                         \
            (void)(expr);                                                             \
        } catch (const E& e_) {                                                       \
            threw_ = true;                                                            \
            if (std::string(e_.what()).find(needle) == std::string::npos)             \
                ::inpaint::test::fail(__FILE__, __LINE__,                             \
                    std::string("message of " #expr " lacks '") + (needle) + "': " + e_.what()); \
        } catch (const std::exception& e_) {                                          \
            threw_ = true;                                                            \
            ::inpaint::test::fail(__FILE__, __LINE__,                                 \
                std::string(#expr " threw the wrong type: ") + e_.what());            \
        }                                                                             \
        if (!threw_) ::inpaint::test::fail(__FILE__, __LINE__, #expr " did not throw"); \
    } while (0)
