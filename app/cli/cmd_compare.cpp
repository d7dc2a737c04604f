// inpaint-cli compare: the same image, mask, prompt and seed through 2 to 4 slots (model +
// pipeline + scheduler), one after another through the editor's backends, written as one labelled
// sheet (original, mask, each slot) with the recipe in its PNG metadata; --out-dir also writes each
// slot's final image as slot-1.png, slot-2.png, ... in slot order.
#include "app/cli/args.h"
#include "app/cli/cli_io.h"
#include "app/cli/commands.h"

#include "core/imaging/compare_sheet.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/compare.h"
#include "core/jobs/diffusion_backend.h"
#include "core/jobs/recipe.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>

#include <atomic>

namespace inpaint::cli {

namespace {

ArgParser makeParser()
{
    ArgParser p("compare");
    p.option("--image", "IN", "input image")
        .option("--mask", "MASK", "mask image, white = repaint (same size as IN)")
        .repeatable("--slot", "SPEC", "MODEL_DIR[:pipeline[:scheduler]] or classical-telea / classical-ns; give it "
                                      "2 to 4 times, in slot order")
        .option("--out", "SHEET", "the comparison sheet (.png)")
        .option("--out-dir", "DIR", "also write each slot's image as slot-N.png there")
        .option("--prompt", "TEXT", "shared prompt (empty: remove)", "")
        .option("--negative-prompt", "TEXT", "shared negative prompt")
        .option("--seed", "N", "shared seed (default: a random one, printed)")
        .option("--steps", "N", "denoising steps, 1-1000", "30")
        .option("--guidance", "G", "guidance scale, 0-100", "7.5")
        .option("--strength", "S", "strength, (0, 1]", "1.0")
        .option("--scheduler", "NAME", "scheduler for slots that name none", "default")
        .option("--masked-content", "WHAT", "blend slots: original, fill or latent-noise", "original")
        .option("--mask-blur", "PX", "feather of the paste-back edge, 0-256", "4")
        .option("--device", "DEV", "auto, cpu or cuda", "auto")
        .option("--dtype", "TYPE", "auto, fp32, fp16 or bf16", "auto")
        .option("--cell-width", "PX", "width of each cell on the sheet, 64-2048", "384")
        .flag("--resize-mask", "scale a mask of another size to the image")
        .flag("--help", "this text");
    return p;
}

}  // namespace

int cmdCompare(const Args& args)
{
    ArgParser p = makeParser();
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli compare --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--image", "--mask", "--slot", "--out"}, &problem)) return printError(problem, kExitUsage);

    const QStringList schedulers = jobs::schedulerNames();
    QList<jobs::CompareSlot> slotList;
    for (const std::string& spec : p.values("--slot")) {
        jobs::CompareSlot s;
        QString err;
        if (!jobs::parseSlotSpec(QString::fromStdString(spec), schedulers, &s, &err)) return printError("inpaint-cli compare: " + err.toStdString(), kExitUsage);
        slotList << s;
    }
    if (slotList.size() < 2 || slotList.size() > 4)
        return printError("inpaint-cli compare: give 2 to 4 slots (got " + std::to_string(slotList.size()) + ")", kExitUsage);

    jobs::InpaintRequest shared;
    shared.pipeline = jobs::PipelineKind::Auto;  // each slot sets its own; this is what the recipe shows
    shared.prompt = QString::fromStdString(p.value("--prompt"));
    shared.negativePrompt = QString::fromStdString(p.value("--negative-prompt"));
    shared.scheduler = QString::fromStdString(p.value("--scheduler"));
    if (!schedulers.contains(shared.scheduler))
        return printError("inpaint-cli compare: --scheduler must be one of " + schedulers.join(", ").toStdString(), kExitUsage);
    if (!p.intValue("--steps", 1, 1000, &shared.steps, &problem) ||
        !p.doubleValue("--guidance", 0.0, 100.0, &shared.guidance, &problem) ||
        !p.doubleValue("--strength", 0.0, 1.0, &shared.strength, &problem) ||
        !p.doubleValue("--mask-blur", 0.0, 256.0, &shared.maskBlur, &problem))
        return printError(problem, kExitUsage);
    if (shared.strength <= 0.0) return printError("inpaint-cli compare: --strength must be greater than 0", kExitUsage);
    if (p.has("--seed")) {
        std::uint64_t seed = 0;
        if (!p.uint64Value("--seed", &seed, &problem)) return printError(problem, kExitUsage);
        shared.seed = seed;
    } else {
        shared.seed = QRandomGenerator::system()->generate();
    }
    shared.maskedContent = QString::fromStdString(p.value("--masked-content"));
    if (!QStringList{"original", "fill", "latent-noise"}.contains(shared.maskedContent))
        return printError("inpaint-cli compare: --masked-content must be original, fill or latent-noise", kExitUsage);
    shared.device = QString::fromStdString(p.value("--device"));
    shared.dtype = QString::fromStdString(p.value("--dtype"));
    shared.previewMode = QStringLiteral("none");
    int cellWidth = 384;
    if (!p.intValue("--cell-width", 64, 2048, &cellWidth, &problem)) return printError(problem, kExitUsage);
    const QString out = QString::fromStdString(p.value("--out"));
    if (QFileInfo(out).suffix().toLower() != QLatin1String("png"))
        return printError("inpaint-cli compare: --out must be a .png file (it carries the recipe)", kExitUsage);
    const QString outDir = QString::fromStdString(p.value("--out-dir"));
    const QString in = QString::fromStdString(p.value("--image"));
    const QString maskPath = QString::fromStdString(p.value("--mask"));
    if (sameFile(out, in) || sameFile(out, maskPath))
        return printError("inpaint-cli compare: --out '" + out.toStdString() + "' is an input file; refusing to overwrite it",
                          kExitUsage);

    QElapsedTimer timer;
    timer.start();
    QString err;
    {
        StderrCapture capture;
        if (!loadImageAndMask(in, maskPath, p.has("--resize-mask"), &shared.image, &shared.mask, &err)) {
            capture.release();
            return printError(err.toStdString(), kExitFailure);
        }
    }
    if (!outDir.isEmpty() && !QDir().mkpath(outDir))
        return printError("inpaint-cli compare: cannot create the folder '" + outDir.toStdString() + "'", kExitFailure);

    const std::atomic<bool> cancel{false};
    QList<jobs::InpaintResult> results;
    try {
        results = jobs::runCompare(shared, slotList, jobs::defaultBackendFactory(), {}, cancel);
    } catch (const std::exception& e) {
        return printError(std::string("Unexpected error: ") + e.what(), kExitFailure);
    }

    QList<QImage> images;
    QStringList labels;
    QStringList recipe{jobs::formatParameters(shared, shared.image.size(), QString())};
    int failed = 0;
    for (int i = 0; i < slotList.size(); ++i) {
        const jobs::InpaintRequest r = jobs::slotRequest(shared, slotList[i]);
        const jobs::InpaintResult& res = results[i];
        images << (res.ok() ? res.image : QImage());
        labels << QStringLiteral("%1. %2").arg(i + 1).arg(jobs::slotLabel(slotList[i], r, res));
        recipe << QStringLiteral("Slot %1: %2").arg(i + 1).arg(jobs::slotLabel(slotList[i], r, res));
        if (!res.ok()) {
            ++failed;
            std::fprintf(stdout, "slot %d failed: %s\n", i + 1, qPrintable(res.error));
            continue;
        }
        if (!outDir.isEmpty()) {
            const QString path = QDir(outDir).filePath(QStringLiteral("slot-%1.png").arg(i + 1));
            if (!imaging::saveImage(res.image, path, &err, 95, jobs::formatParameters(r, res.image.size(), QFileInfo(r.modelPath).fileName())))
                return printError(err.toStdString(), kExitFailure);
        }
    }
    const QString title = QStringLiteral("“%1” · seed %2 · %3 steps · guidance %4")
                              .arg(shared.prompt.isEmpty() ? QStringLiteral("(empty prompt)") : shared.prompt)
                              .arg(shared.seed)
                              .arg(shared.steps)
                              .arg(shared.guidance);
    imaging::SheetLayout layout;
    layout.cellWidth = cellWidth;
    const QImage sheet = imaging::composeSheet(shared.image, shared.mask, images, labels, title, layout);
    if (sheet.isNull()) return printError("There is not enough memory for the comparison sheet.", kExitFailure);
    if (!imaging::saveImage(sheet, out, &err, 95, recipe.join(QLatin1Char('\n')))) return printError(err.toStdString(), kExitFailure);
    std::printf("wrote %s: %d slots (%d failed), seed %llu, %.2f s\n", qPrintable(out), int(slotList.size()), failed,
                static_cast<unsigned long long>(shared.seed), timer.elapsed() / 1000.0);
    for (const QString& l : labels) std::printf("  %s\n", qPrintable(l));
    return failed == slotList.size() ? printError("every slot failed", kExitFailure) : kExitOk;
}

}  // namespace inpaint::cli
