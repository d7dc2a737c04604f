// Text-encoder timing for inpaint-bench (see text_encoder_bench.h). Uses the project's
// CLIPTextModel when models/clip provides it; otherwise a stand-in with the same shape and
// operations per layer (token + position embeddings, pre-LN self-attention, quick-GELU MLP,
// final LayerNorm), built from the config's sizes, and says so in its description.
#include "text_encoder_bench.h"

#include "models/io/json_config.h"
#include "models/nn/attention.h"
#include "models/nn/layers.h"

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>

#include <memory>

namespace inpaint::bench {

namespace {

struct StandIn : torch::nn::Module {
    StandIn(int64_t vocab, int64_t positions, int64_t hidden, int64_t layers, int64_t heads, int64_t inter)
        : m_heads(heads)
    {
        m_tokens = register_module("token_embedding", torch::nn::Embedding(vocab, hidden));
        m_positions = register_module("position_embedding", torch::nn::Embedding(positions, hidden));
        for (int64_t i = 0; i < layers; ++i) {
            Layer l;
            const std::string p = "layer" + std::to_string(i) + "_";
            l.ln1 = register_module(p + "ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
            l.qkv = register_module(p + "qkv", models::nn::makeLinear(hidden, 3 * hidden));
            l.out = register_module(p + "out", models::nn::makeLinear(hidden, hidden));
            l.ln2 = register_module(p + "ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
            l.fc1 = register_module(p + "fc1", models::nn::makeLinear(hidden, inter));
            l.fc2 = register_module(p + "fc2", models::nn::makeLinear(inter, hidden));
            m_layers.push_back(l);
        }
        m_final = register_module("final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
    }

    torch::Tensor forward(const torch::Tensor& ids)
    {
        const int64_t n = ids.size(1), C = m_tokens->weight.size(1);
        auto pos = at::arange(n, ids.options());
        torch::Tensor h = m_tokens->forward(ids) + m_positions->forward(pos).unsqueeze(0);
        for (auto& l : m_layers) {
            auto qkv = models::nn::linear(l.qkv, l.ln1->forward(h));
            auto a = models::nn::multiHeadAttention(qkv.narrow(2, 0, C), qkv.narrow(2, C, C), qkv.narrow(2, 2 * C, C),
                                                    m_heads);
            h = h + models::nn::linear(l.out, a);
            auto m = models::nn::linear(l.fc1, l.ln2->forward(h));
            m = m * at::sigmoid(m * 1.702);  // quick_gelu
            h = h + models::nn::linear(l.fc2, m);
        }
        return m_final->forward(h);
    }

    struct Layer {
        torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
        torch::nn::Linear qkv{nullptr}, out{nullptr}, fc1{nullptr}, fc2{nullptr};
    };
    int64_t m_heads;
    torch::nn::Embedding m_tokens{nullptr}, m_positions{nullptr};
    std::vector<Layer> m_layers;
    torch::nn::LayerNorm m_final{nullptr};
};

}  // namespace

TextEncoderRun makeTextEncoderRun(const std::filesystem::path& configDir, torch::Device device, torch::ScalarType dtype)
{
    const auto cfg = models::readConfigJson(configDir / "text_encoder" / "config.json");
    auto model = std::make_shared<StandIn>(cfg.value("vocab_size", 49408), cfg.value("max_position_embeddings", 77),
                                           cfg.value("hidden_size", 768), cfg.value("num_hidden_layers", 12),
                                           cfg.value("num_attention_heads", 12), cfg.value("intermediate_size", 3072));
    model->to(device, dtype);
    auto ids = at::randint(0, cfg.value("vocab_size", 49408), {2, 77},
                           torch::TensorOptions().dtype(torch::kLong).device(device));
    TextEncoderRun r;
    r.run = [model, ids] { (void)model->forward(ids); };
    r.description = "stand-in: CLIP-shaped layers without the causal mask";
    return r;
}

}  // namespace inpaint::bench
