// The scheduler interface shared by DDIM, PNDM, Euler, Euler a, DPM-Solver++ and LMS. Mirrors the
// SchedulerMixin surface of diffusers 0.25.1 (set_timesteps / scale_model_input / step / add_noise /
// init_noise_sigma / order) plus the img2img timestep slicing the SD pipelines do in get_timesteps.
//
// Conventions:
// - Schedule tensors (timesteps, sigmas, alphas_cumprod) live on the CPU. Samples may live on any
//   device: per-step coefficients are 0-d CPU tensors, which torch combines with tensors anywhere.
// - A scheduler is stateful (step index, multistep history, PLMS counter) exactly as in diffusers;
//   setTimesteps() resets that state, so call it before every run.
// - Timesteps are passed as doubles holding the value of an entry of timesteps() (int64 or float32
//   there, like diffusers). Euler/LMS/DPM find their step index by looking the first value up in
//   timesteps(), which is how img2img's sliced schedules work (0.25.1 had no set_begin_index).
//
// Typical loop (diffusers' SD pipelines):
//   auto s = createScheduler("euler", modelDir / "scheduler/scheduler_config.json");
//   s->setTimesteps(steps);
//   auto plan = s->getImg2ImgTimesteps(steps, strength);   // strength 1: the whole schedule
//   latents = strength == 1 ? noise * s->initNoiseSigma()
//                           : s->addNoise(imageLatents, noise, plan.timesteps.slice(0, 0, 1));
//   for each t in plan.timesteps (as double):
//       auto in = s->scaleModelInput(latents, t);            // (CFG: duplicate `in` for the UNet)
//       auto r = s->step(unet(in, t), t, latents, {.random = &rng});
//       latents = r.prevSample;                               // r.predOriginalSample for previews
#pragma once

#include "core/diffusion/schedulers/scheduler_config.h"
#include "models/errors.h"

#include <torch/types.h>

#include <limits>
#include <string>

namespace inpaint::diffusion {

class RandomSource;

// Misuse at run time: bad step count or strength, a timestep not in the schedule, step() before
// setTimesteps(), missing randomness, a recorded draw that does not fit.
class SchedulerError : public models::ModelError {
public:
    using models::ModelError::ModelError;
};

struct StepOptions {
    // DDIM: weight of the added noise (0 = deterministic DDIM, 1 = DDPM-like). eta > 0 draws noise.
    double eta = 0.0;
    bool useClippedModelOutput = false;  // DDIM
    // Euler: stochastic churn (diffusers defaults; s_churn 0 = plain Euler, which still draws).
    double sChurn = 0.0;
    double sTmin = 0.0;
    double sTmax = std::numeric_limits<double>::infinity();
    double sNoise = 1.0;
    // Draws inside step() (Euler, Euler a, DDIM with eta > 0, SDE DPM-Solver). Null: torch's
    // global generator on the sample's device, as diffusers does with generator=None.
    RandomSource* random = nullptr;
};

struct StepResult {
    torch::Tensor prevSample;          // x_{t-1}
    torch::Tensor predOriginalSample;  // x0 estimate (diffusers' pred_original_sample; for PNDM and
                                       // DPM-Solver, which do not return one, derived from the model
                                       // output at this step for previews)
};

struct Img2ImgTimesteps {
    torch::Tensor timesteps;  // timesteps()[tStart * order():] (CPU, schedule dtype)
    int64_t tStart = 0;
    int64_t initTimestep = 0;  // min(int(N * strength), N)
    int64_t numSteps = 0;      // N - tStart, what diffusers reports as the step count
};

class Scheduler {
public:
    explicit Scheduler(SchedulerConfig config);
    virtual ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    SchedulerKind kind() const { return m_config.kind; }
    std::string className() const { return schedulerClassName(m_config.kind); }
    const SchedulerConfig& config() const { return m_config; }

    // Builds the inference schedule for `numInferenceSteps` (1 ... num_train_timesteps, else
    // SchedulerError) and resets the stepping state. `device` is accepted for parity with diffusers;
    // the schedule stays on the CPU.
    void setTimesteps(int64_t numInferenceSteps, torch::Device device = torch::kCPU);
    bool hasTimesteps() const { return m_numInferenceSteps > 0; }
    int64_t numInferenceSteps() const { return m_numInferenceSteps; }  // as requested (N)
    const torch::Tensor& timesteps() const { return m_timesteps; }      // int64 or float32, CPU
    const torch::Tensor& sigmas() const { return m_sigmas; }            // float32 CPU; undefined for DDIM/PNDM
    const torch::Tensor& alphasCumprod() const { return m_alphasCumprod; }  // float32 [num_train_timesteps]
    virtual double initNoiseSigma() const { return 1.0; }
    virtual int64_t order() const { return 1; }
    // True when step() draws a random tensor with these options (the pipeline's draw bookkeeping).
    virtual bool stepDrawsNoise(const StepOptions& options) const;

    // diffusers' pipeline get_timesteps(): init_timestep = min(int(N * strength), N),
    // t_start = max(N - init_timestep, 0), timesteps()[t_start * order():]. setTimesteps(N) must
    // have been called with the same N. Strength outside (0, 1] or a strength that leaves no step
    // is a SchedulerError.
    Img2ImgTimesteps getImg2ImgTimesteps(int64_t numInferenceSteps, double strength) const;

    virtual torch::Tensor scaleModelInput(const torch::Tensor& sample, double timestep);
    virtual StepResult step(const torch::Tensor& modelOutput, double timestep, const torch::Tensor& sample,
                            const StepOptions& options = {}) = 0;
    // Forward-diffuses `original` to `timesteps` (one value, or one per batch entry).
    virtual torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise,
                                   const torch::Tensor& timesteps) const = 0;
    torch::Tensor addNoise(const torch::Tensor& original, const torch::Tensor& noise, double timestep) const;

protected:
    virtual void doSetTimesteps(int64_t numInferenceSteps) = 0;
    void requireTimesteps(const char* what) const;
    // The timestep as a training-schedule index (DDIM/PNDM); SchedulerError if not integral/in range.
    int64_t timestepIndex(double timestep) const;
    // randn_tensor(shape of `like`, dtype of `like`, device of `like`) from options.random.
    static torch::Tensor drawNoise(const torch::Tensor& like, const StepOptions& options);

    SchedulerConfig m_config;
    torch::Tensor m_betas;
    torch::Tensor m_alphasCumprod;
    torch::Tensor m_timesteps;
    torch::Tensor m_sigmas;
    int64_t m_numInferenceSteps = 0;
};

}  // namespace inpaint::diffusion
