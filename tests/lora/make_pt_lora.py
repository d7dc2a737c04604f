#!/usr/bin/python3
"""Writes tests/lora/data/kohya-unet-te.pt: the reference kohya LoRA
(tests/data/reference/models/lora/kohya-unet-te.safetensors) as a torch.save zip, the way a
`torch.save(OrderedDict(state_dict))` of sd-scripts would (root folder "archive", pickle
protocol 2, _rebuild_tensor_v2 + FloatStorage), plus one non-tensor entry ("ss_network_dim": 4)
that the reader skips. Needs no torch: the pickle is made with the stand-in classes of
tests/fuzz/make_corpus_torch_checkpoint.py. Run with Debian's /usr/bin/python3.
"""
import collections
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fuzz"))
import make_corpus_torch_checkpoint as tc  # noqa: E402

SRC = os.path.join(ROOT, "tests", "data", "reference", "models", "lora", "kohya-unet-te.safetensors")


def main():
    with open(SRC, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    state = collections.OrderedDict()
    records = {}
    for i, name in enumerate(sorted(k for k in header if k != "__metadata__")):
        info = header[name]
        assert info["dtype"] == "F32", name
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        numel = (end - begin) // 4
        stride, s = [], 1
        for d in reversed(shape):
            stride.insert(0, s)
            s *= d
        key = str(i)
        records[key] = data[begin:end]
        state[name] = tc.Tensor(tc.Storage(tc.FloatStorage, key, numel), 0, shape, tuple(stride))
    state["ss_network_dim"] = 4
    out = os.path.join(HERE, "data", "kohya-unet-te.pt")
    with open(out, "wb") as f:
        f.write(tc.torch_zip("archive", tc.dumps(state, 2), records))
    print(out, os.path.getsize(out), "bytes,", len(records), "tensors")


if __name__ == "__main__":
    main()
