// Cancelling inside a network call. A UNet evaluation at 512² takes seconds to tens of seconds on
// a CPU; checking only between steps would make Cancel wait that long. A CancelScope publishes
// the job's flag to the calling thread, and every ResNet block and attention layer (shared by the
// UNet and the VAE) calls throwIfCancelled() before it runs, so a cancel lands within one block.
// The exception (models::Cancelled) unwinds through the modules; tensors are RAII-owned, so
// nothing leaks and the modules' weights are untouched.
#pragma once

#include <atomic>

namespace inpaint::models {

class CancelScope {
public:
    explicit CancelScope(const std::atomic<bool>* flag);  // nullptr: nothing to watch
    ~CancelScope();                                       // restores the enclosing scope's flag
    CancelScope(const CancelScope&) = delete;
    CancelScope& operator=(const CancelScope&) = delete;

private:
    const std::atomic<bool>* m_previous;
};

bool cancelRequested();  // this thread's innermost scope's flag is set
void throwIfCancelled();  // throws models::Cancelled when cancelRequested()

}  // namespace inpaint::models
