// Random draws in diffusers' randn_tensor manner (see random_source.h).
#include "core/diffusion/schedulers/random_source.h"

#include "core/diffusion/schedulers/scheduler.h"

#include <ATen/CPUGeneratorImpl.h>

#include <sstream>

namespace inpaint::diffusion {

namespace {

at::Generator makeGenerator(uint64_t seed, torch::Device device)
{
    if (device.is_cpu()) return at::make_generator<at::CPUGeneratorImpl>(seed);
    // A CUDA generator needs the CUDA build of LibTorch; clone the device's default one and seed it.
    auto gen = at::globalContext().defaultGenerator(device).clone();
    {
        std::lock_guard<std::mutex> lock(gen.mutex());
        gen.set_current_seed(seed);
    }
    return gen;
}

std::string shapeString(torch::IntArrayRef s)
{
    std::ostringstream os;
    os << s;
    return os.str();
}

}  // namespace

GeneratorRandomSource::GeneratorRandomSource(uint64_t seed, torch::Device generatorDevice)
    : m_generator(makeGenerator(seed, generatorDevice)), m_device(generatorDevice)
{
}

torch::Tensor GeneratorRandomSource::randn(torch::IntArrayRef shape, const torch::TensorOptions& options)
{
    // Drawn where the generator lives, in the target dtype, then moved (randn_tensor).
    auto drawOptions = options.device(m_device);
    torch::Tensor t = torch::randn(shape, m_generator, drawOptions);  // the kernel locks the generator
    ++m_draws;
    return t.to(options.device());
}

torch::Tensor RecordedRandomSource::randn(torch::IntArrayRef shape, const torch::TensorOptions& options)
{
    if (m_queue.empty())
        throw SchedulerError("recorded random draws exhausted: a draw of shape " + shapeString(shape) +
                             " was requested after " + std::to_string(m_draws) + " draws");
    torch::Tensor t = std::move(m_queue.front());
    m_queue.pop_front();
    if (t.sizes() != shape)
        throw SchedulerError("recorded random draw " + std::to_string(m_draws) + " has shape " +
                             shapeString(t.sizes()) + " but shape " + shapeString(shape) + " was requested");
    ++m_draws;
    return t.to(options.device(), options.dtype().toScalarType());
}

}  // namespace inpaint::diffusion
