// inpaint-cli compare: the same image, mask, prompt and seed through 2 to 4 slots (model +
// pipeline + scheduler), one after another through the editor's backends, written as one labelled
// sheet (original, mask, each slot) with the recipe in its PNG metadata; --out-dir also writes each
// slot's final image as slot-1.png, slot-2.png, ... in slot order.
#include "app/cli/args.h"
#include "app/cli/cli_io.h"
#include "app/cli/commands.h"
#include "app/cli/request_options.h"

#include "core/imaging/compare_sheet.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/compare.h"
#include "core/jobs/engine_info.h"
#include "core/jobs/recipe.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <atomic>

namespace inpaint::cli {

namespace {

ArgParser makeParser()
{
    ArgParser p("compare");
    p.repeatable("--slot", "SPEC", "MODEL_DIR[:pipeline[:scheduler]] or classical-telea / classical-ns; give it "
                                   "2 to 4 times, in slot order (--scheduler is used where a slot names none)")
        .option("--out", "SHEET", "the comparison sheet (.png)")
        .option("--out-dir", "DIR", "also write each slot's image as slot-N.png there")
        .option("--cell-width", "PX", "width of each cell on the sheet, 64-2048", "384");
    addRequestOptions(p);
    p.flag("--help", "this text");
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
    if (!readRequestOptions(p, &shared, &problem)) return printError(problem, kExitUsage);
    shared.previewMode = jobs::PreviewMode::None;
    if (const std::string bad = checkRequest("compare", shared); !bad.empty()) return printError(bad, kExitUsage);
    for (const jobs::CompareSlot& s : slotList)
        if (const std::string bad = checkRequest("compare", jobs::slotRequest(shared, s)); !bad.empty())
            return printError(bad, kExitUsage);
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
    QList<QPair<QString, QString>> slotKeys;
    int failed = 0;
    for (int i = 0; i < slotList.size(); ++i) {
        const jobs::InpaintRequest r = jobs::slotRequest(shared, slotList[i]);
        const jobs::InpaintResult& res = results[i];
        images << (res.ok() ? res.image : QImage());
        labels << QStringLiteral("%1. %2").arg(i + 1).arg(jobs::slotLabel(slotList[i], r, res));
        slotKeys.append({QStringLiteral("Slot %1").arg(i + 1), jobs::slotLabel(slotList[i], r, res)});
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
    // The sheet carries the shared recipe, as the editor's Save writes it, with one key per slot.
    const QString recipe = jobs::formatParameters(shared, shared.image.size(), QString(), slotKeys);
    if (!imaging::saveImage(sheet, out, &err, 95, recipe)) return printError(err.toStdString(), kExitFailure);
    std::printf("wrote %s: %d slots (%d failed), seed %llu, %.2f s\n", qPrintable(out), int(slotList.size()), failed,
                static_cast<unsigned long long>(shared.seed), timer.elapsed() / 1000.0);
    for (const QString& l : labels) std::printf("  %s\n", qPrintable(l));
    return failed == slotList.size() ? printError("every slot failed", kExitFailure) : kExitOk;
}

}  // namespace inpaint::cli
