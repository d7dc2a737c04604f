// ClassicalBackend: runs core/imaging's OpenCV inpainting for one request.
#include "core/jobs/classical_backend.h"

#include "core/imaging/classical_inpaint.h"

#include <QElapsedTimer>

#include <new>

namespace inpaint::jobs {

QString validateImageAndMask(const InpaintRequest& request)
{
    if (request.image.isNull() || request.image.width() <= 0 || request.image.height() <= 0)
        return QStringLiteral("There is no image to inpaint.");
    if (request.mask.isNull())
        return QStringLiteral("There is no mask: paint the area to repaint first.");
    if (request.mask.size() != request.image.size())
        return QStringLiteral("The mask is %1x%2 but the image is %3x%4; they must be the same size.")
            .arg(request.mask.width()).arg(request.mask.height())
            .arg(request.image.width()).arg(request.image.height());
    if (request.mask.format() != QImage::Format_Grayscale8)
        return QStringLiteral("The mask must be an 8-bit greyscale image.");
    return {};
}

InpaintResult ClassicalBackend::run(const InpaintRequest& request, const StepSink& onStep,
                                    const std::atomic<bool>& cancel)
{
    QElapsedTimer timer;
    timer.start();
    InpaintResult result;
    result.jobId = request.id;

    if (const QString problem = validateImageAndMask(request); !problem.isEmpty()) {
        result.error = problem;
        return result;
    }
    if (cancel.load()) {
        result.status = JobStatus::Canceled;
        return result;
    }

    const auto method = request.pipeline == PipelineKind::ClassicalNS
                            ? imaging::ClassicalMethod::NavierStokes
                            : imaging::ClassicalMethod::Telea;
    QString error;
    QImage out;
    try {
        out = imaging::classicalInpaint(request.image, request.mask, method,
                                        qMax(1, request.classicalRadius), &error);
    } catch (const std::bad_alloc&) {
        error = QStringLiteral("Not enough memory to inpaint a %1x%2 image.")
                    .arg(request.image.width()).arg(request.image.height());
    } catch (const std::exception& e) {
        error = QStringLiteral("Classical inpainting failed: %1").arg(QString::fromLocal8Bit(e.what()));
    }
    result.seconds = timer.elapsed() / 1000.0;
    if (out.isNull()) {
        result.error = error.isEmpty() ? QStringLiteral("Classical inpainting failed.") : error;
        return result;
    }
    // One step: the classical engine cannot be interrupted inside OpenCV, so a cancel that
    // arrived while it ran is honoured here and the result is dropped.
    if (cancel.load()) {
        result.status = JobStatus::Canceled;
        return result;
    }
    if (onStep) onStep(StepReport{1, 1, out});
    result.image = out;
    result.status = JobStatus::Ok;
    return result;
}

}  // namespace inpaint::jobs
