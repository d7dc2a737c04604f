// ClassicalBackend: runs core/imaging's OpenCV inpainting for one request.
#include "core/jobs/classical_backend.h"

#include "core/imaging/classical_inpaint.h"
#include "models/errors.h"

#include <stdexcept>

namespace inpaint::jobs {

WorkNeeds ClassicalBackend::prepare(const InpaintRequest&, const StatusSink&, const std::atomic<bool>&)
{
    WorkNeeds n;
    n.keepFormat = true;
    n.multiple = 1;
    return n;
}

QImage ClassicalBackend::run(const InpaintRequest& request, const QImage& image, const QImage& mask,
                             const WorkPreviewSink& onStep, const std::atomic<bool>& cancel)
{
    const auto method = request.pipeline == PipelineKind::ClassicalNS ? imaging::ClassicalMethod::NavierStokes
                                                                      : imaging::ClassicalMethod::Telea;
    QString error;
    const QImage out = imaging::classicalInpaint(image, mask, method, qMax(1, request.classicalRadius), &error);
    if (out.isNull())
        throw std::runtime_error(
            (error.isEmpty() ? QStringLiteral("Classical inpainting failed.") : error).toStdString());
    // One step: OpenCV cannot be interrupted, so a cancel that arrived meanwhile is honoured here.
    if (cancel.load()) throw models::Cancelled();
    if (onStep) onStep(1, 1, {});
    return out;
}

}  // namespace inpaint::jobs
