#!/usr/bin/env python3
"""Writes a full-size SD 1.5 diffusers folder of random fp16 weights, for `inpaint-bench --job DIR`.

Speed and memory do not depend on the weights' values, and no real checkpoint can be downloaded on the
build machines, so the whole-job figures in the README come from such a folder. The UNet and the VAE are
diffusers 0.25.1's own classes built from the real configs (so every key and shape is diffusers'); the CLIP
text encoder's keys are written from its config (transformers' CLIPTextModel names). Weights are stored as
fp16 safetensors, as the fp16 variants people download are. The tokenizer's vocabulary is the one the
engine bundles (resources/clip/), so the folder holds only its two config files.

  REF_SRC=/tmp/ref-src /usr/bin/python3 scripts/make_sd15_random.py CONFIGS OUT
    CONFIGS  tests/data/reference/configs/stable-diffusion-v1-5
    OUT      the folder to write (about 2 GB)

Needs Debian's python3-torch and python3-numpy, and diffusers + huggingface_hub sources in $REF_SRC
(../shared/perf/README.md says how). About a minute on 2 cores.
"""
import json, os, shutil, struct, sys

import numpy as np

perf_bench = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "perf", "diffusers_bench.py")
perf_bench = os.environ.get("DIFFUSERS_BENCH", perf_bench)  # ../shared/perf/ beside the checkout by default
# diffusers_bench.py's preamble makes diffusers importable from source (version stand-ins, a safetensors
# stand-in); run it up to its `import torch` rather than repeating it here.
src = open(perf_bench, encoding="utf-8").read()
exec(compile(src[: src.index("import torch  # noqa: E402")], perf_bench, "exec"))

import torch  # noqa: E402


def write_safetensors(path, tensors):
    """tensors: name -> numpy array (fp16). The file is written beside and renamed."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        dtype = {np.dtype(np.float16): "F16", np.dtype(np.float32): "F32", np.dtype(np.int64): "I64"}[a.dtype]
        b = a.tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def from_module(module):
    return {k: v.detach().to(torch.float16).numpy() for k, v in module.state_dict().items()}


def clip_text_tensors(cfg, rng):
    h, inter, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    def w(*shape):
        return (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)
    t = {"text_model.embeddings.token_embedding.weight": w(cfg["vocab_size"], h),
         "text_model.embeddings.position_embedding.weight": w(cfg["max_position_embeddings"], h),
         "text_model.final_layer_norm.weight": np.ones(h, np.float16),
         "text_model.final_layer_norm.bias": np.zeros(h, np.float16)}
    for i in range(layers):
        p = f"text_model.encoder.layers.{i}."
        for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
            t[p + f"self_attn.{proj}.weight"] = w(h, h)
            t[p + f"self_attn.{proj}.bias"] = w(h)
        t[p + "mlp.fc1.weight"], t[p + "mlp.fc1.bias"] = w(inter, h), w(inter)
        t[p + "mlp.fc2.weight"], t[p + "mlp.fc2.bias"] = w(h, inter), w(h)
        for ln in ("layer_norm1", "layer_norm2"):
            t[p + f"{ln}.weight"], t[p + f"{ln}.bias"] = np.ones(h, np.float16), np.zeros(h, np.float16)
    return t


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    configs, out = sys.argv[1], sys.argv[2]
    from diffusers import AutoencoderKL, UNet2DConditionModel
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for sub in ("unet", "vae", "text_encoder", "tokenizer", "scheduler"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    for sub in ("unet/config.json", "vae/config.json", "text_encoder/config.json", "scheduler/scheduler_config.json",
                "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json", "model_index.json"):
        shutil.copyfile(os.path.join(configs, sub), os.path.join(out, sub))
    with torch.inference_mode():
        unet = UNet2DConditionModel.from_config(json.load(open(os.path.join(configs, "unet", "config.json"))))
        write_safetensors(os.path.join(out, "unet", "diffusion_pytorch_model.safetensors"), from_module(unet))
        del unet
        vae = AutoencoderKL.from_config(json.load(open(os.path.join(configs, "vae", "config.json"))))
        write_safetensors(os.path.join(out, "vae", "diffusion_pytorch_model.safetensors"), from_module(vae))
        del vae
    te = json.load(open(os.path.join(configs, "text_encoder", "config.json")))
    write_safetensors(os.path.join(out, "text_encoder", "model.safetensors"), clip_text_tensors(te, rng))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
