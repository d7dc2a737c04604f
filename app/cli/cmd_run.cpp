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
#include "core/imaging/outpaint.h"
#include "app/cli/request_options.h"
#include "core/jobs/backend.h"
#include "core/jobs/model_files.h"
#include "core/jobs/model_library.h"
#include "core/jobs/recipe.h"
#include "core/jobs/run_job.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QImageReader>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <new>
#include <stdexcept>

#include <unistd.h>

namespace inpaint::cli {

namespace {

std::string str(const QString& s) { return s.toStdString(); }

ArgParser makeParser(bool outpaint)
{
    ArgParser p(outpaint ? "outpaint" : "run");
    if (outpaint)
        p.option("--left", "PX", "pixels to add on the left", "0")
            .option("--right", "PX", "pixels to add on the right", "0")
            .option("--top", "PX", "pixels to add at the top", "0")
            .option("--bottom", "PX", "pixels to add at the bottom", "0")
            .option("--prefill", "HOW", "what the new pixels start as: " +
                                            imaging::prefillNames().join(QStringLiteral(", ")).toStdString() +
                                            " (edge: the nearest edge pixel repeated, telea: OpenCV's Telea from the "
                                            "picture, noise: seeded noise)",
                    "edge")
            .option("--overlap", "PX", "how far the mask reaches into the old picture along each grown side", "16")
            .option("--mask-out", "FILE", "also write the mask that was made (white = painted)");
    p.option("--out", "OUT", "output image; the format follows the extension (PNGs carry the recipe)")
        .option("--model", "DIR", "Stable Diffusion model (diffusers folder); without it only the classical pipelines run")
        .option("--pipeline", "NAME", "auto, blend, inpaint-unet, img2img, classical-telea or classical-ns; auto: "
                                      "inpaint-unet for a 9-channel UNet, blend for other models, classical-telea "
                                      "without --model; img2img re-does the whole image (--mask optional: where the "
                                      "result is pasted back)",
                "auto");
    p.option("--recipe", "PNG", "re-run the recipe (A1111 parameters) stored in PNG; the options given here override "
                                "it, and without --model its Model (and Model hash) is looked up in $INPAINT_MODELS_PATH "
                                "and the default models folder");
    addRequestOptions(p);
    p.option("--preview-dir", "DIR", "write each step's preview as step-NNN.png there")
        .option("--preview", "KIND", "preview decoder for --preview-dir: approximate, full, tiny (needs --tiny-vae; "
                                     "the default with it) or tiny-half (the tiny VAE from latents pooled 2x2, a "
                                     "quarter of its cost, scaled back up)", "approximate")
        .option("--latents-out", "FILE", "write the final latents (tensor 'latents') as .safetensors")
        .flag("--shared-noise", "start from the seed's first draw whatever the pipeline (what compare slots do); "
                                "default: diffusers' draw order")
        .flag("--overwrite", "allow OUT to be the input image or the mask")
        .flag("--verbose", "also print the decoders' warnings")
        .flag("--help", "this text");
    return p;
}

// The models folders the CLI knows: $INPAINT_MODELS_PATH (colon-separated), then the default one.
QStringList modelFolders()
{
    QStringList folders = qEnvironmentVariable("INPAINT_MODELS_PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    folders << jobs::defaultModelsFolder();
    return folders;
}

// The recipe's model: by name (folder name, file name or file stem), preferring the one whose
// A1111 short hash matches when the recipe has one, else any single file with that hash.
QString findRecipeModel(const QString& name, const QString& hash, QString* error)
{
    const QStringList folders = modelFolders();
    const QList<jobs::ModelInfo> models = jobs::scanModelFolders(folders);
    auto hashOf = [](const jobs::ModelInfo& m) { return m.singleFile ? jobs::fileSha256(m.path).left(10) : QString(); };
    QList<jobs::ModelInfo> named;
    for (const jobs::ModelInfo& m : models)
        if (m.ok() && (m.name == name || QFileInfo(m.path).completeBaseName() == name)) named << m;
    if (!hash.isEmpty()) {
        for (const jobs::ModelInfo& m : named)
            if (hashOf(m) == hash) return m.path;
    }
    if (!named.isEmpty()) {
        if (!hash.isEmpty())
            std::fprintf(stderr, "inpaint-cli run: warning: '%s' has another hash than the recipe's %s; using it anyway\n",
                         qPrintable(named.front().path), qPrintable(hash));
        return named.front().path;
    }
    if (!hash.isEmpty())
        for (const jobs::ModelInfo& m : models)
            if (m.ok() && hashOf(m) == hash) return m.path;
    *error = QStringLiteral("the recipe's model '%1'%2 is not in the models folders (%3); pass --model")
                 .arg(name, hash.isEmpty() ? QString() : QStringLiteral(" (hash %1)").arg(hash),
                      folders.join(QStringLiteral(", ")));
    return {};
}

// --recipe: the PNG's `parameters` text into `r` (and the model, unless --model names one).
bool readRecipe(const QString& png, bool haveModel, jobs::InpaintRequest* r, QString* error)
{
    if (QImageReader reader(png); !reader.canRead()) {
        *error = QStringLiteral("cannot read the recipe image '%1': %2").arg(png, reader.errorString());
        return false;
    }
    const QString text = imaging::readImageParameters(png);
    QString modelName, modelHash;
    if (text.isEmpty() || !jobs::parseParameters(text, r, &modelName, &modelHash)) {
        *error = QStringLiteral("'%1' holds no recipe (no A1111 'parameters' text with a settings line)").arg(png);
        return false;
    }
    if (haveModel || jobs::isClassical(r->pipeline)) return true;
    if (modelName.isEmpty()) {
        *error = QStringLiteral("the recipe in '%1' names no model; pass --model").arg(png);
        return false;
    }
    r->modelPath = findRecipeModel(modelName, modelHash, error);
    return !r->modelPath.isEmpty();
}

// The work after the command line is understood: returns an exit code and sets *error.
int runInpaint(const ArgParser& p, jobs::InpaintRequest request, std::string* error, bool outpaint)
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
    if (outpaint) {
        const QImage image = imaging::loadImage(in, &err);
        if (image.isNull()) return fail(err);
        imaging::CanvasExtension e;
        int overlap = 16;
        std::string problem;
        if (!p.intValue("--left", 0, 65535, &e.left, &problem) || !p.intValue("--right", 0, 65535, &e.right, &problem) ||
            !p.intValue("--top", 0, 65535, &e.top, &problem) || !p.intValue("--bottom", 0, 65535, &e.bottom, &problem) ||
            !p.intValue("--overlap", 0, 4096, &overlap, &problem))
            return fail(QString::fromStdString(problem));
        const auto prefill = imaging::parsePrefill(QString::fromStdString(p.value("--prefill")));
        if (!prefill)
            return fail(QStringLiteral("--prefill must be %1 (got '%2')")
                            .arg(imaging::prefillNames().join(QStringLiteral(", ")), QString::fromStdString(p.value("--prefill"))));
        const auto extended = imaging::extendCanvas(image, e, *prefill, overlap, &err, request.seed);
        if (!extended) return fail(err);
        request.image = extended->image;
        mask = extended->mask;
        if (const QString maskOut = QString::fromStdString(p.value("--mask-out")); !maskOut.isEmpty())
            if (!imaging::saveImage(mask, maskOut, &err)) return fail(err);
    } else if (maskPath.isEmpty()) {  // img2img without a mask: the whole image
        request.image = imaging::loadImage(in, &err);
        if (request.image.isNull()) return fail(err);
        mask = QImage(request.image.size(), QImage::Format_Grayscale8);
        if (mask.isNull()) return fail(QStringLiteral("There is not enough memory for this image."));
        mask.fill(255);
    } else if (!loadImageAndMask(in, maskPath, p.has("--resize-mask"), &request.image, &mask, &err)) {
        return fail(err);
    }
    request.mask = mask;
    const qint64 covered = imaging::maskCoverage(mask);

    if (!previewDir.isEmpty() && !QDir().mkpath(previewDir))
        return fail(QStringLiteral("Cannot create the preview folder '%1'.").arg(previewDir));

    const QString model = QFileInfo(request.modelPath).fileName();
    QString previewError;
    jobs::StepSink onStep;
    if (!previewDir.isEmpty()) {
        onStep = [&](const jobs::StepReport& s) {
            if (s.preview.isNull() || !previewError.isEmpty()) return;
            const QString path = QDir(previewDir).filePath(QStringLiteral("step-%1.png").arg(s.step, 3, 10, QChar('0')));
            QString e;
            if (!imaging::saveImage(s.preview, path, &e, 95, jobs::formatParameters(request, s.preview.size(), model)))
                previewError = e;
        };
    }
    const std::atomic<bool> cancel{false};
    const jobs::InpaintResult result = jobs::runJob(request, jobs::defaultBackendFactory(), onStep, cancel);
    if (!result.ok()) return fail(result.error.isEmpty() ? QStringLiteral("Inpainting failed.") : result.error);
    if (!previewError.isEmpty()) return fail(QStringLiteral("Writing a preview failed: %1").arg(previewError));

    if (!imaging::saveImage(result.image, out, &err, 95, jobs::formatParameters(request, result.image.size(), model)))
        return fail(err);

    const bool neural = !jobs::isClassical(request.pipeline) && !request.modelPath.isEmpty();
    QString how;
    if (neural) {
        how = QStringLiteral("%1, scheduler %2, %3 steps, guidance %4, strength %5, seed %6, on %7")
                  .arg(jobs::pipelineName(request.pipeline), request.scheduler)
                  .arg(request.steps)
                  .arg(request.guidance)
                  .arg(request.strength)
                  .arg(result.seed)
                  .arg(result.engine);
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

namespace {

int runCommand(const Args& args, bool outpaint)
{
    ArgParser p = makeParser(outpaint);
    const std::string name = outpaint ? "outpaint" : "run";
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli " + name + " --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    // img2img needs no mask (white: the whole image); the recipe's pipeline counts too.
    const bool maskOptional = outpaint || p.value("--pipeline") == "img2img" || (p.has("--recipe") && !p.has("--pipeline"));
    if (!p.require(maskOptional ? std::vector<std::string>{"--image", "--out"}
                                : std::vector<std::string>{"--image", "--mask", "--out"},
                   &problem))
        return printError(problem, kExitUsage);
    if (outpaint && (p.has("--mask") || p.has("--resize-mask")))
        return printError("inpaint-cli outpaint: the mask is made from --left/--right/--top/--bottom; --mask is not used",
                          kExitUsage);

    jobs::InpaintRequest request;
    const bool recipe = p.has("--recipe");
    if (recipe) {
        QString err;
        if (!readRecipe(QString::fromStdString(p.value("--recipe")), p.has("--model"), &request, &err))
            return printError("inpaint-cli run: " + str(err), kExitFailure);
    }
    if (!recipe || p.has("--pipeline")) {
        const QString pipeline = QString::fromStdString(p.value("--pipeline"));
        if (!jobs::parsePipelineName(pipeline, &request.pipeline))
            return printError("inpaint-cli run: unknown pipeline '" + str(pipeline) + "' (use " +
                                  jobs::names<jobs::PipelineKind>().join(", ").toStdString() + ")",
                              kExitUsage);
    }
    if (p.has("--model") || !recipe) request.modelPath = QString::fromStdString(p.value("--model"));
    if (request.pipeline == jobs::PipelineKind::Auto && request.modelPath.isEmpty())
        request.pipeline = jobs::PipelineKind::ClassicalTelea;
    if (!outpaint && !p.has("--mask") && request.pipeline != jobs::PipelineKind::Img2Img)
        return printError("inpaint-cli run: --mask is required (only --pipeline img2img runs without one)", kExitUsage);
    if (!readRequestOptions(p, &request, &problem, recipe)) return printError(problem, kExitUsage);
    // Outpainting paints a strip: only that region, at the model's native size, unless asked otherwise.
    if (outpaint && !p.has("--region")) request.region = jobs::RegionMode::Masked;
    if (recipe) {
        QString err;
        if (!jobs::resolveNamedFiles(&request, &err)) return printError("inpaint-cli run: " + str(err), kExitFailure);
    }
    const std::string preview = p.value("--preview");
    if (preview != "approximate" && preview != "full" && preview != "tiny" && preview != "tiny-half")
        return printError("inpaint-cli run: --preview must be approximate, full, tiny or tiny-half (got '" + preview + "')",
                          kExitUsage);
    if ((preview == "tiny" || preview == "tiny-half") && request.tinyVaePath.isEmpty())
        return printError("inpaint-cli run: --preview " + preview + " needs --tiny-vae DIR (a TAESD folder)", kExitUsage);
    if (request.tinyDecoder && request.tinyVaePath.isEmpty())
        return printError(std::string("inpaint-cli run: ") +
                              (p.has("--decoder") ? "--decoder tiny" : "the recipe's 'VAE Decoder: TAESD'") +
                              " needs --tiny-vae DIR (a TAESD folder)",
                          kExitUsage);
    const bool tinyByDefault = !p.has("--preview") && !request.tinyVaePath.isEmpty();
    request.previewMode = !p.has("--preview-dir")             ? jobs::PreviewMode::None
                          : preview == "full"                 ? jobs::PreviewMode::Full
                          : preview == "tiny-half"            ? jobs::PreviewMode::TinyHalf
                          : preview == "tiny" || tinyByDefault ? jobs::PreviewMode::Tiny
                                                              : jobs::PreviewMode::Approximate;
    request.latentsOut = QString::fromStdString(p.value("--latents-out"));
    request.sharedNoise = p.has("--shared-noise");
    if (const std::string bad = checkRequest("run", request); !bad.empty()) return printError(bad, kExitUsage);

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
            code = runInpaint(p, std::move(request), &error, outpaint);
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

}  // namespace

int cmdRun(const Args& args) { return runCommand(args, false); }
int cmdOutpaint(const Args& args) { return runCommand(args, true); }

}  // namespace inpaint::cli
