// Tests of models/io/state_dict: exact load with dtype conversion, and the errors for missing,
// unexpected and mis-shaped keys (each names the keys; a failed load changes nothing).
#include "models/errors.h"
#include "models/io/state_dict.h"
#include "tests/models/check.h"

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

int main()
{
    try {
        Outer m;
        loadStateDictStrict(*m, goodWeights(), "test model");
        VERIFY(torch::equal(m->inner->lin->weight, torch::arange(6, torch::kFloat32).reshape({2, 3})));
        VERIFY_EQ(m->inner->lin->weight.scalar_type(), torch::kFloat32);
        VERIFY_EQ(m->inner->lin->bias[1].item<float>(), -0.5f);
        VERIFY_EQ(m->scale.item<float>(), 3.0f);
        VERIFY(m->scale.requires_grad());  // still a parameter, not replaced

        auto w = goodWeights();
        w.erase("inner.running");
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "unet (x.safetensors)"), "missing: inner.running");

        w = goodWeights();
        w["inner.extra"] = torch::zeros({1});
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "unet (x.safetensors)"), "unexpected: inner.extra");

        w = goodWeights();
        w["inner.lin.weight"] = torch::zeros({3, 2});
        Outer fresh;
        const auto before = fresh->inner->lin->weight.clone();
        fresh->scale.data().fill_(7.0f);
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*fresh, w, "unet (x.safetensors)"),
                     "inner.lin.weight (checkpoint [3, 2], model [2, 3])");
        VERIFY(torch::equal(fresh->inner->lin->weight, before));  // untouched
        VERIFY_EQ(fresh->scale.item<float>(), 7.0f);

        // All three at once: the message says which and starts with `what`.
        w = goodWeights();
        w.erase("scale");
        w["bogus"] = torch::zeros({1});
        w["inner.lin.bias"] = torch::zeros({5});
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "the text encoder"),
                     "The weights of the text encoder do not match");
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "x"), "1 missing: scale.");
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "x"), "1 unexpected: bogus.");
        VERIFY_THROWS(WeightsError, loadStateDictStrict(*m, w, "x"), "inner.lin.bias (checkpoint [5], model [2])");
    } catch (const std::exception& e) {
        inpaint::test::fail(__FILE__, __LINE__, std::string("threw: ") + e.what());
    }
    return inpaint::test::checkReport("test_state_dict");
}
