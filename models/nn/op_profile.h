// Where a network's time goes, by kind of op (inpaint-bench's per-op split). Off by default; when
// on, the engine's convolution, attention, GroupNorm(+activation) and linear calls add their wall
// time to process-wide counters. CPU only in meaning: on CUDA the calls return before the kernels
// finish, so the split would be of launch time.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace inpaint::models::nn {

enum class OpKind { Conv, Attention, Norm, Linear, Count };
const char* opKindName(OpKind k);  // "conv", "attention", "norm", "linear"

void setOpProfiling(bool on);
bool opProfiling();
void resetOpProfile();
std::array<double, size_t(OpKind::Count)> opProfileSeconds();
void addOpTime(OpKind k, int64_t nanoseconds);

// Adds its lifetime to `kind` while profiling is on (and nothing of its kind encloses it).
class OpTimer {
public:
    explicit OpTimer(OpKind kind);
    ~OpTimer();
    OpTimer(const OpTimer&) = delete;
    OpTimer& operator=(const OpTimer&) = delete;

private:
    OpKind m_kind;
    bool m_on;
    std::chrono::steady_clock::time_point m_start;
};

}  // namespace inpaint::models::nn
