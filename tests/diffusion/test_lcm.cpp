// LCMScheduler against golden/lcm.* (diffusers 0.25.1, INDEX-lcm.md): for the three sources
// (from the tiny checkpoints' configs, the class defaults) and every rollout (N = 1, 4, 8,
// original_inference_steps 20, set_timesteps strength, pipeline slicing, custom timesteps with and
// without strength): the config, alphas_cumprod, timesteps, start, c_skip / c_out, every prev_sample
// and denoised, which steps draw noise and the draws themselves (torch.Generator seed 4242).
//
// Tolerance: the same LibTorch kernels in the same op order as scheduling_lcm.py; the reference is
// bit-identical run to run, so we expect 0 and allow float32 re-association: 1e-5 + 1e-5 |ref|.
#include "core/diffusion/schedulers/lcm_scheduler.h"
#include "core/diffusion/schedulers/random_source.h"
#include "core/diffusion/schedulers/scheduler_factory.h"
#include "models/io/safetensors.h"
#include "tests/common/reference.h"

#include <torch/types.h>

#include <map>
#include <memory>

using namespace inpaint::diffusion;
using nlohmann::json;

namespace {

const auto kRef = inpaint::test::referenceDir();

struct Tap final : RandomSource {
    explicit Tap(uint64_t seed) : inner(seed) {}
    torch::Tensor randn(torch::IntArrayRef shape, const torch::TensorOptions& options) override
    {
        drawn.push_back(inner.randn(shape, options));
        return drawn.back();
    }
    GeneratorRandomSource inner;
    std::vector<torch::Tensor> drawn;
};

std::unique_ptr<Scheduler> build(const std::string& source)
{
    if (source == "class_default") return createScheduler(SchedulerConfig::defaults(SchedulerKind::Lcm));
    const std::string model = source.substr(5);  // "from_tiny-sd" -> "tiny-sd"
    return createScheduler("lcm", SchedulerConfigSource::fromFile(kRef / "models" / model / "scheduler/scheduler_config.json"));
}

bool close(const torch::Tensor& a, const torch::Tensor& b, double* worst)
{
    if (a.sizes() != b.sizes()) return false;
    const double d = (a - b).abs().max().item<double>();
    *worst = std::max(*worst, d);
    return torch::allclose(a, b, 1e-5, 1e-5);
}

}  // namespace

TEST_CASE(lcmRollouts)
{
    const auto golden = inpaint::test::openGolden("lcm");
    const json side = inpaint::test::loadGoldenJson("lcm");
    auto t = [&](const std::string& n) { return golden->tensor(n).clone(); };
    std::map<std::string, json> cases;
    for (const auto& c : side.at("cases")) cases[c.at("name").get<std::string>()] = c;
    double worst = 0.0;
    int rollouts = 0;
    for (const std::string source : {"from_tiny-sd-inpaint", "from_tiny-sd", "class_default"}) {
        const json& sc = cases.at(source);
        auto base = build(source);
        // The effective constructor arguments, key by key.
        const json ours = base->config().toJson();
        for (const auto& [key, value] : sc.at("params").at("scheduler_config").items())
            EXPECT_MSG(ours.contains(key) && ours.at(key) == value,
                       source << " config key " << key << ": " << (ours.contains(key) ? ours.at(key).dump() : "missing")
                              << " vs " << value.dump());
        EXPECT(torch::equal(base->alphasCumprod(), t(source + "/alphas_cumprod")));

        for (const auto& c : inpaint::test::goldenCases(side, source + "/", 8)) {
            const std::string name = c.at("name");
            const json& p = c.at("params");
            auto owned = build(source);
            auto* s = dynamic_cast<LcmScheduler*>(owned.get());
            REQUIRE(s != nullptr);
            const json& kw = p.at("set_timesteps_kwargs");
            const double strength = kw.value("strength", 1.0);
            if (kw.contains("timesteps")) {
                s->setCustomTimesteps(kw.at("timesteps").get<std::vector<int64_t>>(), strength);
            } else {
                std::optional<int64_t> original;
                if (kw.contains("original_inference_steps")) original = kw.at("original_inference_steps").get<int64_t>();
                s->setLcmTimesteps(kw.at("num_inference_steps").get<int64_t>(), original, strength);
            }
            EXPECT_EQ(s->numInferenceSteps(), p.at("num_inference_steps_attr").get<int64_t>());
            EXPECT_MSG(torch::equal(s->timesteps(), t(name + "/timesteps")), name << " timesteps " << s->timesteps());

            // Pipeline slicing (get_timesteps) for the *_slice* rollouts.
            torch::Tensor used = s->timesteps();
            const auto pos = name.find("_slice");
            if (pos != std::string::npos) {
                const double sliceStrength = std::stod(name.substr(pos + 6));
                used = s->getImg2ImgTimesteps(s->numInferenceSteps(), sliceStrength).timesteps;
            }
            const auto usedRef = p.at("timesteps_used").get<std::vector<int64_t>>();
            EXPECT_MSG(torch::equal(used, torch::tensor(usedRef, torch::kInt64)), name << " timesteps used " << used);

            const std::string startDesc = c.at("tensors").at(name + "/start").at("desc");
            torch::Tensor x = startDesc.find("add_noise") != std::string::npos
                                  ? s->addNoise(t("rollout_common/init_latents"), t("rollout_common/noise"), used.slice(0, 0, 1))
                                  : t("rollout_common/x0") * s->initNoiseSigma();
            EXPECT_MSG(close(x, t(name + "/start"), &worst), name << " start");

            Tap tap(p.at("generator_seed_passed_to_step").get<uint64_t>());
            StepOptions opts;
            opts.random = &tap;
            const auto E = t("rollout_common/E");
            const auto samples = t(name + "/samples"), denoised = t(name + "/denoised");
            const auto stepIndex = p.at("step_index_per_step").get<std::vector<int64_t>>();
            const auto noiseAdded = p.at("noise_added_per_step").get<std::vector<bool>>();
            const auto cSkip = p.at("c_skip_per_step").get<std::vector<double>>();
            const auto cOut = p.at("c_out_per_step").get<std::vector<double>>();
            REQUIRE(samples.size(0) == used.size(0));
            for (int64_t i = 0; i < used.size(0); ++i) {
                const int64_t ts = used[i].item<int64_t>();
                const auto [skip, out] = s->boundaryScalings(ts);
                EXPECT_MSG(skip == static_cast<float>(cSkip[size_t(i)]) && out == static_cast<float>(cOut[size_t(i)]),
                           name << " step " << i << " c_skip " << skip << " c_out " << out);
                const size_t drawsBefore = tap.drawn.size();
                const auto r = s->step(s->scaleModelInput(x, double(ts)) * 0.1 + E, double(ts), x, opts);
                EXPECT_EQ(s->stepIndex() - 1, stepIndex[size_t(i)]);
                EXPECT_EQ(tap.drawn.size() > drawsBefore, bool(noiseAdded[size_t(i)]));
                EXPECT_MSG(close(r.predOriginalSample, denoised[i], &worst), name << " denoised[" << i << "]");
                EXPECT_MSG(close(r.prevSample, samples[i], &worst), name << " sample[" << i << "]");
                x = r.prevSample;
            }
            EXPECT_EQ(static_cast<int64_t>(tap.drawn.size()), p.at("n_randn_draws_in_step").get<int64_t>());
            if (!tap.drawn.empty()) {
                const auto ref = t(name + "/step_noise");
                for (size_t i = 0; i < tap.drawn.size(); ++i)
                    EXPECT_MSG(torch::equal(tap.drawn[i], ref[int64_t(i)]), name << " step noise " << i);
            }
            ++rollouts;
        }
    }
    EXPECT_EQ(rollouts, 24);
    std::printf("LCM rollouts: %d, max abs difference to diffusers %.3g\n", rollouts, worst);
}

TEST_CASE(lcmBadSchedules)
{
    auto s = std::make_unique<LcmScheduler>(SchedulerConfig::defaults(SchedulerKind::Lcm));
    EXPECT_THROWS(s->setLcmTimesteps(60, std::nullopt, 1.0), SchedulerError, "original_inference_steps");
    EXPECT_THROWS(s->setLcmTimesteps(30, std::nullopt, 0.5), SchedulerError, "strength");
    EXPECT_THROWS(s->setCustomTimesteps({500, 700}), SchedulerError, "descending");
    EXPECT_THROWS(s->setCustomTimesteps({1000, 500}), SchedulerError, "num_train_timesteps");
    EXPECT_THROWS(s->step(torch::zeros({1, 4, 2, 2}), 999, torch::zeros({1, 4, 2, 2})), SchedulerError, "setTimesteps");
    s->setTimesteps(4);
    EXPECT_THROWS(s->step(torch::zeros({1, 4, 2, 2}), 500, torch::zeros({1, 4, 2, 2})), SchedulerError, "not in the schedule");
    EXPECT_EQ(s->className(), std::string("LCMScheduler"));
}

TEST_MAIN()
