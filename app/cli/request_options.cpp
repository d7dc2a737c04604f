// The shared option table of inpaint-cli run / compare (see request_options.h).
#include "app/cli/request_options.h"

#include "core/jobs/engine_info.h"

#include <QString>

#include <climits>
#include <cfloat>

namespace inpaint::cli {

namespace {

std::string range(double lo, double hi) { return QStringLiteral("%1-%2").arg(lo).arg(hi).toStdString(); }

template <class E> std::string choices() { return jobs::names<E>().join(QStringLiteral(", ")).toStdString(); }

// An enum option: its spelling from the request's own table.
template <class E> bool readEnum(const ArgParser& p, const std::string& option, E* out, std::string* problem)
{
    const std::string v = p.value(option);
    if (const auto e = jobs::parse<E>(QString::fromStdString(v))) {
        *out = *e;
        return true;
    }
    *problem = "inpaint-cli " + p.command() + ": " + option + " must be one of " + choices<E>() + " (got '" + v + "')";
    return false;
}

// "A,B": two integers (the micro-conditioning's pairs, diffusers' order).
bool readPair(const ArgParser& p, const std::string& option, int* a, int* b, std::string* problem)
{
    const QStringList parts = QString::fromStdString(p.value(option)).split(QLatin1Char(','));
    bool okA = false, okB = false;
    if (parts.size() == 2) {
        *a = parts[0].trimmed().toInt(&okA);
        *b = parts[1].trimmed().toInt(&okB);
    }
    if (okA && okB) return true;
    *problem = "inpaint-cli " + p.command() + ": " + option + " takes two integers separated by a comma (got '" +
               p.value(option) + "')";
    return false;
}

}  // namespace

void addRequestOptions(ArgParser& p, bool withInputFiles)
{
    using namespace jobs::limits;
    const jobs::InpaintRequest d;  // the defaults
    if (withInputFiles)
        p.option("--image", "IN", "input image: PNG, JPEG, WebP, TIFF or BMP")
            .option("--mask", "MASK", "mask image, white = repaint, black = keep (same size as IN)");
    p.flag("--resize-mask", "scale a mask of another size to the image (nearest neighbour)")
        .option("--prompt", "TEXT", "what to paint into the masked area (empty: remove)", "")
        .option("--negative-prompt", "TEXT", "what to steer away from")
        .option("--scheduler", "NAME", "default (the model's own), " +
                                           jobs::schedulerNames().mid(1).join(QStringLiteral(", ")).toStdString(),
                "default")
        .option("--steps", "N", "denoising steps, " + range(kStepsMin, kStepsMax), "50")
        .option("--guidance", "G", "classifier-free guidance scale, " + range(kGuidanceMin, kGuidanceMax) +
                                       " (1 or less: no unconditional pass)",
                "7.5")
        .option("--strength", "S", "how far the masked area is re-noised, (0, 1]", "1.0")
        .option("--eta", "E", "DDIM eta, " + range(kEtaMin, kEtaMax), "0")
        .option("--seed", "N", "random seed, 0-18446744073709551615 (default: a random one, printed)")
        .option("--blend-timing", "WHEN", "blend: re-noise the known area to the next (diffusers) or current timestep",
                jobs::name(d.blendTiming).toStdString())
        .option("--masked-content", "WHAT", "blend: " + choices<jobs::MaskedContent>() + " (fill: Telea pre-fill)",
                jobs::name(d.maskedContent).toStdString())
        .option("--region", "MODE", "whole (the whole image) or masked (a crop around the mask at the model's size)",
                jobs::name(d.region).toStdString())
        .option("--region-padding", "PX", "masked region: pixels of context around the mask's box, " +
                                              range(kRegionPaddingMin, kRegionPaddingMax),
                std::to_string(d.regionPadding))
        .option("--mask-grow", "PX", "grow (> 0) or shrink (< 0) the mask first, " + range(kMaskGrowMin, kMaskGrowMax),
                std::to_string(d.maskGrow))
        .option("--mask-blur", "PX", "feather of the paste-back edge outside the mask, " + range(kMaskBlurMin, kMaskBlurMax),
                "4")
        .flag("--no-paste-back", "keep the model's pixels everywhere (unmasked pixels then change)")
        .flag("--soft-inpaint", "soft inpainting (Differential Diffusion): the grey mask, blurred by --mask-blur, says "
                                "how much each pixel may change, step by step; pasted back with it as the alpha")
        .option("--device", "DEV", choices<jobs::Device>(), jobs::name(d.device).toStdString())
        .option("--dtype", "TYPE", choices<jobs::Precision>() + " (auto: fp16 on CUDA; on the CPU bf16 where AVX-512 BF16 measures at least 1.2x fp32, else fp32)",
                jobs::name(d.dtype).toStdString())
        .option("--radius", "R", "classical inpainting radius in pixels, " + range(kRadiusMin, kRadiusMax),
                std::to_string(d.classicalRadius))
        .option("--original-config", "YAML", "single file: the LDM .yaml to use (default: <stem>.yaml beside it, "
                                             "else the real SD config of its family)")
        .option("--config", "DIR", "single file: take the configs from this diffusers folder (all of them, or with "
                                   "--original-config only the text encoder's and tokenizer's)")
        .option("--prediction-type", "TYPE", "single file: epsilon or v_prediction (default: from the config)")
        .flag("--ema", "single file: load the EMA UNet weights")
        .flag("--no-ema", "single file: load the regular UNet weights (the default)")
        .repeatable("--lora", "FILE[:WEIGHT]", "a LoRA to merge (text encoder and UNet at WEIGHT, default 1); repeatable")
        .repeatable("--lora-dir", "DIR", "where <lora:NAME:WEIGHT> tags in the prompt are looked up (also loras/ beside "
                                         "the model); repeatable")
        .repeatable("--embeddings-dir", "DIR", "textual-inversion embeddings, the trigger is the file name (also "
                                               "embeddings/ beside the model); repeatable")
        .option("--clip-skip", "N", "A1111's Clip skip: 1 = the text encoder's last layer, 2 = the one before, ...", "1")
        .option("--tiny-vae", "DIR", "a diffusers AutoencoderTiny (TAESD) folder: step previews decoded with it "
                                     "(--preview tiny, the default when it is given)")
        .option("--decoder", "WHICH", "the final decode: vae (the model's, the default) or tiny (the --tiny-vae, "
                                      "much faster, lower quality; the recipe says VAE Decoder: TAESD)", "vae")
        .option("--vae-tiling", "MODE", choices<jobs::VaeTiling>() + ": VAE encode/decode in " +
                                            "overlapping tiles (diffusers' enable_tiling); auto tiles images over 1024x1024 px",
                jobs::name(d.vaeTiling).toStdString())
        .option("--vae", "FILE|DIR", "a VAE file (.safetensors/.ckpt, LDM or diffusers names) or vae/ folder to use instead of the model's")
        .option("--original-size", "H,W", "SDXL micro-conditioning, diffusers' original_size (default: the work size; "
                                          "only masked: the whole image at the crop's scale)")
        .option("--crops-coords-top-left", "TOP,LEFT", "SDXL micro-conditioning, diffusers' crops_coords_top_left "
                                                       "(default 0,0; only masked: the crop's offset at its scale)")
        .option("--target-size", "H,W", "SDXL micro-conditioning, diffusers' target_size (default: the work size)");
}

bool readRequestOptions(const ArgParser& p, jobs::InpaintRequest* r, std::string* problem, bool onlyGiven)
{
    // With a recipe underneath, an option counts only when it was given.
    auto use = [&](const char* name) { return !onlyGiven || p.has(name); };
    if (use("--prompt")) r->prompt = QString::fromStdString(p.value("--prompt"));
    if (use("--negative-prompt")) r->negativePrompt = QString::fromStdString(p.value("--negative-prompt"));
    if (use("--scheduler")) r->scheduler = QString::fromStdString(p.value("--scheduler")).toLower();
    // Types here; ranges in validate() (checkRequest), so every front end has the same limits.
    auto intOpt = [&](const char* name, int* out) { return !use(name) || p.intValue(name, INT_MIN, INT_MAX, out, problem); };
    auto doubleOpt = [&](const char* name, double* out) {
        return !use(name) || p.doubleValue(name, -DBL_MAX, DBL_MAX, out, problem);
    };
    if (!intOpt("--steps", &r->steps) || !doubleOpt("--guidance", &r->guidance) ||
        !doubleOpt("--strength", &r->strength) || !doubleOpt("--eta", &r->eta) ||
        !intOpt("--region-padding", &r->regionPadding) || !intOpt("--mask-grow", &r->maskGrow) ||
        !doubleOpt("--mask-blur", &r->maskBlur) || !intOpt("--radius", &r->classicalRadius))
        return false;
    if (p.has("--seed")) {
        std::uint64_t seed = 0;
        if (!p.uint64Value("--seed", &seed, problem)) return false;
        r->seed = seed;
        r->randomSeed = false;
    } else if (!onlyGiven) {
        r->randomSeed = true;
        r->resolveSeed();
    }
    auto enumOpt = [&](const char* name, auto* out) { return !use(name) || readEnum(p, name, out, problem); };
    if (!enumOpt("--blend-timing", &r->blendTiming) || !enumOpt("--masked-content", &r->maskedContent) ||
        !enumOpt("--region", &r->region) || !enumOpt("--device", &r->device) || !enumOpt("--dtype", &r->dtype) ||
        !enumOpt("--vae-tiling", &r->vaeTiling))
        return false;
    if (use("--decoder")) {
        const std::string d = p.value("--decoder");
        if (d != "vae" && d != "tiny") {
            *problem = "inpaint-cli " + p.command() + ": --decoder must be vae or tiny (got '" + d + "')";
            return false;
        }
        r->tinyDecoder = d == "tiny";
    }
    if (use("--no-paste-back")) r->pasteBack = !p.has("--no-paste-back");
    if (use("--soft-inpaint")) r->softInpaint = p.has("--soft-inpaint");
    if (use("--original-config")) r->originalConfig = QString::fromStdString(p.value("--original-config"));
    if (use("--config")) r->configDir = QString::fromStdString(p.value("--config"));
    if (use("--prediction-type")) r->predictionType = QString::fromStdString(p.value("--prediction-type"));
    if (!r->predictionType.isEmpty() && r->predictionType != QLatin1String("epsilon") &&
        r->predictionType != QLatin1String("v_prediction")) {
        *problem = "inpaint-cli " + p.command() + ": --prediction-type must be epsilon or v_prediction (got '" +
                   r->predictionType.toStdString() + "')";
        return false;
    }
    if (p.has("--ema") && p.has("--no-ema")) {
        *problem = "inpaint-cli " + p.command() + ": --ema and --no-ema exclude each other";
        return false;
    }
    if (use("--ema") || p.has("--no-ema")) r->ema = p.has("--ema");
    if (use("--vae")) r->vaePath = QString::fromStdString(p.value("--vae"));
    if (use("--tiny-vae")) r->tinyVaePath = QString::fromStdString(p.value("--tiny-vae"));
    if (!intOpt("--clip-skip", &r->clipSkip)) return false;
    if (use("--lora")) {
        r->loras.clear();
        for (const std::string& v : p.values("--lora")) {
            jobs::LoraUse l;
            l.file = QString::fromStdString(v);
            // FILE:WEIGHT when what follows the last ':' is a number (paths may hold ':' too).
            if (const auto colon = v.rfind(':'); colon != std::string::npos && colon > 0) {
                bool ok = false;
                const double w = QString::fromStdString(v.substr(colon + 1)).toDouble(&ok);
                if (ok) {
                    l.file = QString::fromStdString(v.substr(0, colon));
                    l.weight = w;
                }
            }
            r->loras.append(l);
        }
    }
    int a = 0, b = 0;
    if (p.has("--original-size")) {
        if (!readPair(p, "--original-size", &a, &b, problem)) return false;
        r->originalSize = QSize(b, a);
    }
    if (p.has("--crops-coords-top-left")) {
        if (!readPair(p, "--crops-coords-top-left", &a, &b, problem)) return false;
        r->cropsTopLeft = QPoint(b, a);
    }
    if (p.has("--target-size")) {
        if (!readPair(p, "--target-size", &a, &b, problem)) return false;
        r->targetSize = QSize(b, a);
    }
    for (const std::string& v : p.values("--lora-dir")) r->loraDirs << QString::fromStdString(v);
    for (const std::string& v : p.values("--embeddings-dir")) r->embeddingDirs << QString::fromStdString(v);
    return true;
}

std::string checkRequest(const std::string& command, const jobs::InpaintRequest& r)
{
    QStringList parts;
    for (const jobs::Violation& v : r.validate(false)) parts << QStringLiteral("--%1 %2").arg(v.key, v.message);
    if (parts.isEmpty()) return {};
    return "inpaint-cli " + command + ": " + parts.join(QStringLiteral("; ")).toStdString();
}

}  // namespace inpaint::cli
