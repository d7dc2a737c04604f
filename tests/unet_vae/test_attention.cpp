// The shared attention kernel: every backend and chunk size equals a plain per-head reference
// softmax(scale * q k^T) v (computed in double), for self- and cross-attention shapes, strided
// inputs, and reduced precision with upcasting.
#include "models/nn/attention.h"
#include "tests/common/numeric_check.h"

using namespace inpaint;
using models::nn::AttentionBackend;
using models::nn::AttentionOptions;

namespace {

torch::Tensor reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int64_t heads,
                        double scale)
{
    const int64_t B = q.size(0), N = q.size(1), C = q.size(2), M = k.size(1), D = C / heads;
    auto split = [&](const torch::Tensor& t, int64_t n) {
        return t.to(torch::kDouble).reshape({B, n, heads, D}).permute({0, 2, 1, 3});
    };
    auto s = torch::matmul(split(q, N), split(k, M).transpose(-1, -2)) * scale;
    auto o = torch::matmul(torch::softmax(s, -1), split(v, M));
    return o.permute({0, 2, 1, 3}).reshape({B, N, C});
}

struct Shape {
    int64_t B, N, M, heads, D;
};

}  // namespace

TEST_CASE(backends_match_reference)
{
    torch::manual_seed(3);
    c10::InferenceMode guard;
    const int64_t saved = models::nn::attentionScoreBudget();
    for (Shape s : {Shape{1, 64, 64, 8, 4}, Shape{2, 100, 77, 5, 8}, Shape{2, 37, 37, 1, 16}, Shape{1, 256, 7, 2, 3}}) {
        auto q = torch::randn({s.B, s.N, s.heads * s.D});
        auto k = torch::randn({s.B, s.M, s.heads * s.D});
        auto v = torch::randn({s.B, s.M, s.heads * s.D});
        const double scale = 1.0 / std::sqrt(static_cast<double>(s.D));
        auto ref = reference(q, k, v, s.heads, scale);
        for (int64_t budget : {int64_t{1} << 30, int64_t{4096}, int64_t{1}}) {
            models::nn::setAttentionScoreBudget(budget);
            for (auto backend : {AttentionBackend::Auto, AttentionBackend::Blocked, AttentionBackend::Batched,
                                 AttentionBackend::Sdpa}) {
                AttentionOptions o;
                o.backend = backend;
                auto out = models::nn::multiHeadAttention(q, k, v, s.heads, o);
                EXPECT(out.is_contiguous());
                EXPECT_MSG(test::tensorsClose(out, ref, 2e-6, "attention"),
                          "B" << s.B << " N" << s.N << " M" << s.M << " heads " << s.heads << " budget " << budget
                              << " backend " << static_cast<int>(backend));
            }
        }
    }
    models::nn::setAttentionScoreBudget(saved);
}

TEST_CASE(strided_views_and_custom_scale)
{
    // q, k, v as column slices of one fused projection (row stride 3*C), as a fused QKV would give.
    torch::manual_seed(5);
    c10::InferenceMode guard;
    const int64_t heads = 4, D = 8, C = heads * D;
    auto qkv = torch::randn({2, 50, 3 * C});
    auto q = qkv.narrow(2, 0, C), k = qkv.narrow(2, C, C), v = qkv.narrow(2, 2 * C, C);
    AttentionOptions o;
    o.scale = 0.37;
    for (auto backend : {AttentionBackend::Blocked, AttentionBackend::Batched}) {
        o.backend = backend;
        EXPECT(test::tensorsClose(models::nn::multiHeadAttention(q, k, v, heads, o), reference(q, k, v, heads, 0.37), 2e-6,
                                 "strided q/k/v"));
    }
    // A non-unit last stride is accepted too (made contiguous internally).
    auto qt = q.transpose(1, 2).contiguous().transpose(1, 2);
    o.backend = AttentionBackend::Blocked;
    EXPECT(test::tensorsClose(models::nn::multiHeadAttention(qt, k, v, heads, o), reference(q, k, v, heads, 0.37), 2e-6,
                             "transposed q"));
}

TEST_CASE(reduced_precision_with_upcast)
{
    torch::manual_seed(9);
    c10::InferenceMode guard;
    const int64_t heads = 2, D = 16;
    auto q = torch::randn({1, 300, heads * D}) * 3, k = torch::randn({1, 300, heads * D}) * 3,
         v = torch::randn({1, 300, heads * D});
    // Reference from the bf16-rounded inputs: what is left is the kernel's own rounding.
    auto round = [](const torch::Tensor& t) { return t.to(torch::kBFloat16).to(torch::kFloat); };
    auto ref = reference(round(q), round(k), round(v), heads, 0.25);
    for (bool upcast : {false, true}) {
        AttentionOptions o;
        o.upcast = upcast;
        o.backend = AttentionBackend::Blocked;
        auto out = models::nn::multiHeadAttention(q.to(torch::kBFloat16), k.to(torch::kBFloat16), v.to(torch::kBFloat16),
                                                  heads, o);
        EXPECT(out.scalar_type() == torch::kBFloat16);
        // Logits up to ~40 here: a bf16 softmax loses ~0.1 on such rows, the fp32 one (upcast) does not.
        EXPECT(test::tensorsClose(out, ref, upcast ? 0.03 : 0.15, upcast ? "bf16 upcast" : "bf16"));
    }
}

TEST_CASE(rejects_bad_shapes)
{
    c10::InferenceMode guard;
    auto q = torch::randn({1, 4, 6});
    bool threw = false;
    try {
        models::nn::multiHeadAttention(q, q, q, 4);  // 6 channels are not 4 heads
    } catch (const c10::Error&) {
        threw = true;
    }
    EXPECT(threw);
}

TEST_MAIN()
