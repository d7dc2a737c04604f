// The calling thread's cancel flag (see cancel.h).
#include "models/nn/cancel.h"

#include "models/errors.h"

namespace inpaint::models {

namespace {
thread_local const std::atomic<bool>* t_flag = nullptr;
}

CancelScope::CancelScope(const std::atomic<bool>* flag) : m_previous(t_flag) { t_flag = flag; }
CancelScope::~CancelScope() { t_flag = m_previous; }

bool cancelRequested() { return t_flag && t_flag->load(std::memory_order_relaxed); }

void throwIfCancelled()
{
    if (cancelRequested()) throw Cancelled();
}

}  // namespace inpaint::models
