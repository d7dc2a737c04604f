// CLIPTextModel (the Stable Diffusion text encoder) and CLIPTextModelWithProjection (SDXL's
// text_encoder_2), a port of transformers 4.36 models/clip/modeling_clip.py (CLIPTextTransformer,
// CLIPEncoderLayer, CLIPAttention, CLIPMLP; text_projection).
// Submodules carry transformers' names, so named_parameters() equals the checkpoint keys.
#pragma once

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <filesystem>
#include <string>
#include <vector>

namespace inpaint::models {

class DiffusersFolder;

struct ClipTextConfig {
    int64_t vocabSize = 49408;
    int64_t hiddenSize = 512;
    int64_t intermediateSize = 2048;
    int64_t numHiddenLayers = 12;
    int64_t numAttentionHeads = 8;
    int64_t maxPositionEmbeddings = 77;
    std::string hiddenAct = "quick_gelu";  // "quick_gelu" (OpenAI CLIP, SD1) or "gelu" (OpenCLIP, SD2)
    double layerNormEps = 1e-5;
    int64_t eosTokenId = 2;  // 2 (legacy configs): pooled token = argmax id; otherwise first eos
    // CLIPTextModelWithProjection: a bias-free `text_projection` Linear(hidden_size,
    // projection_dim) applied to the pooled output (ClipTextOutput::textEmbeds). Set from
    // config.json's `architectures`; loadClipTextEncoder() lets model_index.json's class decide.
    bool withProjection = false;
    int64_t projectionDim = 512;  // transformers' CLIPTextConfig default

    // transformers' CLIPTextConfig defaults for missing keys. Throws ConfigError for an
    // unsupported activation / architecture or inconsistent sizes (hidden % heads).
    static ClipTextConfig fromJson(const nlohmann::json& json, const std::string& whatForErrors = "text encoder config");
};

struct ClipTextOutput {
    torch::Tensor lastHiddenState;            // [B, T, hidden], after final_layer_norm
    torch::Tensor pooled;                     // [B, hidden] at the eos position
    std::vector<torch::Tensor> hiddenStates;  // embeddings + every layer output (if requested)
    torch::Tensor textEmbeds;                 // [B, projection_dim]: text_projection(pooled); WithProjection only
};

class ClipMlpImpl : public torch::nn::Module {
public:
    explicit ClipMlpImpl(const ClipTextConfig& c);
    torch::Tensor forward(const torch::Tensor& x);
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
private:
    bool m_quickGelu;
};
TORCH_MODULE(ClipMlp);

class ClipAttentionImpl : public torch::nn::Module {
public:
    explicit ClipAttentionImpl(const ClipTextConfig& c);
    // mask: additive [T, T] (causal), broadcast over batch and heads.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
    torch::nn::Linear k_proj{nullptr}, v_proj{nullptr}, q_proj{nullptr}, out_proj{nullptr};
private:
    int64_t m_heads;
    int64_t m_headDim;
    double m_scale;
};
TORCH_MODULE(ClipAttention);

class ClipEncoderLayerImpl : public torch::nn::Module {
public:
    explicit ClipEncoderLayerImpl(const ClipTextConfig& c);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);
    ClipAttention self_attn{nullptr};
    torch::nn::LayerNorm layer_norm1{nullptr};
    ClipMlp mlp{nullptr};
    torch::nn::LayerNorm layer_norm2{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

class ClipEmbeddingsImpl : public torch::nn::Module {
public:
    explicit ClipEmbeddingsImpl(const ClipTextConfig& c);
    torch::Tensor forward(const torch::Tensor& inputIds);
    torch::nn::Embedding token_embedding{nullptr};
    torch::nn::Embedding position_embedding{nullptr};
};
TORCH_MODULE(ClipEmbeddings);

class ClipEncoderImpl : public torch::nn::Module {
public:
    explicit ClipEncoderImpl(const ClipTextConfig& c);
    torch::nn::ModuleList layers{nullptr};
    std::vector<ClipEncoderLayer> typedLayers;
};
TORCH_MODULE(ClipEncoder);

class ClipTextTransformerImpl : public torch::nn::Module {
public:
    explicit ClipTextTransformerImpl(const ClipTextConfig& c);
    ClipEmbeddings embeddings{nullptr};
    ClipEncoder encoder{nullptr};
    torch::nn::LayerNorm final_layer_norm{nullptr};
};
TORCH_MODULE(ClipTextTransformer);

class ClipTextModelImpl : public torch::nn::Module {
public:
    explicit ClipTextModelImpl(const ClipTextConfig& c);

    // inputIds: [B, T] integer ids, T <= max_position_embeddings. Without an attention mask,
    // as SD pipelines call it. outputHiddenStates fills ClipTextOutput::hiddenStates.
    ClipTextOutput forward(const torch::Tensor& inputIds, bool outputHiddenStates = false);

    // The prompt embeddings diffusers computes with `clip_skip`: final_layer_norm applied to
    // hidden_states[-(clipSkip + 1)]; clipSkip 0 = last_hidden_state. Runs only the layers needed.
    torch::Tensor encode(const torch::Tensor& inputIds, int clipSkip = 0);
    // hidden_states[-fromEnd] as transformers returns it (no final_layer_norm): fromEnd 1 is the
    // last layer's output, 2 the penultimate (what SDXL conditions on), numHiddenLayers + 1 the
    // embeddings. Runs only the layers needed. ConfigError outside 1 .. numHiddenLayers + 1.
    torch::Tensor hiddenState(const torch::Tensor& inputIds, int fromEnd);

    const ClipTextConfig& config() const { return m_config; }
    bool hasProjection() const { return m_config.withProjection; }
    ClipTextTransformer text_model{nullptr};
    torch::nn::Linear text_projection{nullptr};  // CLIPTextModelWithProjection only

private:
    torch::Tensor causalMask(int64_t t, const torch::TensorOptions& opts) const;
    torch::Tensor runLayers(const torch::Tensor& inputIds, int64_t layerCount, std::vector<torch::Tensor>* hidden);
    ClipTextConfig m_config;
};
TORCH_MODULE(ClipTextModel);

// Builds the model from <folder>/text_encoder (config.json + weights; fp16 variant preferred when
// asked), loads the weights strictly and moves it to `device` / `dtype`, in eval mode.
// A `text_model.embeddings.position_ids` tensor (in checkpoints saved by transformers < 4.31) is
// checked for shape and then dropped: transformers >= 4.31 treats it as a non-persistent buffer
// and never loads it, and the positions are always 0..T-1.
ClipTextModel loadClipTextModel(const DiffusersFolder& folder, torch::Device device = torch::kCPU,
                                torch::Dtype dtype = torch::kFloat32, bool preferFp16Weights = false);
// Any CLIP text encoder component of a diffusers folder ("text_encoder", "text_encoder_2"). The
// class in model_index.json (CLIPTextModel / CLIPTextModelWithProjection), when present, decides
// whether the model has text_projection (as diffusers' from_pretrained does); otherwise the
// config's `architectures`. Loads strictly, like loadClipTextModel.
ClipTextModel loadClipTextEncoder(const DiffusersFolder& folder, const std::string& component,
                                  torch::Device device = torch::kCPU, torch::Dtype dtype = torch::kFloat32,
                                  bool preferFp16Weights = false);
// The same from an explicit config and tensor map (`what` names the source in errors).
ClipTextModel loadClipTextModel(const ClipTextConfig& config, std::map<std::string, torch::Tensor> weights,
                                const std::string& what, torch::Device device = torch::kCPU,
                                torch::Dtype dtype = torch::kFloat32);

}  // namespace inpaint::models
