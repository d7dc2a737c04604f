// Per-op-kind time counters (see op_profile.h).
#include "models/nn/op_profile.h"

#include <atomic>

namespace inpaint::models::nn {

namespace {

std::atomic<bool> g_on{false};
std::array<std::atomic<int64_t>, size_t(OpKind::Count)> g_ns{};
thread_local int t_depth = 0;  // an op inside another timed op (attention's own projections) counts once

}  // namespace

const char* opKindName(OpKind k)
{
    switch (k) {
    case OpKind::Conv: return "conv";
    case OpKind::Attention: return "attention";
    case OpKind::Norm: return "norm";
    case OpKind::Linear: return "linear";
    case OpKind::Count: break;
    }
    return "?";
}

void setOpProfiling(bool on) { g_on.store(on); }
bool opProfiling() { return g_on.load(std::memory_order_relaxed); }

void resetOpProfile()
{
    for (auto& n : g_ns) n.store(0);
}

std::array<double, size_t(OpKind::Count)> opProfileSeconds()
{
    std::array<double, size_t(OpKind::Count)> out{};
    for (size_t i = 0; i < out.size(); ++i) out[i] = double(g_ns[i].load()) * 1e-9;
    return out;
}

void addOpTime(OpKind k, int64_t nanoseconds) { g_ns[size_t(k)].fetch_add(nanoseconds); }

OpTimer::OpTimer(OpKind kind) : m_kind(kind), m_on(opProfiling() && t_depth == 0)
{
    if (!m_on) return;
    ++t_depth;
    m_start = std::chrono::steady_clock::now();
}

OpTimer::~OpTimer()
{
    if (!m_on) return;
    --t_depth;
    addOpTime(m_kind,
              std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - m_start).count());
}

}  // namespace inpaint::models::nn
