// UNet2DConditionModel vs diffusers 0.25.1 goldens (tests/data/reference/golden/unet.*): every
// case of both tiny models (4- and 9-channel), including the intermediate activations of
// tiny-sd-inpaint/t999, in fp32 with channels-last on and off and with both CPU attention paths.
//
// Tolerance: 1e-4 absolute on outputs whose magnitude is ~1.5-4.3. diffusers itself moves by up to
// 2.7e-6 between 1 and 2 threads (INDEX.md); a port with other kernel orderings (oneDNN vs
// OpenBLAS, channels-last, fused residual adds) lands within ~1e-5, so 1e-4 leaves margin while
// still catching any real error (a swapped weight or wrong head split moves outputs by >1e-2).
#include "models/nn/attention.h"
#include "tests/unet_vae/tiny_models.h"

using namespace inpaint;

namespace {

constexpr double kUnetTol = 1e-4;
test::WorstCase g_worst;  // largest output difference of any run

void runCases(const std::string& model, bool channelsLast, models::nn::AttentionBackend backend)
{
    auto golden = test::loadGolden("unet");
    auto meta = test::loadGoldenJson("unet");
    auto unet = test::loadTinyUnet(model);
    models::nn::setDefaultAttentionBackend(backend);
    unet->setChannelsLast(channelsLast);
    c10::InferenceMode guard;
    int activations = 0;
    for (const auto& c : test::goldenCases(meta, model + "/", 5)) {
        const std::string name = c.at("name").get<std::string>();
        const torch::Tensor sample = golden.at(name + "/sample");
        const torch::Tensor timestep = golden.at(name + "/timestep");
        const torch::Tensor ehs = golden.at(name + "/encoder_hidden_states");
        const torch::Tensor expected = golden.at(name + "/out");

        std::map<std::string, torch::Tensor> acts;
        models::ActivationSink sink = [&](const std::string& n, const torch::Tensor& t) { acts[n] = t.clone(); };
        torch::Tensor out = unet->forward(sample, timestep, ehs, &sink);
        double d = 0;
        EXPECT_MSG(test::tensorsClose(out, expected, kUnetTol, name + "/out", &d), name);
        g_worst.record(name + "/out", d);
        EXPECT(out.scalar_type() == torch::kFloat);
        EXPECT(out.is_contiguous());
        for (const auto& [key, info] : c.at("tensors").items()) {
            const std::string prefix = name + "/act/";
            if (key.rfind(prefix, 0) != 0)
                continue;
            const std::string act = key.substr(prefix.size());
            REQUIRE(acts.count(act));
            ++activations;
            EXPECT_MSG(test::tensorsClose(acts.at(act), golden.at(key), kUnetTol, key), key);
        }
    }
    EXPECT_EQ(activations, model == "tiny-sd-inpaint" ? 9 : 0);  // the golden's intermediates of t999
    models::nn::setDefaultAttentionBackend(models::nn::AttentionBackend::Auto);
}

}  // namespace

TEST_CASE(tiny_sd_channels_last)
{
    runCases("tiny-sd", true, models::nn::AttentionBackend::Auto);
}

TEST_CASE(tiny_sd_inpaint_channels_last)
{
    runCases("tiny-sd-inpaint", true, models::nn::AttentionBackend::Auto);
}

TEST_CASE(tiny_sd_nchw)
{
    runCases("tiny-sd", false, models::nn::AttentionBackend::Auto);
}

TEST_CASE(tiny_sd_inpaint_nchw)
{
    runCases("tiny-sd-inpaint", false, models::nn::AttentionBackend::Auto);
}

TEST_CASE(tiny_sd_inpaint_batched_attention)
{
    runCases("tiny-sd-inpaint", true, models::nn::AttentionBackend::Batched);
}

TEST_CASE(small_attention_chunks_give_same_result)
{
    // A tiny score budget forces the query-chunked path on every attention call.
    const int64_t saved = models::nn::attentionScoreBudget();
    models::nn::setAttentionScoreBudget(4096);
    runCases("tiny-sd-inpaint", true, models::nn::AttentionBackend::Auto);
    models::nn::setAttentionScoreBudget(saved);
}

TEST_CASE(timestep_forms_agree)
{
    // A 0-d tensor, a [1] tensor, a [B] tensor and a float tensor of the same value give the same output.
    auto golden = test::loadGolden("unet");
    auto unet = test::loadTinyUnet("tiny-sd");
    c10::InferenceMode guard;
    const torch::Tensor sample = golden.at("tiny-sd/cfg_batch2/sample");
    const torch::Tensor ehs = golden.at("tiny-sd/cfg_batch2/encoder_hidden_states");
    const torch::Tensor expected = golden.at("tiny-sd/cfg_batch2/out");
    EXPECT(test::tensorsClose(unet->forward(sample, torch::tensor({751}), ehs), expected, kUnetTol, "[1] int64"));
    EXPECT(test::tensorsClose(unet->forward(sample, torch::tensor({751, 751}), ehs), expected, kUnetTol, "[B] int64"));
    EXPECT(test::tensorsClose(unet->forward(sample, torch::tensor(751.0f), ehs), expected, kUnetTol, "0-d float"));
    // Batch elements are independent: element 1 alone equals element 1 of the batch.
    torch::Tensor one = unet->forward(sample.narrow(0, 1, 1), torch::tensor(751), ehs.narrow(0, 1, 1));
    EXPECT(test::tensorsClose(one, expected.narrow(0, 1, 1), kUnetTol, "batch element 1 alone"));
}

TEST_CASE(odd_latent_size_runs)
{
    // 9x13 latents are not a multiple of the UNet stride: the upsamplers must hit the skip sizes
    // (diffusers' forward_upsample_size). Checks shape and that it is finite.
    auto unet = test::loadTinyUnet("tiny-sd");
    c10::InferenceMode guard;
    torch::Tensor out = unet->forward(torch::randn({1, 4, 9, 13}), torch::tensor(500), torch::randn({1, 77, 16}));
    EXPECT(out.sizes() == torch::IntArrayRef({1, 4, 9, 13}));
    EXPECT(torch::isfinite(out).all().item<bool>());
}

TEST_CASE(bf16_is_close_to_fp32)
{
    // bf16 on CPU is an option, not a reference: it must run and stay near the fp32 result
    // (bf16 has an 8-bit mantissa, so ~1e-2 relative is expected after a dozen layers).
    auto golden = test::loadGolden("unet");
    auto unet = test::loadTinyUnet("tiny-sd-inpaint");
    unet->to(torch::kBFloat16);
    c10::InferenceMode guard;
    torch::Tensor out = unet->forward(golden.at("tiny-sd-inpaint/t500/sample"), golden.at("tiny-sd-inpaint/t500/timestep"),
                                      golden.at("tiny-sd-inpaint/t500/encoder_hidden_states"));
    EXPECT(out.scalar_type() == torch::kFloat);  // returned in the input's dtype
    const torch::Tensor expected = golden.at("tiny-sd-inpaint/t500/out");
    const double scale = expected.abs().max().item<double>();
    EXPECT(test::tensorsClose(out, expected, 0.1 * scale, "bf16 vs fp32 golden"));
    const double rel = test::relativeL2(out, expected);
    std::printf("  bf16 relative L2 error %.3e\n", rel);
    EXPECT(rel < 0.05);
}

TEST_CASE(report_worst)
{
    std::printf("  worst UNet output diff over all runs: %.3e (%s)\n", g_worst.value(), g_worst.label().c_str());
    EXPECT(g_worst.count() > 0);
    EXPECT(g_worst.value() <= kUnetTol);
}

TEST_MAIN()
