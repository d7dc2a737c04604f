// A tiny self-contained test harness for the torch-only engine tests (the engine-only build has no
// Qt). TEST(name) registers a function; EXPECT* record failures with file:line and keep going;
// main() (TEST_MAIN) runs every test, prints a summary and returns non-zero on any failure.
// The macros are EXPECT*, not CHECK*: LibTorch pulls in glog, whose CHECK, CHECK_EQ and
// CHECK_NEAR would silently replace ours and abort instead of counting.
#pragma once

#include <cmath>
#include <exception>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace checkh {

struct Registry {
    std::vector<std::pair<std::string, std::function<void()>>> tests;
    int failures = 0;
    int checks = 0;
    static Registry& get()
    {
        static Registry r;
        return r;
    }
};

struct Registrar {
    Registrar(const char* name, std::function<void()> fn) { Registry::get().tests.emplace_back(name, std::move(fn)); }
};

inline void fail(const char* file, int line, const std::string& what)
{
    ++Registry::get().failures;
    std::cerr << file << ":" << line << ": FAIL: " << what << std::endl;
}

inline int runAll(int argc, char** argv)
{
    auto& r = Registry::get();
    const std::string filter = argc > 1 ? argv[1] : "";
    int ran = 0;
    for (auto& [name, fn] : r.tests) {
        if (!filter.empty() && name.find(filter) == std::string::npos) continue;
        const int before = r.failures;
        try {
            fn();
        } catch (const std::exception& e) {
            fail(name.c_str(), 0, std::string("uncaught exception: ") + e.what());
        } catch (...) {
            fail(name.c_str(), 0, "uncaught non-std exception");
        }
        ++ran;
        std::cout << (r.failures == before ? "PASS   " : "FAIL   ") << name << std::endl;
    }
    std::cout << ran << " tests, " << r.checks << " checks, " << r.failures << " failures" << std::endl;
    return r.failures == 0 && ran > 0 ? 0 : 1;
}

}  // namespace checkh

#define TESTH_CAT2(a, b) a##b
#define TESTH_CAT(a, b) TESTH_CAT2(a, b)
#define TEST(name)                                                                                  \
    static void name();                                                                             \
    static ::checkh::Registrar TESTH_CAT(registrar_, name)(#name, &name);                           \
    static void name()

#define EXPECT(cond)                                                                                 \
    do {                                                                                            \
        ++::checkh::Registry::get().checks;                                                         \
        if (!(cond)) ::checkh::fail(__FILE__, __LINE__, "EXPECT(" #cond ")");                        \
    } while (0)

#define EXPECT_MSG(cond, msg)                                                                        \
    do {                                                                                            \
        ++::checkh::Registry::get().checks;                                                         \
        if (!(cond)) {                                                                              \
            std::ostringstream checkOs_;                                                            \
            checkOs_ << "EXPECT(" #cond "): " << msg;                                                \
            ::checkh::fail(__FILE__, __LINE__, checkOs_.str());                                     \
        }                                                                                           \
    } while (0)

#define EXPECT_EQ(a, b) EXPECT_MSG((a) == (b), "left: " << (a) << " right: " << (b))

#define EXPECT_NEAR(a, b, tol)                                                                       \
    EXPECT_MSG(std::abs(static_cast<double>(a) - static_cast<double>(b)) <= (tol),                   \
              "left: " << (a) << " right: " << (b) << " tol: " << (tol))

// Expects `stmt` to throw `ExType` whose what() contains `needle`.
#define EXPECT_THROWS(stmt, ExType, needle)                                                          \
    do {                                                                                            \
        ++::checkh::Registry::get().checks;                                                         \
        bool thrown_ = false;                                                                       \
        try {                                                                                       \
            stmt;                                                                                   \
        } catch (const ExType& e_) {                                                                \
            thrown_ = true;                                                                         \
            if (std::string(e_.what()).find(needle) == std::string::npos)                           \
                ::checkh::fail(__FILE__, __LINE__,                                                  \
                               std::string("message lacks '") + (needle) + "': " + e_.what());      \
        } catch (const std::exception& e_) {                                                        \
            thrown_ = true;                                                                         \
            ::checkh::fail(__FILE__, __LINE__, std::string("wrong exception type: ") + e_.what());  \
        }                                                                                           \
        if (!thrown_) ::checkh::fail(__FILE__, __LINE__, "expected " #ExType " from " #stmt);       \
    } while (0)

#define TEST_MAIN()                                                                                \
    int main(int argc, char** argv) { return ::checkh::runAll(argc, argv); }
