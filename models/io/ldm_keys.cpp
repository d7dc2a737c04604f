// LDM -> diffusers key renaming (see ldm_keys.h).
#include "models/io/ldm_keys.h"

#include "models/errors.h"

#include <torch/torch.h>

#include <array>
#include <charconv>
#include <set>

namespace inpaint::models::ldm {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// Reads "<int>." at s[pos...], advancing pos past the dot. False if there is no such number.
bool readIndex(const std::string& s, size_t& pos, int64_t& out)
{
    const size_t dot = s.find('.', pos);
    if (dot == std::string::npos || dot == pos) return false;
    const auto r = std::from_chars(s.data() + pos, s.data() + dot, out);
    if (r.ec != std::errc() || r.ptr != s.data() + dot || out < 0) return false;
    pos = dot + 1;
    return true;
}

[[noreturn]] void nowhere(const std::string& key, const std::string& what, const std::string& part)
{
    throw WeightsError("The " + part + " key '" + key + "' of " + what +
                       " maps to no diffusers module (is this a Stable Diffusion 1.x/2.x/XL checkpoint?).");
}

void put(StateDict& out, std::string name, const torch::Tensor& t, const std::string& key, const std::string& what)
{
    if (!out.emplace(std::move(name), t).second)
        throw WeightsError("Two keys of " + what + " map to the same diffusers name (the second is '" + key + "').");
}

// ResBlock (openaimodel) / ResnetBlock (LDM VAE) parameter names -> ResnetBlock2D.
std::string resnetName(const std::string& rest)
{
    static const std::array<std::pair<const char*, const char*>, 9> map{{
        {"in_layers.0.", "norm1."},
        {"in_layers.2.", "conv1."},
        {"emb_layers.1.", "time_emb_proj."},
        {"out_layers.0.", "norm2."},
        {"out_layers.3.", "conv2."},
        {"skip_connection.", "conv_shortcut."},
        {"nin_shortcut.", "conv_shortcut."},
        {"norm1.", "norm1."},
        {"conv1.", "conv1."},
    }};
    for (const auto& [from, to] : map)
        if (startsWith(rest, from)) return to + rest.substr(std::char_traits<char>::length(from));
    // VAE resnets also have norm2/conv2 under their own names.
    if (startsWith(rest, "norm2.") || startsWith(rest, "conv2.") || startsWith(rest, "time_emb_proj."))
        return rest;
    return {};
}

}  // namespace

StateDict withPrefix(const StateDict& all, const std::string& prefix)
{
    StateDict out;
    for (auto it = all.lower_bound(prefix); it != all.end() && startsWith(it->first, prefix); ++it)
        out.emplace(it->first.substr(prefix.size()), it->second);
    return out;
}

namespace {

// One LDM UNet key (or module path ending in '.') -> its diffusers name; "" when it maps nowhere.
std::string unetName(const std::string& key, int64_t slots, bool textTime)
{
    size_t pos = 0;
    int64_t i = 0, j = 0;
    if (startsWith(key, "time_embed.0.")) return "time_embedding.linear_1." + key.substr(13);
    if (startsWith(key, "time_embed.2.")) return "time_embedding.linear_2." + key.substr(13);
    if (startsWith(key, "out.0.")) return "conv_norm_out." + key.substr(6);
    if (startsWith(key, "out.2.")) return "conv_out." + key.substr(6);
    if (startsWith(key, "label_emb.")) {
        // sgm: label_emb = Sequential(Sequential(Linear, SiLU, Linear)) on the pooled text
        // embedding + the size/crop ids (diffusers' add_embedding, TimestepEmbedding).
        if (!textTime) return {};
        if (startsWith(key, "label_emb.0.0.")) return "add_embedding.linear_1." + key.substr(14);
        if (startsWith(key, "label_emb.0.2.")) return "add_embedding.linear_2." + key.substr(14);
        return {};
    }
    if (startsWith(key, "input_blocks.")) {
        pos = 13;
        if (!readIndex(key, pos, i) || !readIndex(key, pos, j)) return {};
        const std::string rest = key.substr(pos);
        if (i == 0) return j == 0 ? "conv_in." + rest : std::string();
        const int64_t b = (i - 1) / slots, l = (i - 1) % slots;
        const std::string block = "down_blocks." + std::to_string(b) + ".";
        if (j == 0 && startsWith(rest, "op.")) return block + "downsamplers.0.conv." + rest.substr(3);
        if (j == 0) {
            const std::string r = resnetName(rest);
            return r.empty() ? r : block + "resnets." + std::to_string(l) + "." + r;
        }
        if (j == 1) return block + "attentions." + std::to_string(l) + "." + rest;
        return {};
    }
    if (startsWith(key, "middle_block.")) {
        pos = 13;
        if (!readIndex(key, pos, i)) return {};
        const std::string rest = key.substr(pos);
        if (i == 0 || i == 2) {
            const std::string r = resnetName(rest);
            return r.empty() ? r : "mid_block.resnets." + std::to_string(i / 2) + "." + r;
        }
        if (i == 1) return "mid_block.attentions.0." + rest;
        return {};
    }
    if (startsWith(key, "output_blocks.")) {
        pos = 14;
        if (!readIndex(key, pos, i) || !readIndex(key, pos, j)) return {};
        const std::string rest = key.substr(pos);
        const int64_t b = i / slots, l = i % slots;
        const std::string block = "up_blocks." + std::to_string(b) + ".";
        if (j == 0) {
            const std::string r = resnetName(rest);
            return r.empty() ? r : block + "resnets." + std::to_string(l) + "." + r;
        }
        if ((j == 1 || j == 2) && startsWith(rest, "conv.")) return block + "upsamplers.0.conv." + rest.substr(5);
        if (j == 1) return block + "attentions." + std::to_string(l) + "." + rest;
        return {};
    }
    return {};
}

}  // namespace

std::string renameUnetKey(const std::string& ldmKey, int64_t layersPerBlock, bool textTimeEmbedding)
{
    if (layersPerBlock < 1) return {};
    return unetName(ldmKey, layersPerBlock + 1, textTimeEmbedding);
}

StateDict renameUnet(const StateDict& ldm, int64_t layersPerBlock, const std::string& what, bool textTimeEmbedding)
{
    if (layersPerBlock < 1) throw ConfigError("num_res_blocks must be at least 1 for " + what);
    const int64_t slots = layersPerBlock + 1;
    StateDict out;
    for (const auto& [key, t] : ldm) {
        std::string name = unetName(key, slots, textTimeEmbedding);
        if (name.empty() && startsWith(key, "label_emb.") && !textTimeEmbedding)
            throw WeightsError("The UNet of " + what + " has class/added-condition embeddings ('" + key +
                               "'), which its UNet config does not describe (an SDXL UNet needs addition_embed_type "
                               "\"text_time\"; other class-conditioned UNets are not supported).");
        if (name.empty()) nowhere(key, what, "UNet");
        put(out, std::move(name), t, key, what);
    }
    return out;
}

bool hasEma(const StateDict& all)
{
    const auto it = all.lower_bound("model_ema.");
    if (it == all.end() || !startsWith(it->first, "model_ema.")) return false;
    // decay / num_updates alone are bookkeeping, not weights.
    for (auto i = it; i != all.end() && startsWith(i->first, "model_ema."); ++i)
        if (i->first != "model_ema.decay" && i->first != "model_ema.num_updates") return true;
    return false;
}

StateDict emaUnet(const StateDict& all, const std::string& what)
{
    const std::string prefix = "model.diffusion_model.";
    StateDict out;
    for (auto it = all.lower_bound(prefix); it != all.end() && startsWith(it->first, prefix); ++it) {
        std::string flat = it->first.substr(6);  // "diffusion_model...."
        std::string packed;
        packed.reserve(flat.size());
        for (char c : flat)
            if (c != '.') packed += c;
        const auto e = all.find("model_ema." + packed);
        if (e == all.end())
            throw WeightsError("EMA weights were asked for, but " + what + " has no 'model_ema." + packed + "' (for '" +
                               it->first + "'). Load it without EMA.");
        if (e->second.sizes() != it->second.sizes())
            throw WeightsError("The EMA tensor 'model_ema." + packed + "' of " + what + " has shape " +
                               c10::str(e->second.sizes()) + ", its weight '" + it->first + "' " +
                               c10::str(it->second.sizes()) + ".");
        out.emplace(it->first.substr(prefix.size()), e->second);
    }
    return out;
}

bool isDiffusersVae(const StateDict& vae)
{
    for (const auto& [k, t] : vae)
        if (startsWith(k, "encoder.down_blocks.") || startsWith(k, "decoder.up_blocks.")) return true;
    return false;
}

StateDict renameVae(const StateDict& ldm, int64_t numUpBlocks, const std::string& what)
{
    StateDict out;
    auto midName = [&](const std::string& key, const std::string& side, const std::string& rest) -> std::string {
        if (startsWith(rest, "block_1.") || startsWith(rest, "block_2.")) {
            const std::string r = resnetName(rest.substr(8));
            if (r.empty()) nowhere(key, what, "VAE");
            return side + "mid_block.resnets." + (rest[6] == '1' ? "0." : "1.") + r;
        }
        if (startsWith(rest, "attn_1.")) {
            static const std::array<std::pair<const char*, const char*>, 5> attn{{
                {"norm.", "group_norm."}, {"q.", "to_q."}, {"k.", "to_k."}, {"v.", "to_v."}, {"proj_out.", "to_out.0."}}};
            const std::string a = rest.substr(7);
            for (const auto& [from, to] : attn)
                if (startsWith(a, from))
                    return side + "mid_block.attentions.0." + to + a.substr(std::char_traits<char>::length(from));
        }
        nowhere(key, what, "VAE");
    };
    for (const auto& [key, t] : ldm) {
        std::string name;
        if (startsWith(key, "quant_conv.") || startsWith(key, "post_quant_conv.")) {
            name = key;
        } else if (startsWith(key, "encoder.") || startsWith(key, "decoder.")) {
            const bool enc = key[0] == 'e';
            const std::string side = enc ? "encoder." : "decoder.";
            const std::string rest = key.substr(8);
            if (startsWith(rest, "conv_in.") || startsWith(rest, "conv_out.")) {
                name = key;
            } else if (startsWith(rest, "norm_out.")) {
                name = side + "conv_norm_out." + rest.substr(9);
            } else if (startsWith(rest, "mid.")) {
                name = midName(key, side, rest.substr(4));
            } else if (startsWith(rest, enc ? "down." : "up.")) {
                size_t pos = enc ? 5 : 3;
                int64_t i = 0;
                if (!readIndex(rest, pos, i)) nowhere(key, what, "VAE");
                if (!enc) {
                    if (i >= numUpBlocks) nowhere(key, what, "VAE");
                    i = numUpBlocks - 1 - i;
                }
                const std::string block = side + (enc ? "down_blocks." : "up_blocks.") + std::to_string(i) + ".";
                const std::string r = rest.substr(pos);
                if (startsWith(r, "block.")) {
                    size_t p = 6;
                    int64_t j = 0;
                    if (!readIndex(r, p, j)) nowhere(key, what, "VAE");
                    const std::string rn = resnetName(r.substr(p));
                    if (rn.empty()) nowhere(key, what, "VAE");
                    name = block + "resnets." + std::to_string(j) + "." + rn;
                } else if (startsWith(r, enc ? "downsample.conv." : "upsample.conv.")) {
                    name = block + (enc ? "downsamplers.0.conv." : "upsamplers.0.conv.") + r.substr(enc ? 16 : 14);
                } else {
                    nowhere(key, what, "VAE");
                }
            } else {
                nowhere(key, what, "VAE");
            }
        } else {
            nowhere(key, what, "VAE");
        }
        // LDM's VAE attention projections are 1x1 convolutions; diffusers' are linear layers.
        torch::Tensor v = t;
        if (name.find("mid_block.attentions.0.to_") != std::string::npos && t.dim() == 4 && t.size(2) == 1 && t.size(3) == 1)
            v = t.reshape({t.size(0), t.size(1)});
        put(out, std::move(name), v, key, what);
    }
    return out;
}

StateDict renameClipText(const StateDict& hf, const std::string& what)
{
    StateDict out;
    for (const auto& [key, t] : hf) {
        std::string name;
        if (startsWith(key, "text_model.")) name = key;
        else if (startsWith(key, "embeddings.") || startsWith(key, "encoder.") || startsWith(key, "final_layer_norm."))
            name = "text_model." + key;
        else nowhere(key, what, "text encoder");
        put(out, std::move(name), t, key, what);
    }
    return out;
}

namespace {

// One key of an OpenCLIP text tower (token/positional embedding, ln_final,
// transformer.resblocks.N.*) into `out` under CLIPTextModel names: in_proj split into q/k/v,
// ln_1/ln_2 -> layer_norm1/2, mlp.c_fc/c_proj -> fc1/fc2. Layers from `kept` on are skipped; any
// other key maps nowhere (messages name keyPrefix + key).
void renameOpenClipTowerKey(StateDict& out, const std::string& key, const torch::Tensor& t, const std::string& what,
                            const std::string& keyPrefix, int64_t kept)
{
    const std::string tm = "text_model.";
    if (key == "token_embedding.weight") {
        put(out, tm + "embeddings.token_embedding.weight", t, key, what);
    } else if (key == "positional_embedding") {
        put(out, tm + "embeddings.position_embedding.weight", t, key, what);
    } else if (startsWith(key, "ln_final.")) {
        put(out, tm + "final_layer_norm." + key.substr(9), t, key, what);
    } else if (startsWith(key, "transformer.resblocks.")) {
        size_t pos = 22;
        int64_t n = 0;
        if (!readIndex(key, pos, n)) nowhere(keyPrefix + key, what, "text encoder");
        if (n >= kept) return;
        const std::string layer = tm + "encoder.layers." + std::to_string(n) + ".";
        const std::string rest = key.substr(pos);
        if (rest == "attn.in_proj_weight" || rest == "attn.in_proj_bias") {
            if (t.dim() < 1 || t.size(0) % 3 != 0)
                throw WeightsError("The OpenCLIP tensor '" + keyPrefix + key + "' of " + what + " has shape " +
                                   c10::str(t.sizes()) + ": its first dimension must split into q, k and v.");
            const int64_t c = t.size(0) / 3;
            const std::string suffix = rest == "attn.in_proj_weight" ? "weight" : "bias";
            put(out, layer + "self_attn.q_proj." + suffix, t.narrow(0, 0, c), key, what);
            put(out, layer + "self_attn.k_proj." + suffix, t.narrow(0, c, c), key, what);
            put(out, layer + "self_attn.v_proj." + suffix, t.narrow(0, 2 * c, c), key, what);
        } else if (startsWith(rest, "attn.out_proj.")) {
            put(out, layer + "self_attn.out_proj." + rest.substr(14), t, key, what);
        } else if (startsWith(rest, "ln_1.")) {
            put(out, layer + "layer_norm1." + rest.substr(5), t, key, what);
        } else if (startsWith(rest, "ln_2.")) {
            put(out, layer + "layer_norm2." + rest.substr(5), t, key, what);
        } else if (startsWith(rest, "mlp.c_fc.")) {
            put(out, layer + "mlp.fc1." + rest.substr(9), t, key, what);
        } else if (startsWith(rest, "mlp.c_proj.")) {
            put(out, layer + "mlp.fc2." + rest.substr(11), t, key, what);
        } else {
            nowhere(keyPrefix + key, what, "text encoder");
        }
    } else {
        nowhere(keyPrefix + key, what, "text encoder");
    }
}

}  // namespace

StateDict renameOpenClipText(const StateDict& oc, const std::string& what, int64_t* layersOut)
{
    // The number of transformer layers in the file.
    int64_t layers = 0;
    for (const auto& [key, t] : oc) {
        if (!startsWith(key, "transformer.resblocks.")) continue;
        size_t pos = 22;
        int64_t n = 0;
        if (readIndex(key, pos, n)) layers = std::max(layers, n + 1);
    }
    if (layers < 2) throw WeightsError("The OpenCLIP text encoder of " + what + " has fewer than 2 layers.");
    const int64_t kept = layers - 1;
    if (layersOut) *layersOut = kept;
    StateDict out;
    for (const auto& [key, t] : oc) {
        if (key == "text_projection" || key == "logit_scale" || key == "attn_mask") continue;
        renameOpenClipTowerKey(out, key, t, what, "", kept);  // the last layer dropped: SD 2.x uses the penultimate
    }
    return out;
}

StateDict renameOpenClipTextWithProjection(const StateDict& oc, const std::string& what, const std::string& keyPrefix,
                                           int64_t* layersOut)
{
    int64_t layers = 0;
    for (const auto& [key, t] : oc) {
        if (!startsWith(key, "transformer.resblocks.")) continue;
        size_t pos = 22;
        int64_t n = 0;
        if (readIndex(key, pos, n)) layers = std::max(layers, n + 1);
    }
    if (layers < 1) throw WeightsError("The OpenCLIP text encoder of " + what + " has no layers ('" + keyPrefix + "transformer.resblocks.0.*').");
    if (layersOut) *layersOut = layers;
    // Everything a CLIPTextModelWithProjection needs, as file keys: a gap is named by its key.
    auto require = [&](const std::string& key) {
        if (!oc.count(key))
            throw WeightsError("The OpenCLIP text encoder of " + what + " lacks '" + keyPrefix + key + "'.");
    };
    for (const char* k : {"token_embedding.weight", "positional_embedding", "ln_final.weight", "ln_final.bias"}) require(k);
    if (!oc.count("text_projection") && !oc.count("text_projection.weight")) require("text_projection");
    if (oc.count("text_projection") && oc.count("text_projection.weight"))
        throw WeightsError("The OpenCLIP text encoder of " + what + " has both '" + keyPrefix + "text_projection' and '" +
                           keyPrefix + "text_projection.weight'.");
    for (int64_t n = 0; n < layers; ++n) {
        const std::string l = "transformer.resblocks." + std::to_string(n) + ".";
        for (const char* p : {"attn.in_proj_", "attn.out_proj.", "ln_1.", "ln_2.", "mlp.c_fc.", "mlp.c_proj."})
            for (const char* s : {"weight", "bias"}) require(l + p + s);
    }
    StateDict out;
    for (const auto& [key, t] : oc) {
        if (key == "logit_scale" || key == "attn_mask") continue;
        if (key == "text_projection") {
            if (t.dim() != 2)
                throw WeightsError("The OpenCLIP tensor '" + keyPrefix + key + "' of " + what + " has shape " +
                                   c10::str(t.sizes()) + " (expected [hidden, projection]).");
            put(out, "text_projection.weight", t.t(), key, what);  // x @ P == Linear with weight P^T
        } else if (key == "text_projection.weight") {
            put(out, "text_projection.weight", t, key, what);
        } else {
            renameOpenClipTowerKey(out, key, t, what, keyPrefix, layers);
        }
    }
    return out;
}

bool isIgnoredTopLevelKey(const std::string& key)
{
    static const std::set<std::string> buffers{
        "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
        "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
        "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
        "logvar", "lvlb_weights", "model_ema.decay", "model_ema.num_updates"};
    if (buffers.count(key)) return true;
    // The VAE's training loss (LPIPS + discriminator) that some training checkpoints carry.
    return startsWith(key, "first_stage_model.loss.");
}

}  // namespace inpaint::models::ldm
