#!/usr/bin/python3
"""diffusers' own SDXL UNet (random weights from the real config) at batch 2 and 128x128 latents, to set
beside `inpaint-bench --model-family sdxl` in the same session. Uses the import set-up of
../shared/perf/diffusers_bench.py (diffusers 0.25.1 sources in $REF_SRC, Debian's python3-torch).

  /usr/bin/python3 scripts/diffusers_sdxl_unet_bench.py --configs tests/data/reference/configs/stable-diffusion-xl-base-1.0 \\
      [--threads 2] [--runs 1] [--dtypes fp32,bf16]

Prints one JSON object: seconds per call (median of --runs after a warm-up) and the peak RSS (GiB).
"""
import argparse, json, os, resource, statistics, sys, time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "shared", "perf"))
import diffusers_bench  # noqa: E402,F401  (sets up the diffusers/huggingface_hub imports)
import torch  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--dtypes", default="fp32,bf16")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    from diffusers import UNet2DConditionModel
    cfg = json.load(open(os.path.join(a.configs, "unet", "config.json")))
    out = {"threads": a.threads, "torch": torch.__version__}
    with torch.inference_mode():
        for name in a.dtypes.split(","):
            dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[name]
            torch.manual_seed(0)
            unet = UNet2DConditionModel.from_config(cfg).eval().to(dtype).to(memory_format=torch.channels_last)
            g = torch.Generator().manual_seed(1)
            x = torch.randn(2, cfg["in_channels"], 128, 128, generator=g).to(dtype).contiguous(memory_format=torch.channels_last)
            ctx = torch.randn(2, 77, cfg["cross_attention_dim"], generator=g).to(dtype)
            pooled = cfg["projection_class_embeddings_input_dim"] - 6 * cfg["addition_time_embed_dim"]
            added = {"text_embeds": torch.randn(2, pooled, generator=g).to(dtype),
                     "time_ids": torch.tensor([[1024.0, 1024.0, 0.0, 0.0, 1024.0, 1024.0]] * 2).to(dtype)}
            t = torch.full((2,), 999, dtype=torch.long)
            fn = lambda: unet(x, t, encoder_hidden_states=ctx, added_cond_kwargs=added).sample  # noqa: E731
            t0 = time.perf_counter(); fn(); warm = time.perf_counter() - t0
            runs = []
            for _ in range(a.runs):
                t0 = time.perf_counter(); fn(); runs.append(time.perf_counter() - t0)
            out[f"sdxl_unet_b2_128x128_{name}_s"] = statistics.median(runs)
            out[f"sdxl_unet_b2_128x128_{name}_warmup_s"] = warm
            print(f"# diffusers SDXL UNet {name} b2 128x128: {statistics.median(runs):.2f} s (warm-up {warm:.2f})",
                  file=sys.stderr, flush=True)
            del unet
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
