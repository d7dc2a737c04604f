// Where the engine's random draws come from. Mirrors diffusers' utils/torch_utils.py randn_tensor:
// with a CPU generator the draw is made on the CPU in the requested dtype and then moved to the
// target device, so the same seed gives the same numbers on CPU and CUDA (and, with LibTorch's CPU
// kernels being PyTorch's, the same numbers as diffusers). The pipeline owns one source and passes
// it to every draw in diffusers' order; tests can replay recorded draws instead.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <deque>
#include <optional>

namespace inpaint::diffusion {

class RandomSource {
public:
    virtual ~RandomSource() = default;
    // A standard-normal tensor of `shape` with `options`' dtype and device.
    virtual torch::Tensor randn(torch::IntArrayRef shape, const torch::TensorOptions& options) = 0;
    // How many tensors were drawn so far (for tests and logs).
    int64_t drawCount() const { return m_draws; }

protected:
    int64_t m_draws = 0;
};

// torch.Generator(device).manual_seed(seed) + randn_tensor(shape, generator, device, dtype).
class GeneratorRandomSource final : public RandomSource {
public:
    // `generatorDevice` is where the generator lives (CPU unless you want CUDA-generator numbers).
    explicit GeneratorRandomSource(uint64_t seed, torch::Device generatorDevice = torch::kCPU);
    torch::Tensor randn(torch::IntArrayRef shape, const torch::TensorOptions& options) override;
    at::Generator& generator() { return m_generator; }

private:
    at::Generator m_generator;
    torch::Device m_device;
};

// Hands out pre-recorded tensors in order (diffusers' stored draws). Throws SchedulerError when it
// runs dry or a recorded tensor's shape differs from the requested one.
class RecordedRandomSource final : public RandomSource {
public:
    RecordedRandomSource() = default;
    explicit RecordedRandomSource(std::deque<torch::Tensor> draws) : m_queue(std::move(draws)) {}
    void push(torch::Tensor t) { m_queue.push_back(std::move(t)); }
    size_t remaining() const { return m_queue.size(); }
    torch::Tensor randn(torch::IntArrayRef shape, const torch::TensorOptions& options) override;

private:
    std::deque<torch::Tensor> m_queue;
};

}  // namespace inpaint::diffusion
