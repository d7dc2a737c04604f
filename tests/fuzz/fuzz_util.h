// Helpers shared by the libFuzzer harnesses in tests/fuzz (built with INPAINT_FUZZ=ON, clang).
// A harness calls the real parser on the input; the errors a parser documents (the engine's
// ModelError family, a null image with a message) are expected, anything else that escapes
// (another exception type, a sanitizer report, a broken invariant) is a finding.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace inpaint::fuzz {

// Several files in one input: the parts are separated by a line "===" ("\n===\n").
inline std::vector<std::string> splitParts(const uint8_t* data, size_t size, size_t maxParts)
{
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    static constexpr std::string_view kSep = "\n===\n";
    std::vector<std::string> parts;
    size_t pos = 0;
    while (parts.size() + 1 < maxParts) {
        const size_t at = all.find(kSep, pos);
        if (at == std::string_view::npos) break;
        parts.emplace_back(all.substr(pos, at - pos));
        pos = at + kSep.size();
    }
    parts.emplace_back(all.substr(pos));
    return parts;
}

// A broken invariant: print it and abort, so libFuzzer records the input as a crash.
[[noreturn]] inline void fail(const std::string& what)
{
    std::fprintf(stderr, "FUZZ INVARIANT BROKEN: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

// A per-process scratch folder (in /dev/shm when there is one) for harnesses that must go
// through a parser's file-path entry point.
inline const std::filesystem::path& scratchDir()
{
    static const std::filesystem::path dir = [] {
        std::error_code ec;
        std::filesystem::path base = std::filesystem::is_directory("/dev/shm", ec)
                                         ? std::filesystem::path("/dev/shm")
                                         : std::filesystem::temp_directory_path();
        auto d = base / ("inpaint-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(d);
        std::atexit([] {
            std::error_code e;
            std::filesystem::remove_all(scratchDir(), e);
        });
        return d;
    }();
    return dir;
}

inline void writeFile(const std::filesystem::path& p, const std::string& bytes)
{
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) fail("cannot write the scratch file " + p.string());
}

// Keeps a computed value alive so the optimiser cannot drop the reads that produced it.
inline void sink(uint64_t v)
{
    static volatile uint64_t s = 0;
    s = s + v;
}

}  // namespace inpaint::fuzz
