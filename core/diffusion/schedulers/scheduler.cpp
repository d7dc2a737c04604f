// Scheduler base: training schedule, step-count checks, img2img slicing (see scheduler.h).
#include "core/diffusion/schedulers/scheduler.h"

#include "core/diffusion/schedulers/random_source.h"
#include "core/diffusion/schedulers/schedule_math.h"

#include <cmath>
#include <sstream>

namespace inpaint::diffusion {

Scheduler::Scheduler(SchedulerConfig config) : m_config(std::move(config))
{
    m_betas = detail::makeBetas(m_config);
    if (m_config.rescaleBetasZeroSnr) m_betas = detail::rescaleZeroTerminalSnr(m_betas);
    m_alphasCumprod = detail::alphasCumprodOf(m_betas);
}

Scheduler::~Scheduler() = default;

void Scheduler::setTimesteps(int64_t numInferenceSteps, torch::Device /*device*/)
{
    if (numInferenceSteps < 1 || numInferenceSteps > m_config.numTrainTimesteps) {
        throw SchedulerError("number of inference steps must be between 1 and " +
                             std::to_string(m_config.numTrainTimesteps) + " (num_train_timesteps of " +
                             className() + "), got " + std::to_string(numInferenceSteps));
    }
    m_numInferenceSteps = 0;
    doSetTimesteps(numInferenceSteps);
    m_numInferenceSteps = numInferenceSteps;
}

bool Scheduler::stepDrawsNoise(const StepOptions& /*options*/) const
{
    return false;
}

Img2ImgTimesteps Scheduler::getImg2ImgTimesteps(int64_t numInferenceSteps, double strength) const
{
    requireTimesteps("getImg2ImgTimesteps");
    if (!(strength > 0.0 && strength <= 1.0)) {
        std::ostringstream os;
        os << "strength must be in (0, 1], got " << strength;
        throw SchedulerError(os.str());
    }
    if (numInferenceSteps != m_numInferenceSteps)
        throw SchedulerError("getImg2ImgTimesteps(" + std::to_string(numInferenceSteps) +
                             ") called after setTimesteps(" + std::to_string(m_numInferenceSteps) + ")");
    const int64_t n = numInferenceSteps;
    Img2ImgTimesteps r;
    // Python: min(int(num_inference_steps * strength), num_inference_steps); int() truncates.
    r.initTimestep = std::min(static_cast<int64_t>(static_cast<double>(n) * strength), n);
    r.tStart = std::max<int64_t>(n - r.initTimestep, 0);
    r.numSteps = n - r.tStart;
    if (r.numSteps < 1) {
        std::ostringstream os;
        os << "strength " << strength << " with " << n << " steps leaves no denoising step (int(" << n << " * "
           << strength << ") = 0); raise the strength or the step count";
        throw SchedulerError(os.str());
    }
    const int64_t begin = r.tStart * order();
    r.timesteps = m_timesteps.slice(0, std::min<int64_t>(begin, m_timesteps.size(0)));
    if (r.timesteps.numel() == 0)
        throw SchedulerError("img2img slice of the schedule is empty (t_start " + std::to_string(r.tStart) + ")");
    return r;
}

torch::Tensor Scheduler::scaleModelInput(const torch::Tensor& sample, double /*timestep*/)
{
    return sample;
}

torch::Tensor Scheduler::addNoise(const torch::Tensor& original, const torch::Tensor& noise, double timestep) const
{
    auto t = torch::full({1}, timestep, torch::TensorOptions().dtype(m_timesteps.defined() ? m_timesteps.scalar_type()
                                                                                           : torch::kFloat64));
    return addNoise(original, noise, t);
}

void Scheduler::requireTimesteps(const char* what) const
{
    if (!hasTimesteps())
        throw SchedulerError(std::string(what) + ": setTimesteps() must be called first on " + className());
}

int64_t Scheduler::timestepIndex(double timestep) const
{
    if (!(timestep == std::floor(timestep)) || timestep < 0 ||
        timestep >= static_cast<double>(m_config.numTrainTimesteps)) {
        std::ostringstream os;
        os << className() << ": timestep " << timestep << " is not an integer in [0, "
           << m_config.numTrainTimesteps << ")";
        throw SchedulerError(os.str());
    }
    return static_cast<int64_t>(timestep);
}

torch::Tensor Scheduler::drawNoise(const torch::Tensor& like, const StepOptions& options)
{
    if (options.random) return options.random->randn(like.sizes(), like.options());
    return torch::randn(like.sizes(), like.options());  // generator=None: torch's global generator
}

}  // namespace inpaint::diffusion
