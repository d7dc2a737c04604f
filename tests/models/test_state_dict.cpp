// Tests of models/io/state_dict: exact load with dtype conversion, and the errors for missing,
// unexpected and mis-shaped keys (each names the keys; a failed load changes nothing).
#include "models/errors.h"
#include "models/io/state_dict.h"
#include "tests/common/numeric_check.h"

#include <torch/torch.h>

using namespace inpaint::models;

namespace {

struct InnerImpl : torch::nn::Module {
    InnerImpl()
    {
        lin = register_module("lin", torch::nn::Linear(3, 2));
        register_buffer("running", torch::zeros({2}));
    }
    torch::nn::Linear lin{nullptr};
};
TORCH_MODULE(Inner);

struct OuterImpl : torch::nn::Module {
    OuterImpl()
    {
        inner = register_module("inner", Inner());
        scale = register_parameter("scale", torch::ones({1}));
    }
    Inner inner{nullptr};
    torch::Tensor scale;
};
TORCH_MODULE(Outer);

std::map<std::string, torch::Tensor> goodWeights()
{
    return {
        {"inner.lin.weight", torch::arange(6, torch::kFloat64).reshape({2, 3})},  // F64 -> converted
        {"inner.lin.bias", torch::tensor({0.5f, -0.5f}).to(torch::kFloat16)},
        {"inner.running", torch::tensor({1.0f, 2.0f})},
        {"scale", torch::tensor({3.0f})},
    };
}

}  // namespace

TEST_CASE(strictLoad)
{
    Outer m;
    loadStateDictStrict(*m, goodWeights(), "test model");
    EXPECT(torch::equal(m->inner->lin->weight, torch::arange(6, torch::kFloat32).reshape({2, 3})));
    EXPECT_EQ(m->inner->lin->weight.scalar_type(), torch::kFloat32);
    EXPECT_EQ(m->inner->lin->bias[1].item<float>(), -0.5f);
    EXPECT_EQ(m->scale.item<float>(), 3.0f);
    EXPECT(m->scale.requires_grad());  // still a parameter, not replaced

    auto w = goodWeights();
    w.erase("inner.running");
    EXPECT_THROWS(loadStateDictStrict(*m, w, "unet (x.safetensors)"), WeightsError, "missing: inner.running");

    w = goodWeights();
    w["inner.extra"] = torch::zeros({1});
    EXPECT_THROWS(loadStateDictStrict(*m, w, "unet (x.safetensors)"), WeightsError, "unexpected: inner.extra");

    w = goodWeights();
    w["inner.lin.weight"] = torch::zeros({3, 2});
    Outer fresh;
    const auto before = fresh->inner->lin->weight.clone();
    fresh->scale.data().fill_(7.0f);
    EXPECT_THROWS(loadStateDictStrict(*fresh, w, "unet (x.safetensors)"), WeightsError,
                 "inner.lin.weight (checkpoint [3, 2], model [2, 3])");
    EXPECT(torch::equal(fresh->inner->lin->weight, before));  // untouched
    EXPECT_EQ(fresh->scale.item<float>(), 7.0f);

    // All three at once: the message says which and starts with `what`.
    w = goodWeights();
    w.erase("scale");
    w["bogus"] = torch::zeros({1});
    w["inner.lin.bias"] = torch::zeros({5});
    EXPECT_THROWS(loadStateDictStrict(*m, w, "the text encoder"), WeightsError,
                 "The weights of the text encoder do not match");
    EXPECT_THROWS(loadStateDictStrict(*m, w, "x"), WeightsError, "1 missing: scale.");
    EXPECT_THROWS(loadStateDictStrict(*m, w, "x"), WeightsError, "1 unexpected: bogus.");
    EXPECT_THROWS(loadStateDictStrict(*m, w, "x"), WeightsError, "inner.lin.bias (checkpoint [5], model [2])");
}

TEST_MAIN()
