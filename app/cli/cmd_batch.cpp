// inpaint-cli batch: every image of a folder with the mask of the same name from another folder,
// through the same request and jobs backend as `run` (one model load for the whole folder).
//
// Pairing: IMAGES/NAME.ext goes with MASKS/NAME.ext2, MASKS/NAME_mask.ext2 or MASKS/NAME-mask.ext2
// (any readable extension). OUT/NAME.png (or --format) is written through a temp file + rename
// with the recipe, so an interrupted batch leaves only whole files, and a rerun skips the names
// already written. Failures (no mask, unreadable files, a failed job) are reported at the end and
// never stop the others; the exit code is 1 when any image failed.
#include "app/cli/args.h"
#include "app/cli/cli_io.h"
#include "app/cli/commands.h"
#include "app/cli/request_options.h"

#include "core/imaging/image_io.h"
#include "core/jobs/backend.h"
#include "core/jobs/recipe.h"
#include "core/jobs/run_job.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <new>

namespace inpaint::cli {

namespace {

const QStringList kImageExtensions = {QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("jpeg"),
                                      QStringLiteral("webp"), QStringLiteral("tif"), QStringLiteral("tiff"),
                                      QStringLiteral("bmp")};

ArgParser makeParser()
{
    ArgParser p("batch");
    p.option("--images", "DIR", "the input images (PNG, JPEG, WebP, TIFF, BMP)")
        .option("--masks", "DIR", "their masks, by name: NAME.*, NAME_mask.* or NAME-mask.* (white = repaint)")
        .option("--out", "DIR", "where OUT/NAME.<format> goes (created if missing); names already there are skipped")
        .option("--format", "EXT", "png (carries the recipe), jpg, webp or tif", "png")
        .option("--model", "DIR", "Stable Diffusion model; without it only the classical pipelines run")
        .option("--pipeline", "NAME", "auto, blend, inpaint-unet, classical-telea or classical-ns", "auto");
    addRequestOptions(p, /*withInputFiles=*/false);
    p.flag("--redo", "run every pair, also those whose output exists (it is replaced)")
        .flag("--help", "this text");
    return p;
}

QFileInfoList imagesIn(const QString& dir)
{
    QStringList filters;
    for (const QString& e : kImageExtensions) filters << QStringLiteral("*.") + e << QStringLiteral("*.") + e.toUpper();
    return QDir(dir).entryInfoList(filters, QDir::Files | QDir::Readable | QDir::Hidden, QDir::Name);
}

QString formatSeconds(double s)
{
    if (s < 90) return QStringLiteral("%1 s").arg(qRound(s));
    if (s < 5400) return QStringLiteral("%1 min").arg(qRound(s / 60));
    return QStringLiteral("%1 h %2 min").arg(int(s / 3600)).arg(qRound(std::fmod(s, 3600) / 60));
}

struct Pair {
    QString name;   // the image's stem
    QString image;
    QString mask;   // empty: none found
};

}  // namespace

int cmdBatch(const Args& args)
{
    ArgParser p = makeParser();
    if (!p.parse(args)) return printError(p.error() + " (see 'inpaint-cli batch --help')", kExitUsage);
    if (p.has("--help")) {
        std::fputs(p.usage().c_str(), stdout);
        return kExitOk;
    }
    std::string problem;
    if (!p.require({"--images", "--masks", "--out"}, &problem)) return printError(problem, kExitUsage);

    jobs::InpaintRequest request;
    const QString pipeline = QString::fromStdString(p.value("--pipeline"));
    if (!jobs::parsePipelineName(pipeline, &request.pipeline))
        return printError("inpaint-cli batch: unknown pipeline '" + pipeline.toStdString() + "' (use " +
                              jobs::names<jobs::PipelineKind>().join(", ").toStdString() + ")",
                          kExitUsage);
    request.modelPath = QString::fromStdString(p.value("--model"));
    if (request.pipeline == jobs::PipelineKind::Auto && request.modelPath.isEmpty())
        request.pipeline = jobs::PipelineKind::ClassicalTelea;
    if (!readRequestOptions(p, &request, &problem)) return printError(problem, kExitUsage);
    request.previewMode = jobs::PreviewMode::None;
    if (const std::string bad = checkRequest("batch", request); !bad.empty()) return printError(bad, kExitUsage);
    // One seed for the batch unless --seed was given: each image gets it (the recipe records it).
    const QString format = QString::fromStdString(p.value("--format")).toLower();
    if (format != QLatin1String("png") && format != QLatin1String("jpg") && format != QLatin1String("webp") &&
        format != QLatin1String("tif"))
        return printError("inpaint-cli batch: --format must be png, jpg, webp or tif (got '" + format.toStdString() + "')",
                          kExitUsage);

    const QString imagesDir = QString::fromStdString(p.value("--images"));
    const QString masksDir = QString::fromStdString(p.value("--masks"));
    const QString outDir = QString::fromStdString(p.value("--out"));
    for (const auto& [dir, what] : {std::pair{imagesDir, "--images"}, {masksDir, "--masks"}})
        if (!QFileInfo(dir).isDir())
            return printError("inpaint-cli batch: " + std::string(what) + " '" + dir.toStdString() + "' is not a folder",
                              kExitUsage);
    if (!QDir().mkpath(outDir))
        return printError("inpaint-cli batch: cannot create the output folder '" + outDir.toStdString() + "'", kExitFailure);
    if (QFileInfo(outDir).canonicalFilePath() == QFileInfo(imagesDir).canonicalFilePath() ||
        QFileInfo(outDir).canonicalFilePath() == QFileInfo(masksDir).canonicalFilePath())
        return printError("inpaint-cli batch: --out must be another folder than --images and --masks", kExitUsage);

    // Pair by name.
    QHash<QString, QString> masks;  // stem (with _mask / -mask removed) -> path
    for (const QFileInfo& m : imagesIn(masksDir)) {
        QString stem = m.completeBaseName();
        for (const char* suffix : {"_mask", "-mask"})
            if (stem.endsWith(QLatin1String(suffix)) && stem.size() > 5) stem.chop(5);
        if (!masks.contains(stem) || m.completeBaseName() == stem) masks.insert(stem, m.filePath());
    }
    QList<Pair> pairs;
    QSet<QString> used;
    for (const QFileInfo& i : imagesIn(imagesDir)) {
        const QString stem = i.completeBaseName();
        if (std::any_of(pairs.begin(), pairs.end(), [&](const Pair& q) { return q.name == stem; })) continue;
        pairs.append({stem, i.filePath(), masks.value(stem)});
        used.insert(stem);
    }
    if (pairs.isEmpty())
        return printError("inpaint-cli batch: no image (png, jpg, jpeg, webp, tif, tiff, bmp) in '" +
                              imagesDir.toStdString() + "'",
                          kExitFailure);
    QStringList orphanMasks;
    for (auto it = masks.cbegin(); it != masks.cend(); ++it)
        if (!used.contains(it.key())) orphanMasks << QFileInfo(it.value()).fileName();
    orphanMasks.sort();

    const jobs::BackendFactory factory = jobs::defaultBackendFactory();
    const QString model = QFileInfo(request.modelPath).fileName();
    QStringList failures;
    int done = 0, skipped = 0, index = 0;
    double workSeconds = 0;
    int worked = 0;
    const int total = int(pairs.size());
    for (const Pair& pair : pairs) {
        ++index;
        const QString out = QDir(outDir).filePath(pair.name + QLatin1Char('.') + format);
        auto report = [&](const QString& what) {
            std::printf("[%d/%d] %s: %s\n", index, total, qPrintable(pair.name), qPrintable(what));
            std::fflush(stdout);
        };
        if (!p.has("--redo") && QFileInfo::exists(out)) {
            ++skipped;
            report(QStringLiteral("skipped (%1 exists)").arg(QFileInfo(out).fileName()));
            continue;
        }
        if (pair.mask.isEmpty()) {
            failures << QStringLiteral("%1: no mask named %2.*, %2_mask.* or %2-mask.* in '%3'")
                            .arg(QFileInfo(pair.image).fileName(), pair.name, masksDir);
            report(QStringLiteral("FAILED (no mask)"));
            continue;
        }
        QElapsedTimer timer;
        timer.start();
        jobs::InpaintRequest r = request;
        QString err;
        bool ok = false;
        try {
            QImage mask;
            ok = loadImageAndMask(pair.image, pair.mask, p.has("--resize-mask"), &r.image, &mask, &err);
            if (ok) {
                r.mask = mask;
                const std::atomic<bool> cancel{false};
                const jobs::InpaintResult result = jobs::runJob(r, factory, {}, cancel);
                ok = result.ok();
                if (!ok) err = result.error.isEmpty() ? QStringLiteral("inpainting failed") : result.error;
                else {
                    r.seed = result.seed;
                    ok = imaging::saveImage(result.image, out, &err, 95,
                                            jobs::formatParameters(r, result.image.size(), model));
                }
            }
        } catch (const std::bad_alloc&) {
            ok = false;
            err = QStringLiteral("not enough memory for this image");
        } catch (const std::exception& e) {
            ok = false;
            err = QStringLiteral("unexpected error: %1").arg(QString::fromUtf8(e.what()));
        }
        const double seconds = timer.elapsed() / 1000.0;
        if (!ok) {
            failures << QStringLiteral("%1: %2").arg(QFileInfo(pair.image).fileName(), err);
            report(QStringLiteral("FAILED (%1)").arg(err));
            continue;
        }
        ++done;
        workSeconds += seconds;
        ++worked;
        const int left = total - index;
        report(QStringLiteral("wrote %1 (%2 s)%3")
                   .arg(QFileInfo(out).fileName())
                   .arg(seconds, 0, 'f', 1)
                   .arg(left > 0 ? QStringLiteral(", about %1 left").arg(formatSeconds(workSeconds / worked * left))
                                 : QString()));
    }
    std::printf("batch: %d written, %d skipped (already done), %d failed, of %d images\n", done, skipped,
                int(failures.size()), total);
    if (!orphanMasks.isEmpty())
        std::printf("batch: masks without an image (not used): %s\n", qPrintable(orphanMasks.join(QStringLiteral(", "))));
    std::fflush(stdout);
    if (failures.isEmpty()) return kExitOk;
    for (const QString& f : failures) std::fprintf(stderr, "inpaint-cli batch: %s\n", qPrintable(f));
    std::fflush(stderr);
    return kExitFailure;
}

}  // namespace inpaint::cli
