// inpaint-cli run: inpaint one image with a mask and write the result. It builds the same
// InpaintRequest the editor builds and runs it through the same jobs backend (synchronously:
// there is no UI to keep responsive), so CLI and editor share every pixel of the path.
//
// Safety rules: OUT is written only on success, through a temp file + rename; OUT may not be
// the input image or the mask unless --overwrite is given (and even then the original is only
// replaced once the new file is complete).
#include "app/cli/args.h"
#include "app/cli/cli_io.h"
#include "app/cli/commands.h"

#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/backend.h"
#include "core/jobs/diffusion_backend.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <new>
#include <stdexcept>

#include <unistd.h>

namespace inpaint::cli {

namespace {

std::string str(const QString& s) { return s.toStdString(); }

ArgParser makeParser()
{
    ArgParser p("run");
    p.option("--image", "IN", "input image: PNG, JPEG, WebP, TIFF or BMP")
        .option("--mask", "MASK", "mask image, white = repaint, black = keep (same size as IN)")
        .option("--out", "OUT", "output image; the format follows the extension")
        .option("--model", "DIR", "Stable Diffusion model (diffusers folder); without it only the classical pipelines run")
        .option("--pipeline", "NAME", "auto, blend, inpaint-unet, classical-telea or classical-ns; auto: inpaint-unet "
                                      "for a 9-channel UNet, blend for other models, classical-telea without --model",
                "auto")
        .option("--prompt", "TEXT", "what to paint into the masked area (empty: remove)", "")
        .option("--negative-prompt", "TEXT", "what to steer away from")
        .option("--scheduler", "NAME", "default (the model's own), ddim, pndm, euler, euler-a, dpmpp-2m, dpmpp-2m-karras or lms",
                "default")
        .option("--steps", "N", "denoising steps, 1-1000", "50")
        .option("--guidance", "G", "classifier-free guidance scale, 0-100 (1 or less: no unconditional pass)", "7.5")
        .option("--strength", "S", "how far the masked area is re-noised, (0, 1]", "1.0")
        .option("--eta", "E", "DDIM eta, 0-1", "0")
        .option("--seed", "N", "random seed, 0-18446744073709551615 (default: a random one, printed)")
        .option("--blend-timing", "WHEN", "blend: re-noise the known area to the next (diffusers) or current timestep",
                "next")
        .option("--masked-content", "WHAT", "blend: original, fill (Telea pre-fill) or latent-noise", "original")
        .option("--region", "MODE", "whole (the whole image) or masked (a crop around the mask)", "whole")
        .option("--region-padding", "PX", "masked region: pixels of context around the mask's box", "32")
        .option("--mask-blur", "PX", "feather of the paste-back edge outside the mask, 0-256", "4")
        .flag("--no-paste-back", "keep the model's pixels everywhere (unmasked pixels then change)")
        .option("--device", "DEV", "auto, cpu or cuda", "auto")
        .option("--dtype", "TYPE", "auto (fp16 on CUDA, fp32 on CPU), fp32, fp16 or bf16", "auto")
        .option("--preview-dir", "DIR", "write each step's preview as step-NNN.png there")
        .option("--preview", "KIND", "preview decoder for --preview-dir: approximate or full", "approximate")
        .option("--latents-out", "FILE", "write the final latents (tensor 'latents') as .safetensors")
        .flag("--shared-noise", "start from the seed's first draw whatever the pipeline (what compare slots do); "
                                "default: diffusers' draw order")
        .option("--radius", "R", "classical inpainting radius in pixels, 1-100", "5")
        .flag("--resize-mask", "scale a mask of another size to the image (nearest neighbour)")
        .flag("--overwrite", "allow OUT to be the input image or the mask")
        .flag("--verbose", "also print the decoders' warnings")
        .flag("--help", "this text");
    return p;
}

bool oneOf(const std::string& v, std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
        if (v == a) return true;
    return false;
}

// Reads the diffusion options into the request; false with *problem set (a usage error).
bool readDiffusionOptions(const ArgParser& p, jobs::InpaintRequest* r, std::string* problem)
{
    auto bad = [&](const std::string& name, const std::string& what) {
        *problem = "inpaint-cli run: " + name + " must be " + what + " (got '" + p.value(name) + "')";
        return false;
    };
    r->modelPath = QString::fromStdString(p.value("--model"));
    r->prompt = QString::fromStdString(p.value("--prompt"));
    r->negativePrompt = QString::fromStdString(p.value("--negative-prompt"));

    const QString scheduler = QString::fromStdString(p.value("--scheduler")).toLower();
    const QStringList names = jobs::schedulerNames();
    if (!names.contains(scheduler)) return bad("--scheduler", "one of " + names.join(QStringLiteral(", ")).toStdString());
    r->scheduler = scheduler;
    if (!p.intValue("--steps", 1, 1000, &r->steps, problem)) return false;
    if (!p.doubleValue("--guidance", 0.0, 100.0, &r->guidance, problem)) return false;
    if (!p.doubleValue("--strength", 0.0, 1.0, &r->strength, problem)) return false;
    if (r->strength <= 0.0) return bad("--strength", "greater than 0 and at most 1");
    if (int(r->steps * r->strength) < 1)
        return bad("--strength", "large enough that steps x strength leaves at least one step");
    if (!p.doubleValue("--eta", 0.0, 1.0, &r->eta, problem)) return false;
    if (p.has("--seed")) {
        std::uint64_t seed = 0;
        if (!p.uint64Value("--seed", &seed, problem)) return false;
        r->seed = seed;
    } else {
        r->seed = QRandomGenerator::system()->generate();  // 32 bits: easy to retype
    }
    const std::string timing = p.value("--blend-timing");
    if (!oneOf(timing, {"next", "current"})) return bad("--blend-timing", "next or current");
    r->blendTiming = QString::fromStdString(timing);
    const std::string content = p.value("--masked-content");
    if (!oneOf(content, {"original", "fill", "latent-noise"})) return bad("--masked-content", "original, fill or latent-noise");
    r->maskedContent = QString::fromStdString(content);
    const std::string region = p.value("--region");
    if (!oneOf(region, {"whole", "masked"})) return bad("--region", "whole or masked");
    r->region = QString::fromStdString(region);
    if (!p.intValue("--region-padding", 0, 4096, &r->regionPadding, problem)) return false;
    if (!p.doubleValue("--mask-blur", 0.0, 256.0, &r->maskBlur, problem)) return false;
    r->pasteBack = !p.has("--no-paste-back");
    const std::string device = p.value("--device");
    if (!oneOf(device, {"auto", "cpu", "cuda"})) return bad("--device", "auto, cpu or cuda");
    r->device = QString::fromStdString(device);
    const std::string dtype = p.value("--dtype");
    if (!oneOf(dtype, {"auto", "fp32", "fp16", "bf16"})) return bad("--dtype", "auto, fp32, fp16 or bf16");
    r->dtype = QString::fromStdString(dtype);
    const std::string preview = p.value("--preview");
    if (!oneOf(preview, {"approximate", "full"})) return bad("--preview", "approximate or full");
    r->previewMode = p.has("--preview-dir") ? QString::fromStdString(preview) : QStringLiteral("none");
    r->latentsOut = QString::fromStdString(p.value("--latents-out"));
    r->sharedNoise = p.has("--shared-noise");
    return true;
}

// The work after the command line is understood: returns an exit code and sets *error.
int runInpaint(const ArgParser& p, jobs::InpaintRequest request, std::string* error)
{
    auto fail = [&](const QString& msg) {
        *error = msg.toStdString();
        return kExitFailure;
    };
    const QString in = QString::fromStdString(p.value("--image"));
    const QString maskPath = QString::fromStdString(p.value("--mask"));
    const QString out = QString::fromStdString(p.value("--out"));
    const QString previewDir = QString::fromStdString(p.value("--preview-dir"));

    QElapsedTimer timer;
    timer.start();
    QString err;
    QImage mask;
    if (!loadImageAndMask(in, maskPath, p.has("--resize-mask"), &request.image, &mask, &err)) return fail(err);
    request.mask = mask;
    const qint64 covered = imaging::maskCoverage(mask);

    if (!previewDir.isEmpty() && !QDir().mkpath(previewDir))
        return fail(QStringLiteral("Cannot create the preview folder '%1'.").arg(previewDir));

    QString backendError;
    auto backend = jobs::defaultBackendFactory()(request, &backendError);
    if (!backend) return fail(backendError);
    const std::atomic<bool> cancel{false};
    QString previewError;
    jobs::StepSink onStep;
    if (!previewDir.isEmpty()) {
        onStep = [&](const jobs::StepReport& s) {
            if (s.preview.isNull() || !previewError.isEmpty()) return;
            const QString path = QDir(previewDir).filePath(QStringLiteral("step-%1.png").arg(s.step, 3, 10, QChar('0')));
            QString e;
            if (!imaging::saveImage(s.preview, path, &e)) previewError = e;
        };
    }
    const jobs::InpaintResult result = backend->run(request, onStep, cancel);
    if (!result.ok()) return fail(result.error.isEmpty() ? QStringLiteral("Inpainting failed.") : result.error);
    if (!previewError.isEmpty()) return fail(QStringLiteral("Writing a preview failed: %1").arg(previewError));

    if (!imaging::saveImage(result.image, out, &err)) return fail(err);

    const bool neural = !jobs::isClassical(request.pipeline) && !request.modelPath.isEmpty();
    QString how;
    if (neural) {
        how = QStringLiteral("%1, scheduler %2, %3 steps, guidance %4, strength %5, seed %6")
                  .arg(jobs::pipelineName(request.pipeline), request.scheduler)
                  .arg(request.steps)
                  .arg(request.guidance)
                  .arg(request.strength)
                  .arg(request.seed);
    } else {
        how = QStringLiteral("%1 radius %2").arg(jobs::pipelineName(request.pipeline)).arg(request.classicalRadius);
    }
    std::printf("wrote %s: %dx%d %s, %s, %lld masked pixels%s, %.2f s\n", qPrintable(out), result.image.width(),
                result.image.height(), qPrintable(imaging::documentFormatName(result.image.format())), qPrintable(how),
                static_cast<long long>(covered), covered == 0 ? " (empty mask: output equals input)" : "",
                timer.elapsed() / 1000.0);
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace

int cmdRun(const Args& args)
{
    ArgParser p = makeParser();
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli run --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--image", "--mask", "--out"}, &problem)) return printError(problem, kExitUsage);

    jobs::InpaintRequest request;
    const QString pipeline = QString::fromStdString(p.value("--pipeline"));
    if (!jobs::parsePipelineName(pipeline, &request.pipeline))
        return printError("inpaint-cli run: unknown pipeline '" + str(pipeline) +
                              "' (use auto, blend, inpaint-unet, classical-telea or classical-ns)", kExitUsage);
    const bool hasModel = p.has("--model");
    if (!jobs::isClassical(request.pipeline) && request.pipeline != jobs::PipelineKind::Auto && !hasModel)
        return printError("inpaint-cli run: the " + str(pipeline) +
                              " pipeline needs a Stable Diffusion model: add --model DIR (a diffusers folder), "
                              "or use classical-telea or classical-ns", kExitUsage);
    if (request.pipeline == jobs::PipelineKind::Auto && !hasModel) request.pipeline = jobs::PipelineKind::ClassicalTelea;
    if (!p.intValue("--radius", 1, 100, &request.classicalRadius, &problem)) return printError(problem, kExitUsage);
    if (!jobs::isClassical(request.pipeline) && !readDiffusionOptions(p, &request, &problem))
        return printError(problem, kExitUsage);

    const QString in = QString::fromStdString(p.value("--image"));
    const QString maskPath = QString::fromStdString(p.value("--mask"));
    const QString out = QString::fromStdString(p.value("--out"));
    if (!imaging::isSupportedSavePath(out))
        return printError("inpaint-cli run: cannot write '" + str(out) +
                              "': use a .png, .jpg, .jpeg, .webp, .tif, .tiff or .bmp file name", kExitUsage);
    if (!p.has("--overwrite")) {
        if (sameFile(out, in))
            return printError("inpaint-cli run: --out '" + str(out) +
                                  "' is the input image; refusing to overwrite it (add --overwrite to allow this)",
                              kExitUsage);
        if (sameFile(out, maskPath))
            return printError("inpaint-cli run: --out '" + str(out) +
                                  "' is the mask; refusing to overwrite it (add --overwrite to allow this)",
                              kExitUsage);
    }

    std::string error;
    int code;
    std::string decoderOutput;
    {
        StderrCapture capture;
        try {
            code = runInpaint(p, std::move(request), &error);
        } catch (const std::bad_alloc&) {
            code = kExitFailure;
            error = "There is not enough memory for this image.";
        } catch (const std::exception& e) {
            code = kExitFailure;
            error = std::string("Unexpected error: ") + e.what();
        }
        decoderOutput = capture.release();
    }
    if (p.has("--verbose") && !decoderOutput.empty()) std::fputs(decoderOutput.c_str(), stderr);
    return code == kExitOk ? kExitOk : printError(error, code);
}

}  // namespace inpaint::cli
