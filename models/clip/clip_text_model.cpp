// CLIPTextModel, port of transformers 4.36 models/clip/modeling_clip.py (inference only: no
// dropout). Numerics follow the reference: q is scaled after its projection, the causal mask is
// additive with the dtype's lowest value, softmax in the activation dtype, pre-LN residual blocks.
#include "models/clip/clip_text_model.h"
#include "models/nn/layers.h"

#include "models/errors.h"
#include "models/io/diffusers_folder.h"
#include "models/io/state_dict.h"

#include <torch/torch.h>

#include <cmath>

namespace inpaint::models {

namespace {

int64_t positiveInt(const nlohmann::json& j, const char* key, int64_t def, const std::string& what)
{
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return def;
    if (!it->is_number_integer() || it->get<int64_t>() <= 0)
        throw ConfigError("In the " + what + ", '" + key + "' must be a positive integer.");
    return it->get<int64_t>();
}

}  // namespace

ClipTextConfig ClipTextConfig::fromJson(const nlohmann::json& json, const std::string& what)
{
    if (!json.is_object()) throw ConfigError("The " + what + " is not a JSON object.");
    const nlohmann::json* j = &json;
    // A full CLIPConfig (model_type "clip") nests the text tower's settings in text_config.
    if (const auto mt = json.find("model_type"); mt != json.end() && mt->is_string()) {
        const std::string modelType = mt->get<std::string>();
        if (modelType == "clip") {
            const auto tc = json.find("text_config");
            if (tc == json.end() || !tc->is_object())
                throw ConfigError("The " + what + " is a CLIPConfig without a 'text_config'.");
            j = &*tc;
        } else if (modelType != "clip_text_model") {
            throw ConfigError("The " + what + " has model_type '" + modelType +
                              "'; only CLIP text models (clip_text_model) are supported.");
        }
    }
    ClipTextConfig c;
    c.vocabSize = positiveInt(*j, "vocab_size", c.vocabSize, what);
    c.hiddenSize = positiveInt(*j, "hidden_size", c.hiddenSize, what);
    c.intermediateSize = positiveInt(*j, "intermediate_size", c.intermediateSize, what);
    c.numHiddenLayers = positiveInt(*j, "num_hidden_layers", c.numHiddenLayers, what);
    c.numAttentionHeads = positiveInt(*j, "num_attention_heads", c.numAttentionHeads, what);
    c.maxPositionEmbeddings = positiveInt(*j, "max_position_embeddings", c.maxPositionEmbeddings, what);
    if (const auto it = j->find("hidden_act"); it != j->end() && !it->is_null()) {
        if (!it->is_string()) throw ConfigError("In the " + what + ", 'hidden_act' must be a string.");
        c.hiddenAct = it->get<std::string>();
    }
    if (c.hiddenAct != "quick_gelu" && c.hiddenAct != "gelu")
        throw ConfigError("The " + what + " uses hidden_act '" + c.hiddenAct +
                          "', which is not supported (quick_gelu or gelu).");
    if (const auto it = j->find("layer_norm_eps"); it != j->end() && !it->is_null()) {
        if (!it->is_number() || !(it->get<double>() > 0))
            throw ConfigError("In the " + what + ", 'layer_norm_eps' must be a positive number.");
        c.layerNormEps = it->get<double>();
    }
    if (const auto it = j->find("eos_token_id"); it != j->end() && it->is_number_integer())
        c.eosTokenId = it->get<int64_t>();
    // `architectures` sits at the top level even for a nested CLIPConfig.
    for (const nlohmann::json* src : {&json, j}) {
        if (const auto it = src->find("architectures"); it != src->end() && it->is_array())
            for (const auto& a : *it)
                if (a.is_string() && a.get<std::string>() == "CLIPTextModelWithProjection") c.withProjection = true;
    }
    c.projectionDim = positiveInt(*j, "projection_dim", c.projectionDim, what);
    if (j != &json) c.projectionDim = positiveInt(json, "projection_dim", c.projectionDim, what);
    if (c.hiddenSize % c.numAttentionHeads != 0)
        throw ConfigError("In the " + what + ", hidden_size " + std::to_string(c.hiddenSize) +
                          " is not divisible by num_attention_heads " + std::to_string(c.numAttentionHeads) + ".");
    return c;
}

ClipMlpImpl::ClipMlpImpl(const ClipTextConfig& c) : m_quickGelu(c.hiddenAct == "quick_gelu")
{
    fc1 = register_module("fc1", torch::nn::Linear(c.hiddenSize, c.intermediateSize));
    fc2 = register_module("fc2", torch::nn::Linear(c.intermediateSize, c.hiddenSize));
}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x)
{
    auto h = nn::linear(fc1, x);
    // quick_gelu: x * sigmoid(1.702 x) (OpenAI CLIP); gelu: the exact erf form.
    h = m_quickGelu ? h * torch::sigmoid(h * 1.702) : torch::gelu(h);
    return nn::linear(fc2, h);
}

ClipAttentionImpl::ClipAttentionImpl(const ClipTextConfig& c)
    : m_heads(c.numAttentionHeads), m_headDim(c.hiddenSize / c.numAttentionHeads),
      m_scale(1.0 / std::sqrt(static_cast<double>(c.hiddenSize / c.numAttentionHeads)))
{
    // Registration order as in transformers (k, v, q, out); names are what matter for loading.
    k_proj = register_module("k_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    v_proj = register_module("v_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    q_proj = register_module("q_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
    out_proj = register_module("out_proj", torch::nn::Linear(c.hiddenSize, c.hiddenSize));
}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask)
{
    const int64_t b = x.size(0), t = x.size(1);
    auto split = [&](const torch::Tensor& y) {  // [B, T, H*D] -> [B*H, T, D]
        return y.view({b, t, m_heads, m_headDim}).transpose(1, 2).reshape({b * m_heads, t, m_headDim});
    };
    const auto q = split(nn::linear(q_proj, x) * m_scale);
    const auto k = split(nn::linear(k_proj, x));
    const auto v = split(nn::linear(v_proj, x));
    // scores = mask + q k^T in one GEMM call; T is at most 77, so the full score matrix is tiny.
    auto scores = torch::baddbmm(mask.unsqueeze(0).expand({b * m_heads, t, t}), q, k.transpose(1, 2));
    scores = torch::softmax(scores, -1);
    auto out = torch::bmm(scores, v);  // [B*H, T, D]
    out = out.view({b, m_heads, t, m_headDim}).transpose(1, 2).reshape({b, t, m_heads * m_headDim});
    return nn::linear(out_proj, out);
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextConfig& c)
{
    self_attn = register_module("self_attn", ClipAttention(c));
    layer_norm1 = register_module(
        "layer_norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps)));
    mlp = register_module("mlp", ClipMlp(c));
    layer_norm2 = register_module(
        "layer_norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps)));
}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask)
{
    auto h = x + self_attn(layer_norm1(x), mask);
    return h + mlp(layer_norm2(h));
}

ClipEmbeddingsImpl::ClipEmbeddingsImpl(const ClipTextConfig& c)
{
    token_embedding = register_module("token_embedding", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
    position_embedding =
        register_module("position_embedding", torch::nn::Embedding(c.maxPositionEmbeddings, c.hiddenSize));
}

torch::Tensor ClipEmbeddingsImpl::forward(const torch::Tensor& inputIds)
{
    const int64_t t = inputIds.size(1);
    // Positions 0..T-1 (transformers' non-persistent position_ids buffer).
    const auto positions = torch::arange(t, torch::TensorOptions().dtype(torch::kLong).device(inputIds.device()));
    return token_embedding(inputIds) + position_embedding(positions).unsqueeze(0);
}

ClipEncoderImpl::ClipEncoderImpl(const ClipTextConfig& c)
{
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) {
        typedLayers.emplace_back(c);
        layers->push_back(typedLayers.back());
    }
}

ClipTextTransformerImpl::ClipTextTransformerImpl(const ClipTextConfig& c)
{
    embeddings = register_module("embeddings", ClipEmbeddings(c));
    encoder = register_module("encoder", ClipEncoder(c));
    final_layer_norm = register_module(
        "final_layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.layerNormEps)));
}

ClipTextModelImpl::ClipTextModelImpl(const ClipTextConfig& c) : m_config(c)
{
    text_model = register_module("text_model", ClipTextTransformer(c));
    if (c.withProjection)
        text_projection = register_module(
            "text_projection", torch::nn::Linear(torch::nn::LinearOptions(c.hiddenSize, c.projectionDim).bias(false)));
}

torch::Tensor ClipTextModelImpl::causalMask(int64_t t, const torch::TensorOptions& opts) const
{
    // transformers fills the upper triangle with finfo(dtype).min rather than -inf.
    const double lowest = opts.dtype() == torch::kFloat16    ? -65504.0
                          : opts.dtype() == torch::kBFloat16 ? -3.3895313892515355e38
                          : opts.dtype() == torch::kFloat64  ? std::numeric_limits<double>::lowest()
                                                             : static_cast<double>(std::numeric_limits<float>::lowest());
    return torch::full({t, t}, lowest, opts).triu(1);
}

torch::Tensor ClipTextModelImpl::runLayers(const torch::Tensor& inputIds, int64_t layerCount,
                                           std::vector<torch::Tensor>* hidden)
{
    if (inputIds.dim() != 2) throw ConfigError("CLIP text encoder input ids must have shape [batch, tokens].");
    const int64_t t = inputIds.size(1);
    if (t < 1 || t > m_config.maxPositionEmbeddings)
        throw ConfigError("CLIP text encoder got " + std::to_string(t) + " tokens; it takes 1 to " +
                          std::to_string(m_config.maxPositionEmbeddings) + ".");
    const auto device = text_model->final_layer_norm->weight.device();
    auto ids = inputIds.to(device, torch::kLong);
    if (ids.numel() > 0) {
        const int64_t lo = ids.min().item<int64_t>(), hi = ids.max().item<int64_t>();
        if (lo < 0 || hi >= m_config.vocabSize)
            throw ConfigError("CLIP text encoder got token id " + std::to_string(lo < 0 ? lo : hi) +
                              " outside its vocabulary of " + std::to_string(m_config.vocabSize) + ".");
    }
    auto h = text_model->embeddings(ids);
    if (hidden) hidden->push_back(h);
    const auto mask = causalMask(t, h.options());
    for (int64_t i = 0; i < layerCount; ++i) {
        h = text_model->encoder->typedLayers[static_cast<size_t>(i)]->forward(h, mask);
        if (hidden) hidden->push_back(h);
    }
    return h;
}

ClipTextOutput ClipTextModelImpl::forward(const torch::Tensor& inputIds, bool outputHiddenStates)
{
    ClipTextOutput out;
    const auto h = runLayers(inputIds, m_config.numHiddenLayers, outputHiddenStates ? &out.hiddenStates : nullptr);
    out.lastHiddenState = text_model->final_layer_norm(h);
    // Pooled output at the end-of-text token: legacy configs (eos_token_id == 2) take the position
    // of the highest id, which is <|endoftext|> in the CLIP vocabulary; others the first eos id.
    const auto ids = inputIds.to(out.lastHiddenState.device(), torch::kLong);
    torch::Tensor eosPos;
    if (m_config.eosTokenId == 2) eosPos = ids.argmax(-1);
    else eosPos = (ids == m_config.eosTokenId).to(torch::kInt).argmax(-1);
    const auto batch = torch::arange(ids.size(0), ids.options());
    out.pooled = out.lastHiddenState.index({batch, eosPos});
    if (text_projection) out.textEmbeds = nn::linear(text_projection, out.pooled);
    return out;
}

torch::Tensor ClipTextModelImpl::encode(const torch::Tensor& inputIds, int clipSkip)
{
    if (clipSkip < 0 || clipSkip >= m_config.numHiddenLayers)
        throw ConfigError("clip skip " + std::to_string(clipSkip) + " is out of range for a text encoder with " +
                          std::to_string(m_config.numHiddenLayers) + " layers.");
    const auto h = runLayers(inputIds, m_config.numHiddenLayers - clipSkip, nullptr);
    return text_model->final_layer_norm(h);
}

torch::Tensor ClipTextModelImpl::hiddenState(const torch::Tensor& inputIds, int fromEnd)
{
    if (fromEnd < 1 || fromEnd > m_config.numHiddenLayers + 1)
        throw ConfigError("hidden state " + std::to_string(fromEnd) + " from the end is out of range for a text encoder with " +
                          std::to_string(m_config.numHiddenLayers) + " layers.");
    return runLayers(inputIds, m_config.numHiddenLayers + 1 - fromEnd, nullptr);
}

ClipTextModel loadClipTextModel(const ClipTextConfig& config, std::map<std::string, torch::Tensor> weights,
                                const std::string& what, torch::Device device, torch::Dtype dtype)
{
    const std::string posKey = "text_model.embeddings.position_ids";
    if (const auto it = weights.find(posKey); it != weights.end()) {
        const auto& p = it->second;
        const bool shapeOk = (p.dim() == 2 && p.size(0) == 1 && p.size(1) == config.maxPositionEmbeddings) ||
                             (p.dim() == 1 && p.size(0) == config.maxPositionEmbeddings);
        if (!shapeOk)
            throw WeightsError("The weights of " + what + " have a '" + posKey + "' of shape " +
                               c10::str(p.sizes()) + " that does not fit max_position_embeddings " +
                               std::to_string(config.maxPositionEmbeddings) + ".");
        weights.erase(it);
    }
    ClipTextModel model(config);
    loadStateDictStrict(*model, weights, what);
    model->to(device, dtype);
    model->eval();
    return model;
}

ClipTextModel loadClipTextEncoder(const DiffusersFolder& folder, const std::string& component, torch::Device device,
                                  torch::Dtype dtype, bool preferFp16Weights)
{
    const auto configPath = folder.componentConfigPath(component);
    auto config = ClipTextConfig::fromJson(folder.componentConfig(component),
                                           component + " config '" + configPath.string() + "'");
    const std::string cls = folder.componentClass(component);
    if (cls == "CLIPTextModelWithProjection") config.withProjection = true;
    else if (cls == "CLIPTextModel") config.withProjection = false;
    const auto files = folder.weightFiles(component, preferFp16Weights);
    const std::string what = "the " + component + " (" + files.files.front().string() + ")";
    return loadClipTextModel(config, folder.loadWeights(component, preferFp16Weights), what, device, dtype);
}

ClipTextModel loadClipTextModel(const DiffusersFolder& folder, torch::Device device, torch::Dtype dtype,
                                bool preferFp16Weights)
{
    const auto configPath = folder.componentConfigPath("text_encoder");
    auto config = ClipTextConfig::fromJson(folder.componentConfig("text_encoder"), "text encoder config '" +
                                                                                      configPath.string() + "'");
    const std::string cls = folder.componentClass("text_encoder");
    if (cls == "CLIPTextModelWithProjection") config.withProjection = true;
    else if (cls == "CLIPTextModel") config.withProjection = false;
    const auto files = folder.weightFiles("text_encoder", preferFp16Weights);
    const std::string what = "the text encoder (" + files.files.front().string() + ")";
    return loadClipTextModel(config, folder.loadWeights("text_encoder", preferFp16Weights), what, device, dtype);
}

}  // namespace inpaint::models
