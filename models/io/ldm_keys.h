// Renaming of original Stable Diffusion (CompVis LDM / A1111) checkpoint keys to the diffusers
// names the modules of models/ use, as diffusers 0.25.1's convert_from_ckpt.py does. Every
// function returns a new map whose tensors are the input's (views, never copies), and throws
// WeightsError naming the first key that maps nowhere; callers then load strictly, so a key the
// renamed set lacks is reported by name as missing.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>

namespace inpaint::models::ldm {

using StateDict = std::map<std::string, torch::Tensor>;

// The keys of `all` below `prefix` (e.g. "model.diffusion_model."), prefix removed.
StateDict withPrefix(const StateDict& all, const std::string& prefix);

// openaimodel.UNetModel names (without "model.diffusion_model.") -> UNet2DConditionModel names.
// layersPerBlock = num_res_blocks of the LDM config. `what` names the file in messages.
// textTimeEmbedding: the UNet config has addition_embed_type "text_time" (SDXL): sgm's
// label_emb.0.0 / label_emb.0.2 become add_embedding.linear_1 / linear_2. Without it a label_emb
// key is a WeightsError. The rest of SDXL's UNet has SD's structure (its per-level transformer
// depths only add transformer_blocks.N inside each attention, which keep their names).
StateDict renameUnet(const StateDict& ldm, int64_t layersPerBlock, const std::string& what, bool textTimeEmbedding = false);
// The diffusers name of one LDM UNet key or module path (dotted, without
// "model.diffusion_model."; a module path ends in '.'), or "" when it maps nowhere. The rule
// renameUnet applies key by key; LoRA files (kohya SDXL) name LDM modules with it.
std::string renameUnetKey(const std::string& ldmKey, int64_t layersPerBlock, bool textTimeEmbedding = false);

// The EMA copy of the UNet as LDM stores it: "model_ema.<key without 'model.' and without dots>"
// for every "model.diffusion_model.*" key. Returns the EMA tensors under the regular LDM names
// (prefix "model.diffusion_model." removed), or throws WeightsError naming a missing EMA key.
StateDict emaUnet(const StateDict& all, const std::string& what);
bool hasEma(const StateDict& all);

// LDM AutoencoderKL names (without "first_stage_model.") -> AutoencoderKL names. The mid-block
// attention's q/k/v/proj_out become to_q/to_k/to_v/to_out.0, their 1x1-conv weights viewed as
// [C, C] linear weights. `numUpBlocks` = len(ch_mult) (LDM numbers decoder.up in
// reverse).
StateDict renameVae(const StateDict& ldm, int64_t numUpBlocks, const std::string& what);
// True when the keys are already diffusers VAE names (encoder.down_blocks...).
bool isDiffusersVae(const StateDict& vae);

// HF CLIPTextModel under "cond_stage_model.transformer." (prefix removed): adds the
// "text_model." level older files lack, drops position_ids.
StateDict renameClipText(const StateDict& hf, const std::string& what);

// OpenCLIP (FrozenOpenCLIPEmbedder, SD 2.x) under "cond_stage_model.model." (prefix removed) ->
// CLIPTextModel names: in_proj split into q/k/v, ln_* -> layer_norm*, mlp.c_fc/c_proj ->
// fc1/fc2, ln_final -> final_layer_norm. The last transformer layer is dropped (SD 2.x uses the
// penultimate layer; diffusers' text encoder has layers-1 layers), as are text_projection and
// logit_scale. `layers` receives the number of layers kept.
StateDict renameOpenClipText(const StateDict& openclip, const std::string& what, int64_t* layers = nullptr);

// SDXL's second text encoder (sgm FrozenOpenCLIPEmbedder2, OpenCLIP ViT-bigG, under
// "conditioner.embedders.1.model.", prefix removed) -> CLIPTextModelWithProjection names, as
// diffusers 0.25.1's convert_open_clip_checkpoint(has_projection=True): the same renames as above,
// but every layer is kept (SDXL takes the penultimate hidden state at run time), and
// `text_projection`, stored [hidden, projection] and applied as x @ P, becomes
// `text_projection.weight` [projection, hidden] (a transposed view; a file already holding
// `text_projection.weight` in nn.Linear layout is taken as it is). logit_scale and attn_mask are
// bookkeeping and dropped. Strict: every tensor of every layer 0..N-1 (in_proj weight/bias,
// out_proj, ln_1, ln_2, c_fc, c_proj), the embeddings, ln_final and the projection must be there;
// a missing one is a WeightsError naming `keyPrefix` + its file key.
StateDict renameOpenClipTextWithProjection(const StateDict& openclip, const std::string& what, const std::string& keyPrefix,
                                           int64_t* layers = nullptr);

// Keys of an LDM file that are known and carry nothing the modules need (DDPM buffers,
// EMA bookkeeping, the OpenCLIP extras above).
bool isIgnoredTopLevelKey(const std::string& key);

}  // namespace inpaint::models::ldm
