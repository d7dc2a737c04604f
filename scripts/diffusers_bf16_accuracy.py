#!/usr/bin/python3
"""diffusers 0.25.1's own bf16 against its own fp32 on the real-shaped SD 1.5 VAE (and, with --unet, the
UNet at 32x32 latents): random weights drawn as `inpaint-bench --accuracy` draws them (uniform within
1/sqrt(fan_in), norms 1 and 0, other vectors within 0.05), the same input shapes, the same metric
(relative L2 against fp32). Its figures are the yardstick for our bf16 bound. Uses the import set-up of
../shared/perf/diffusers_bench.py (diffusers sources in $REF_SRC, Debian's python3-torch).

  /usr/bin/python3 scripts/diffusers_bf16_accuracy.py tests/data/reference/configs/stable-diffusion-v1-5 [--unet]
"""
import json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "shared", "perf"))
import diffusers_bench  # noqa: E402,F401  (sets up the diffusers/huggingface_hub imports)
import torch  # noqa: E402
from diffusers import AutoencoderKL, UNet2DConditionModel  # noqa: E402

torch.set_num_threads(os.cpu_count())
cfgdir = sys.argv[1]
def init(m, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in m.named_parameters():
            if p.dim() >= 2:
                b = 1.0 / (p[0].numel() ** 0.5)
                p.uniform_(-b, b, generator=g)
            elif "norm" in name:
                p.fill_(1.0 if name.endswith("weight") else 0.0)
            else:
                p.uniform_(-0.05, 0.05, generator=g)
def rel(a, r):
    a = a.float(); r = r.float()
    return ((a - r).norm() / r.norm()).item()
out = {}
vae = AutoencoderKL.from_config(AutoencoderKL.load_config(cfgdir + "/vae")).eval()
init(vae, 2)
half = AutoencoderKL.from_config(vae.config).eval(); half.load_state_dict(vae.state_dict()); half.to(torch.bfloat16)
g = torch.Generator().manual_seed(8)
res = []
with torch.inference_mode():
    for i in range(2):
        z = torch.randn(1, 4, 32, 32, generator=g)
        d = rel(half.decode(z.bfloat16()).sample, vae.decode(z).sample)
        img = torch.rand(1, 3, 256, 256, generator=g) * 2 - 1
        e = rel(half.encode(img.bfloat16()).latent_dist.mean, vae.encode(img).latent_dist.mean)
        res.append({"decode_rel_l2": d, "encode_mean_rel_l2": e}); print("VAE", i, d, e, flush=True)
out["vae"] = res
if "--unet" in sys.argv:
    unet = UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(cfgdir + "/unet")).eval()
    init(unet, 1)
    uh = UNet2DConditionModel.from_config(unet.config).eval(); uh.load_state_dict(unet.state_dict()); uh.to(torch.bfloat16)
    g = torch.Generator().manual_seed(7); res = []
    with torch.inference_mode():
        for t in (999.0, 500.0, 50.0):
            x = torch.randn(1, 4, 32, 32, generator=g); c = torch.randn(1, 77, 768, generator=g)
            ts = torch.tensor([t])
            r = rel(uh(x.bfloat16(), ts, c.bfloat16()).sample, unet(x, ts, c).sample)
            res.append({"timestep": t, "rel_l2": r}); print("UNet", t, r, flush=True)
    out["unet"] = res
print(json.dumps(out))
