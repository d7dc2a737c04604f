#!/usr/bin/python3
"""Writes the seed corpus of fuzz_torch_checkpoint (tests/fuzz/corpus/torch_checkpoint/seed_*) and
the stand-in fixtures of tests/models/test_torch_checkpoint.cpp (tests/data/ckpt/*).

Run with Debian's /usr/bin/python3 (no torch needed):
    /usr/bin/python3 tests/fuzz/make_corpus_torch_checkpoint.py
Seeds: the reference tiny-token.pt and malicious.ckpt (whole zips) and their data.pkl alone, and
pickles made here with stand-in classes whose pickles name the same globals torch's do
(_rebuild_tensor_v2, _rebuild_parameter, typed storages, OrderedDict, ParameterDict, set) at
protocols 2 and 4, alone and as torch-style zips. Nothing here is ever unpickled.
"""
import collections
import io
import os
import pickle
import sys
import types
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "tests", "data", "reference", "models")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus", "torch_checkpoint")
FIXTURES = os.path.join(ROOT, "tests", "data", "ckpt")


def module(name):
    m = types.ModuleType(name)
    sys.modules[name] = m
    return m


torch = module("torch")
utils = module("torch._utils")
container = module("torch.nn.modules.container")


def storage_class(name):
    cls = type(name, (), {})
    cls.__module__ = "torch"
    setattr(torch, name, cls)
    return cls


FloatStorage, HalfStorage, LongStorage = (storage_class(n) for n in ("FloatStorage", "HalfStorage", "LongStorage"))


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")


def _rebuild_parameter(*args):
    raise RuntimeError("never called")


for f in (_rebuild_tensor_v2, _rebuild_parameter):
    f.__module__ = "torch._utils"
    setattr(utils, f.__name__, f)


class Storage:
    def __init__(self, cls, key, numel):
        self.cls, self.key, self.numel = cls, key, numel


class Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce_ex__(self, proto):
        return (_rebuild_tensor_v2, self.args)


class Parameter:
    def __init__(self, t):
        self.t = t

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self.t, True, collections.OrderedDict()))


class ParameterDict:
    pass


ParameterDict.__module__ = "torch.nn.modules.container"
container.ParameterDict = ParameterDict


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.numel)
        return None


def dumps(obj, protocol):
    b = io.BytesIO()
    Pickler(b, protocol=protocol).dump(obj)
    return b.getvalue()


def torch_zip(root, pkl, records):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        z.writestr(root + "/data.pkl", pkl)
        for k, v in records.items():
            z.writestr(root + "/data/" + k, v)
        z.writestr(root + "/version", b"3\n")
    return b.getvalue()


def objects():
    s0 = Storage(FloatStorage, "0", 16)
    s1 = Storage(HalfStorage, "1", 4)
    s2 = Storage(LongStorage, "2", 3)
    sd = collections.OrderedDict()
    sd["w"] = Tensor(s0, 0, (4, 4), (4, 1))
    sd["w.t"] = Tensor(s0, 0, (4, 4), (1, 4))
    sd["b"] = Tensor(s0, 12, (4,), (1,))
    sd["h"] = Tensor(s1, 1, (3,), (1,))
    sd["ids"] = Tensor(s2, 0, (1, 3), (3, 1))
    sd["scalar"] = Tensor(s0, 5, (), ())
    ckpt = {"state_dict": sd, "epoch": 3, "global_step": 1200, "lr": 2.5e-4, "note": None, "flags": [True, False]}
    pd = ParameterDict()
    pd.__dict__.update({
        "training": True,
        "_parameters": collections.OrderedDict([("*", Parameter(Tensor(s0, 0, (2, 8), (8, 1))))]),
        "_buffers": collections.OrderedDict(),
        "_non_persistent_buffers_set": set(),
        "_modules": collections.OrderedDict(),
        "_keys": {"*": None},
    })
    emb = {"string_to_token": {"*": 265}, "string_to_param": pd, "name": "tok", "step": 7}
    records = {"0": bytes(range(64)), "1": bytes(range(8)), "2": bytes(24)}
    return ckpt, emb, records


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("seed_"):
            os.remove(os.path.join(OUT, f))

    def put(name, data):
        with open(os.path.join(OUT, "seed_" + name), "wb") as f:
            f.write(data)

    for rel, name in (("embeddings/tiny-token.pt", "tiny-token"), ("single-file/malicious.ckpt", "malicious")):
        raw = open(os.path.join(REF, rel), "rb").read()
        put(name + ".zip", raw)
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            put(name + ".pkl", z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0]))
    ckpt, emb, records = objects()
    for proto in (2, 4):
        put("ckpt_p%d.pkl" % proto, dumps(ckpt, proto))
        put("embedding_p%d.pkl" % proto, dumps(emb, proto))
    put("ckpt_p2.zip", torch_zip("archive", dumps(ckpt, 2), records))
    put("embedding_p4.zip", torch_zip("emb", dumps(emb, 4), records))
    os.makedirs(FIXTURES, exist_ok=True)
    for name, data in (("standin-p2.ckpt", torch_zip("archive", dumps(ckpt, 2), records)),
                       ("standin-p4.ckpt", torch_zip("standin-p4", dumps(ckpt, 4), records)),
                       ("standin-embedding-p2.pt", torch_zip("archive", dumps(emb, 2), records)),
                       ("standin-embedding-p4.pt", torch_zip("emb", dumps(emb, 4), records))):
        with open(os.path.join(FIXTURES, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
