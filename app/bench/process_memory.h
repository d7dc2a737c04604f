// This process's memory from /proc/self (Linux): VmRSS, RssAnon, RssFile, VmHWM (the peak) in bytes,
// and a reset of the peak so that a later VmHWM covers only what came after.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace inpaint::bench {

inline std::map<std::string, double> processMemory()
{
    std::map<std::string, double> out{{"VmRSS", 0.0}, {"RssAnon", 0.0}, {"RssFile", 0.0}, {"VmHWM", 0.0}};
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        for (auto& [key, value] : out) {
            const std::string k = key + ":";
            if (line.rfind(k, 0) == 0) {
                std::istringstream v(line.substr(k.size()));
                double kb = 0;
                v >> kb;
                value = kb * 1024.0;
            }
        }
    }
    return out;
}

// Writing 5 to clear_refs sets VmHWM to the current RSS (Linux >= 4.0). False where it cannot.
inline bool resetPeakRss()
{
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    return static_cast<bool>(f);
}

inline double gib(double bytes) { return bytes / (1024.0 * 1024.0 * 1024.0); }

}  // namespace inpaint::bench
