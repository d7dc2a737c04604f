# Made once with diffusers 0.25.1 (sources in $REF_SRC, set up as ../shared/perf/README.md says) and Debian's torch:
#   /usr/bin/python3 tests/data/reference/tools/make_vae_tiling_golden.py
# Needs the diffusers import shims of ../shared/perf/diffusers_bench.py (version answers, a safetensors stand-in);
# they are read from there, not copied.
# Golden for diffusers 0.25.1 AutoencoderKL.enable_tiling() on the tiny reference VAE (tiny-sd).
import os, sys
here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.abspath(os.path.join(here, '..', '..', '..', '..'))
src = open(os.path.join(repo, '..', 'shared', 'perf', 'diffusers_bench.py')).read()
exec(src[:src.index('import torch  # noqa: E402')])
import json, struct, numpy as np, torch
from diffusers import AutoencoderKL
root=os.path.join(repo, 'tests/data/reference/models/tiny-sd/vae')
def read_st(p):
    b=open(p,'rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); out={}
    dt={'F32':np.float32,'F16':np.float16}
    for k,v in h.items():
        if k=='__metadata__': continue
        s,e=v['data_offsets']; out[k]=torch.from_numpy(np.frombuffer(b[8+n+s:8+n+e],dtype=dt[v['dtype']]).reshape(v['shape']).copy())
    return out
def write_st(p, tensors, meta):
    hdr={'__metadata__':meta}; off=0; blobs=[]
    for k,t in tensors.items():
        a=t.detach().contiguous().numpy().astype(np.float32); raw=a.tobytes()
        hdr[k]={'dtype':'F32','shape':list(a.shape),'data_offsets':[off,off+len(raw)]}; off+=len(raw); blobs.append(raw)
    h=json.dumps(hdr).encode(); h+=b' '*((8-len(h)%8)%8)
    open(p,'wb').write(struct.pack('<Q',len(h))+h+b''.join(blobs))
torch.set_num_threads(1)
vae=AutoencoderKL.from_config(json.load(open(root+'/config.json'))).eval()
vae.load_state_dict(read_st(root+'/diffusion_pytorch_model.safetensors'))
g=torch.Generator().manual_seed(7)
z=torch.randn(1,4,56,72,generator=g)
x=(torch.rand(1,3,112,144,generator=g)*2-1)
out={}
with torch.no_grad():
    out['decode/z']=z
    out['decode/untiled']=vae.decode(z).sample
    ed=vae.encode(x).latent_dist
    out['encode/x']=x
    out['encode/untiled_mean']=ed.mean; out['encode/untiled_logvar']=ed.logvar
    vae.enable_tiling()
    out['decode/tiled']=vae.decode(z).sample
    et=vae.encode(x).latent_dist
    out['encode/tiled_mean']=et.mean; out['encode/tiled_logvar']=et.logvar
import diffusers
meta={'source':'diffusers %s AutoencoderKL.enable_tiling() on models/tiny-sd/vae, torch %s, 1 thread; z=randn(1,4,56,72), x=rand(1,3,112,144)*2-1 from torch.Generator().manual_seed(7)'%(diffusers.__version__, torch.__version__),
      'tile_sample_min_size':str(vae.tile_sample_min_size),'tile_latent_min_size':str(vae.tile_latent_min_size)}
write_st(os.path.join(repo, 'tests/data/reference/golden/vae_tiling.safetensors'), out, meta)
for k in ('decode','encode'):
    a=out[k+'/tiled'] if k=='decode' else out['encode/tiled_mean']; b=out[k+'/untiled'] if k=='decode' else out['encode/untiled_mean']
    print(k, 'tiled vs untiled max', (a-b).abs().max().item(), 'rel-L2', ((a-b).norm()/b.norm()).item())
print(meta)
