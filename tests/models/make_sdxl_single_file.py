#!/usr/bin/python3
"""Writes the tiny SDXL diffusers folders as single files in Stability's sgm / A1111 layout.

    /usr/bin/python3 tests/models/make_sdxl_single_file.py

reads  tests/data/reference/models/tiny-sdxl{,-inpaint}/ (diffusers layout)
writes tests/data/sdxl-single-file/tiny-sdxl{,-inpaint}.safetensors

The inverse of what diffusers 0.25.1's from_single_file (convert_from_ckpt.py) reads:
  model.diffusion_model.*   openaimodel/sgm UNetModel names (label_emb.0.0/0.2 for add_embedding)
  first_stage_model.*       LDM AutoencoderKL names, mid-block attention q/k/v/proj_out as [C, C, 1, 1]
  conditioner.embedders.0.transformer.*  the HF CLIPTextModel as it is, + text_model.embeddings.position_ids
                            (int64 [1, 77], as sd_xl_base_1.0.safetensors has it)
  conditioner.embedders.1.model.*        OpenCLIP: transformer.resblocks.N.attn.in_proj_weight/bias =
                            cat(q, k, v), attn.out_proj, ln_1/ln_2, mlp.c_fc/c_proj, token_embedding.weight,
                            positional_embedding, ln_final, text_projection = text_projection.weight
                            TRANSPOSED ([hidden, proj], applied as x @ P), logit_scale (a scalar)
Values are copied bit for bit (float32 stays float32). Needs only numpy (no torch, no safetensors).
"""

import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(ROOT, "tests", "data", "reference", "models")
DST = os.path.join(ROOT, "tests", "data", "sdxl-single-file")

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32, "BF16": None}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        dt = DTYPES[v["dtype"]]
        if dt is None:
            raise SystemExit(f"{path}: {k} is {v['dtype']}, not supported here")
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[base + b : base + e], dtype=dt).reshape(v["shape"]).copy()
    return out


def write_safetensors(path, tensors):
    codes = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.float64): "F64",
             np.dtype(np.int64): "I64", np.dtype(np.int32): "I32"}
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for k in sorted(tensors):
        a = np.ascontiguousarray(tensors[k])
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[k] = {"dtype": codes[a.dtype], "shape": list(a.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


RESNET = [("norm1.", "in_layers.0."), ("conv1.", "in_layers.2."), ("time_emb_proj.", "emb_layers.1."),
          ("norm2.", "out_layers.0."), ("conv2.", "out_layers.3."), ("conv_shortcut.", "skip_connection.")]


def resnet_to_ldm(rest):
    for hf, sd in RESNET:
        if rest.startswith(hf):
            return sd + rest[len(hf):]
    raise SystemExit(f"unknown resnet parameter {rest}")


def unet_to_ldm(key, cfg):
    lpb = cfg["layers_per_block"]
    slots = lpb + 1
    p = key.split(".")
    simple = {"time_embedding.linear_1.": "time_embed.0.", "time_embedding.linear_2.": "time_embed.2.",
              "add_embedding.linear_1.": "label_emb.0.0.", "add_embedding.linear_2.": "label_emb.0.2.",
              "conv_in.": "input_blocks.0.0.", "conv_norm_out.": "out.0.", "conv_out.": "out.2."}
    for hf, sd in simple.items():
        if key.startswith(hf):
            return sd + key[len(hf):]
    if p[0] == "down_blocks":
        b = int(p[1])
        rest = ".".join(p[4:])
        if p[2] == "resnets":
            return f"input_blocks.{1 + b * slots + int(p[3])}.0." + resnet_to_ldm(rest)
        if p[2] == "attentions":
            return f"input_blocks.{1 + b * slots + int(p[3])}.1." + rest
        if p[2] == "downsamplers":  # down_blocks.b.downsamplers.0.conv.X
            return f"input_blocks.{(b + 1) * slots}.0.op." + ".".join(p[5:])
    if p[0] == "mid_block":
        if p[1] == "resnets":
            return f"middle_block.{2 * int(p[2])}." + resnet_to_ldm(".".join(p[3:]))
        if p[1] == "attentions":
            return "middle_block.1." + ".".join(p[3:])
    if p[0] == "up_blocks":
        b = int(p[1])
        rest = ".".join(p[4:])
        if p[2] == "resnets":
            return f"output_blocks.{b * slots + int(p[3])}.0." + resnet_to_ldm(rest)
        if p[2] == "attentions":
            return f"output_blocks.{b * slots + int(p[3])}.1." + rest
        if p[2] == "upsamplers":
            has_attn = cfg["up_block_types"][b].startswith("CrossAttn")
            return f"output_blocks.{b * slots + lpb}.{2 if has_attn else 1}.conv." + ".".join(p[5:])
    raise SystemExit(f"unknown UNet key {key}")


def vae_to_ldm(key, cfg):
    n = len(cfg["block_out_channels"])
    p = key.split(".")
    if p[0] in ("quant_conv", "post_quant_conv"):
        return key
    side = p[0]
    if p[1] in ("conv_in", "conv_out"):
        return key
    if p[1] == "conv_norm_out":
        return f"{side}.norm_out." + ".".join(p[2:])
    def res(rest):
        return rest.replace("conv_shortcut.", "nin_shortcut.")
    if p[1] == "mid_block":
        if p[2] == "resnets":
            return f"{side}.mid.block_{int(p[3]) + 1}." + res(".".join(p[4:]))
        if p[2] == "attentions":
            rest = ".".join(p[4:])
            for hf, sd in [("group_norm.", "norm."), ("to_q.", "q."), ("to_k.", "k."), ("to_v.", "v."), ("to_out.0.", "proj_out.")]:
                if rest.startswith(hf):
                    return f"{side}.mid.attn_1." + sd + rest[len(hf):]
    if p[1] == "down_blocks":
        i = int(p[2])
        if p[3] == "resnets":
            return f"encoder.down.{i}.block.{p[4]}." + res(".".join(p[5:]))
        if p[3] == "downsamplers":
            return f"encoder.down.{i}.downsample.conv." + ".".join(p[6:])
    if p[1] == "up_blocks":
        i = n - 1 - int(p[2])
        if p[3] == "resnets":
            return f"decoder.up.{i}.block.{p[4]}." + res(".".join(p[5:]))
        if p[3] == "upsamplers":
            return f"decoder.up.{i}.upsample.conv." + ".".join(p[6:])
    raise SystemExit(f"unknown VAE key {key}")


def openclip_from_hf(hf):
    out = {}
    tm = "text_model."
    layers = 0
    while f"{tm}encoder.layers.{layers}.mlp.fc1.weight" in hf:
        layers += 1
    used = set()
    def take(k):
        used.add(k)
        return hf[k]
    out["token_embedding.weight"] = take(tm + "embeddings.token_embedding.weight")
    out["positional_embedding"] = take(tm + "embeddings.position_embedding.weight")
    out["ln_final.weight"] = take(tm + "final_layer_norm.weight")
    out["ln_final.bias"] = take(tm + "final_layer_norm.bias")
    out["text_projection"] = np.ascontiguousarray(take("text_projection.weight").T)  # [hidden, proj]
    out["logit_scale"] = np.array(np.log(1 / 0.07), dtype=np.float32)  # OpenCLIP's init value; unused
    for n in range(layers):
        h = f"{tm}encoder.layers.{n}."
        o = f"transformer.resblocks.{n}."
        for s in ("weight", "bias"):
            out[o + "attn.in_proj_" + s] = np.concatenate(
                [take(h + f"self_attn.{x}_proj.{s}") for x in ("q", "k", "v")], axis=0)
            out[o + "attn.out_proj." + s] = take(h + "self_attn.out_proj." + s)
            out[o + "ln_1." + s] = take(h + "layer_norm1." + s)
            out[o + "ln_2." + s] = take(h + "layer_norm2." + s)
            out[o + "mlp.c_fc." + s] = take(h + "mlp.fc1." + s)
            out[o + "mlp.c_proj." + s] = take(h + "mlp.fc2." + s)
    left = set(hf) - used - {tm + "embeddings.position_ids"}
    if left:
        raise SystemExit(f"text_encoder_2 keys not converted: {sorted(left)[:5]}")
    return out


def convert(model):
    src = os.path.join(SRC, model)
    def cfg(c):
        with open(os.path.join(src, c, "config.json")) as f:
            return json.load(f)
    sd = {}
    unet_cfg, vae_cfg = cfg("unet"), cfg("vae")
    for k, v in read_safetensors(os.path.join(src, "unet", "diffusion_pytorch_model.safetensors")).items():
        sd["model.diffusion_model." + unet_to_ldm(k, unet_cfg)] = v
    for k, v in read_safetensors(os.path.join(src, "vae", "diffusion_pytorch_model.safetensors")).items():
        name = vae_to_ldm(k, vae_cfg)
        if ".mid.attn_1." in name and name.endswith(".weight") and v.ndim == 2:
            v = v.reshape(v.shape + (1, 1))  # LDM's 1x1 convolutions
        sd["first_stage_model." + name] = v
    te = read_safetensors(os.path.join(src, "text_encoder", "model.safetensors"))
    for k, v in te.items():
        sd["conditioner.embedders.0.transformer." + k] = v
    if "text_model.embeddings.position_ids" not in te:
        sd["conditioner.embedders.0.transformer.text_model.embeddings.position_ids"] = np.arange(
            cfg("text_encoder")["max_position_embeddings"], dtype=np.int64)[None]
    for k, v in openclip_from_hf(read_safetensors(os.path.join(src, "text_encoder_2", "model.safetensors"))).items():
        sd["conditioner.embedders.1.model." + k] = v
    if len(set(sd)) != len(sd):
        raise SystemExit("duplicate names")
    out = os.path.join(DST, model + ".safetensors")
    write_safetensors(out, sd)
    print(f"{out}: {len(sd)} tensors, {os.path.getsize(out) / 1e6:.2f} MB")


if __name__ == "__main__":
    for m in sys.argv[1:] or ["tiny-sdxl", "tiny-sdxl-inpaint"]:
        convert(m)
