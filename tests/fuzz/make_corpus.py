#!/usr/bin/python3
"""Writes the committed seed corpus of the fuzz harnesses (tests/fuzz/corpus/<name>/).

Run with Debian's /usr/bin/python3 (python3-pil for the images) from anywhere:
    /usr/bin/python3 tests/fuzz/make_corpus.py
Seeds come from tests/data/reference (configs, safetensors headers), resources/clip (a slice of the
CLIP vocabulary), tests/jobs/test_recipe.cpp (recipes) and small images drawn here. Deterministic;
it rewrites only the seed_* files, so reproducers of fixed crashes (crash_* / regress_*) stay.
"""
import io
import json
import os
import re
import struct
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REF = os.path.join(ROOT, "tests", "data", "reference")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
SEP = b"\n===\n"


def out_dir(name):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith("seed_"):
            os.remove(os.path.join(d, f))
    return d


def put(name, file, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, name, "seed_" + file), "wb") as f:
        f.write(data)


def read(*parts):
    with open(os.path.join(*parts), "rb") as f:
        return f.read()


# ---- safetensors ----------------------------------------------------------------------------

def st_file(header, data=b"", pad=True):
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * ((8 - (8 + len(text)) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def st_trimmed(path, limit=512, count=12):
    """A real file's metadata and its first `count` tensors of at most `limit` bytes, re-packed."""
    raw = read(path)
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    keep, packed = {}, b""
    for k, v in header.items():
        if k == "__metadata__":
            keep[k] = v
            continue
        b, e = v["data_offsets"]
        if e - b <= limit and len(keep) < count:
            keep[k] = dict(v, data_offsets=[len(packed), len(packed) + e - b])
            packed += data[b:e]
    return st_file(keep, packed)


def safetensors():
    out_dir("safetensors")
    for rel in ["models/tiny-sd/vae/diffusion_pytorch_model.safetensors",
                "models/tiny-sd/unet/diffusion_pytorch_model.safetensors",
                "models/tiny-sd/text_encoder/model.safetensors",
                "golden/tokenizer.safetensors", "golden/rng.safetensors", "inputs/inputs.safetensors"]:
        put("safetensors", rel.replace("/", "_"), st_trimmed(os.path.join(REF, rel)))
    sizes = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}
    header, off = {"__metadata__": {"format": "pt", "note": "every dtype"}}, 0
    for dt, sz in sizes.items():
        header["t_" + dt.lower()] = {"dtype": dt, "shape": [2, 3], "data_offsets": [off, off + 6 * sz]}
        off += 6 * sz
    put("safetensors", "dtypes", st_file(header, bytes(range(256)) * (off // 256) + bytes(range(off % 256))))
    put("safetensors", "scalar_empty", st_file({"s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]},
                                                "e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [4, 4]}},
                                               b"\x00\x00\x80\x3f"))
    # Unaligned data area (header not padded): views must be copied.
    put("safetensors", "unaligned", st_file({"a": {"dtype": "F64", "shape": [2], "data_offsets": [0, 16]}},
                                            bytes(range(16)), pad=False))
    put("safetensors", "metadata_only", st_file({"__metadata__": {"a": "b"}}))
    put("safetensors", "empty_object", st_file({}))
    put("safetensors", "overlap", st_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                                          bytes(16)))
    put("safetensors", "huge_shape", st_file({"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 16],
                                                    "data_offsets": [0, 8]}}, bytes(8)))


# ---- config JSON ----------------------------------------------------------------------------

MODELS = ["models/tiny-sd", "models/tiny-sd-inpaint", "configs/stable-diffusion-v1-5",
          "configs/stable-diffusion-inpainting", "configs/stable-diffusion-2-inpainting"]


def configs():
    for name, rel in [("unet_config", "unet/config.json"), ("vae_config", "vae/config.json"),
                      ("clip_text_config", "text_encoder/config.json"),
                      ("scheduler_config", "scheduler/scheduler_config.json")]:
        out_dir(name)
        for m in MODELS:
            put(name, os.path.basename(m) + ".json", read(REF, m, rel))
    # Python's non-standard literals, which diffusers writes.
    unet = json.loads(read(REF, "models/tiny-sd/unet/config.json"))
    text = json.dumps(unet, indent=1).replace('"freq_shift": 0', '"freq_shift": NaN')
    put("unet_config", "nan_literal.json", text.replace('"norm_eps": 1e-05', '"norm_eps": Infinity'))
    put("unet_config", "list_forms.json", json.dumps(dict(unet, layers_per_block=[1, 2], attention_head_dim=[2, 4],
                                                          cross_attention_dim=[32, 32],
                                                          only_cross_attention=[False, False])))
    te = json.loads(read(REF, "models/tiny-sd/text_encoder/config.json"))
    put("clip_text_config", "clip_config.json", json.dumps({"model_type": "clip", "text_config": te}))
    # The effective configs of the golden scheduler cases (every class and option the port has).
    seen = set()
    for case in json.loads(read(REF, "golden/e2e_schedulers.json"))["cases"]:
        p = case.get("params", {})
        cfg = dict(p.get("scheduler_config", {}), _class_name=p.get("scheduler", ""))
        key = json.dumps(cfg, sort_keys=True)
        if p.get("scheduler_config") and key not in seen:
            seen.add(key)
            put("scheduler_config", "golden_%s_%s.json" % (p["model"], p["cli_scheduler"]), key)
    sch = json.loads(read(REF, "models/tiny-sd/scheduler/scheduler_config.json"))
    put("scheduler_config", "use_default_values.json",
        json.dumps(dict(sch, _use_default_values=["prediction_type", "timestep_spacing"],
                        lambda_min_clipped=float("-inf"), trained_betas=[0.001, 0.002, 0.5])))


def model_index():
    out_dir("model_index")
    for m in MODELS:
        parts = [read(REF, m, f) for f in ["model_index.json", "unet/config.json", "text_encoder/config.json",
                                            "scheduler/scheduler_config.json"]]
        put("model_index", os.path.basename(m), SEP.join(parts))
    index = json.dumps({"metadata": {"total_size": 8},
                        "weight_map": {"a": "diffusion_pytorch_model-00001-of-00002.safetensors",
                                       "b": "diffusion_pytorch_model-00002-of-00002.safetensors"}})
    parts = [read(REF, "models/tiny-sd", f) for f in ["model_index.json", "unet/config.json",
                                                      "text_encoder/config.json", "scheduler/scheduler_config.json"]]
    put("model_index", "sharded", SEP.join(parts + [index.encode()]))
    put("model_index", "index_only", read(REF, "models/tiny-sd/model_index.json"))


# ---- CLIP tokenizer -------------------------------------------------------------------------

def tokenizer():
    out_dir("clip_tokenizer")
    vocab = json.loads(read(ROOT, "resources/clip/vocab.json"))
    merges = read(ROOT, "resources/clip/merges.txt").decode("utf-8").split("\n")
    # A slice: the 512 byte-level symbols, the first merges and their results, the specials.
    items = sorted(vocab.items(), key=lambda kv: kv[1])
    small = dict(items[:512])
    kept = merges[:1] + merges[1:400]
    for line in kept[1:]:
        a, b = line.split()
        if a + b in vocab:
            small[a + b] = vocab[a + b]
    for t in ["<|startoftext|>", "<|endoftext|>", "!"]:
        small[t] = vocab[t]
    v = json.dumps(small, ensure_ascii=False).encode()
    m = "\n".join(kept).encode() + b"\n"
    put("clip_tokenizer", "data_mode", v + SEP + m)
    tc = read(REF, "models/tiny-sd/tokenizer/tokenizer_config.json")
    stm = read(REF, "models/tiny-sd/tokenizer/special_tokens_map.json")
    prompt = "A photo of a cat, sitting; café 東京 12345 <|endoftext|> don't\tstop".encode()
    put("clip_tokenizer", "folder_legacy", SEP.join([v, m, tc, stm, prompt]))
    sd2 = json.loads(read(REF, "configs/stable-diffusion-2-inpainting/tokenizer/tokenizer_config.json"))
    put("clip_tokenizer", "folder_sd2", SEP.join(
        [v, m, json.dumps(sd2).encode(),
         read(REF, "configs/stable-diffusion-2-inpainting/tokenizer/special_tokens_map.json"), prompt]))
    decoder = json.loads(tc)
    decoder["added_tokens_decoder"] = {"49406": {"content": "<|startoftext|>", "special": True},
                                       "49407": {"content": "<|endoftext|>", "special": True}}
    decoder["model_max_length"] = 1e30
    decoder["pad_token"] = None
    put("clip_tokenizer", "folder_added_tokens", SEP.join([v, m, json.dumps(decoder).encode()]))


# ---- recipes ---------------------------------------------------------------------------------

def recipes():
    out_dir("recipe")
    src = read(ROOT, "tests/jobs/test_recipe.cpp").decode()
    # The QStringLiteral texts of the test (adjacent literals joined), unescaped as C++ would.
    n = 0
    for m in re.finditer(r'QStringLiteral\(((?:\s*"(?:[^"\\]|\\.)*")+)\s*\)', src):
        text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
        text = bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        if "Steps:" in text:
            put("recipe", "test_recipe_%02d.txt" % n, text)
            n += 1
    assert n >= 2, "no recipes found in tests/jobs/test_recipe.cpp"
    put("recipe", "classical.txt", "remove the lamp\nSteps: 0, Pipeline: classical-telea, Radius: 5, Size: 64x48")
    put("recipe", "quoted.txt", 'x\nNegative prompt: y\nSteps: 3, Model: "a, \\"b\\": c", Seed: 18446744073709551615, '
                                'CFG scale: nan, Eta: 1e308, Mask grow: -2147483648')


# ---- images ----------------------------------------------------------------------------------

def png_raw(width, height, bit_depth, colour_type, rows, extra=b""):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra + chunk(b"IDAT", zlib.compress(raw, 9)) +
            chunk(b"IEND", b""))


def images():
    from PIL import Image
    out_dir("image")
    w, h = 12, 8

    def pattern(mode):
        im = Image.new("RGBA", (w, h))
        for y in range(h):
            for x in range(w):
                im.putpixel((x, y), (x * 20, y * 30, 255 - x * 20, 255 if x < 6 else 90))
        return im.convert(mode) if mode != "RGBA" else im

    def save(im, file, fmt, **kw):
        b = io.BytesIO()
        im.save(b, fmt, **kw)
        put("image", file, b.getvalue())

    for mode in ["RGB", "RGBA", "L", "LA", "P", "1"]:
        save(pattern(mode), "png_%s.png" % mode.lower(), "PNG")
    p = pattern("P")
    save(p, "png_p_trns.png", "PNG", transparency=3)
    # 16-bit PNGs (PIL writes only grey I;16): grey, grey+alpha, RGB, RGBA by hand.
    for ct, ch, name in [(0, 1, "g16"), (4, 2, "ga16"), (2, 3, "rgb16"), (6, 4, "rgba16")]:
        rows = [b"".join(struct.pack(">H", (x * 5000 + y * 700 + c * 9000) & 0xffff) for x in range(w) for c in range(ch))
                for y in range(h)]
        put("image", "png_%s.png" % name, png_raw(w, h, 16, ct, rows))
    put("image", "png_header_only_huge.png", png_raw(30000, 30000, 8, 0, [])[:33])
    put("image", "png_text_parameters.png", png_raw(2, 2, 8, 0, [b"\x00\xff", b"\xff\x00"],
        extra=(lambda d: struct.pack(">I", len(d)) + b"tEXt" + d + struct.pack(">I", zlib.crc32(b"tEXt" + d)))(
            b"parameters\x00cat\nSteps: 20, Seed: 1")))
    # JPEGs with every EXIF orientation, grey, CMYK, progressive.
    rgb = pattern("RGB")
    for o in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = o
        save(rgb, "jpeg_exif%d.jpg" % o, "JPEG", quality=80, exif=exif.tobytes())
    save(pattern("L"), "jpeg_grey.jpg", "JPEG")
    save(rgb.convert("CMYK"), "jpeg_cmyk.jpg", "JPEG")
    save(rgb, "jpeg_progressive.jpg", "JPEG", progressive=True, quality=60)
    # TIFF: RGB, RGBA, grey 16-bit, with an orientation tag.
    save(rgb, "tiff_rgb.tif", "TIFF")
    save(pattern("RGBA"), "tiff_rgba.tif", "TIFF", compression="tiff_lzw")
    save(Image.frombytes("I;16", (w, h), bytes(range(2 * w * h))), "tiff_g16.tif", "TIFF")
    save(rgb, "tiff_orient6.tif", "TIFF", tiffinfo={0x0112: 6})
    # BMP: 24-bit, 8-bit palette, 1-bit; WebP lossy and lossless with alpha; GIF; PPM.
    save(rgb, "bmp_rgb.bmp", "BMP")
    save(pattern("P"), "bmp_p.bmp", "BMP")
    save(pattern("1"), "bmp_1.bmp", "BMP")
    save(rgb, "webp_lossy.webp", "WEBP", quality=50)
    save(pattern("RGBA"), "webp_lossless.webp", "WEBP", lossless=True)
    save(pattern("P"), "gif.gif", "GIF")
    save(rgb, "ppm.ppm", "PPM")


# ---- dictionaries (libFuzzer -dict): the keys and values of the seeds plus edge-case tokens ---

EDGE = ["null", "true", "false", "[]", "{}", "[0]", "NaN", "Infinity", "-Infinity", "0", "-1", "1e308", "-1e308",
        "4.5", "1e-400", "2147483648", "-2147483649", "4294967296", "9007199254740993", "9223372036854775807",
        "9223372036854775808", "-9223372036854775808", "18446744073709551615", "18446744073709551616",
        "4611686018427387904", "\"\\u0000\"", "\"\\ud800\""]


def dict_token(t):
    b = t.encode() if isinstance(t, str) else t
    esc = "".join(chr(c) if 32 <= c < 127 and chr(c) not in '"\\' else "\\x%02x" % c for c in b)
    return '"%s"' % esc


def json_tokens(v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(json.dumps(k) + ":")
            json_tokens(x, out)
    elif isinstance(v, list):
        for x in v:
            json_tokens(x, out)
    elif isinstance(v, str):
        out.add(json.dumps(v))


def dictionaries():
    d = os.path.join(ROOT, "tests", "fuzz", "dict")
    os.makedirs(d, exist_ok=True)
    for name in ["unet_config", "vae_config", "clip_text_config", "scheduler_config", "model_index",
                 "safetensors", "clip_tokenizer"]:
        tokens = set(EDGE)
        for f in sorted(os.listdir(os.path.join(OUT, name))):
            raw = read(OUT, name, f)
            if name == "safetensors":
                (n,) = struct.unpack("<Q", raw[:8])
                parts = [raw[8:8 + n]]
            else:
                parts = raw.split(SEP)
            for p in parts:
                try:
                    j = json.loads(p)
                except ValueError:
                    continue
                if name == "clip_tokenizer" and isinstance(j, dict) and len(j) > 100:
                    continue  # the vocabulary: its tokens are not interesting
                json_tokens(j, tokens)
        if name == "safetensors":
            tokens |= {'"%s"' % t for t in ["F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL",
                                            "U16", "F8_E4M3", "__metadata__", "dtype", "shape", "data_offsets"]}
        if name == "clip_tokenizer":
            tokens |= {SEP.decode(), "<|startoftext|>", "<|endoftext|>", "</w>"}
        if name == "model_index":
            tokens.add(SEP.decode())
        with open(os.path.join(d, name + ".dict"), "w") as f:
            f.write("# libFuzzer dictionary, written by tests/fuzz/make_corpus.py\n")
            for t in sorted(tokens):
                f.write(dict_token(t) + "\n")
    with open(os.path.join(d, "recipe.dict"), "w") as f:
        f.write("# libFuzzer dictionary, written by tests/fuzz/make_corpus.py\n")
        for t in ["Negative prompt: ", "Steps: ", "Sampler: ", "CFG scale: ", "Seed: ", "Size: ", "Model: ",
                  "Denoising strength: ", "Mask blur: ", "Mask grow: ", "Inpaint area: ", "Only masked",
                  "Whole picture", "Masked area padding: ", "Masked content: ", "latent noise", "Pipeline: ",
                  "Blend timing: ", "Eta: ", "Paste back: ", "off", "Radius: ", "classical-telea", "classical-ns",
                  "blend", "inpaint-unet", "auto", ", ", "\"", "\\", "\n", "Euler a", "DDIM", "DPM++ 2M Karras",
                  "18446744073709551616", "-1", "nan", "inf", "1e309", "2147483648"]:
            f.write(dict_token(t) + "\n")


if __name__ == "__main__":
    safetensors()
    configs()
    model_index()
    tokenizer()
    recipes()
    images()
    dictionaries()
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print("corpus: %d files, %d bytes" % (sum(len(fs) for _, _, fs in os.walk(OUT)), total))
