// ClassicalBackend: OpenCV Telea / Navier-Stokes inpainting as a job backend. Needs no
// weights; it is what runs when no model is installed. Works on the whole image in the
// document's own format (WorkNeeds::keepFormat).
#pragma once

#include "core/jobs/backend.h"

namespace inpaint::jobs {

class ClassicalBackend final : public Backend {
public:
    WorkNeeds prepare(const InpaintRequest& request, const StatusSink& onStatus, const std::atomic<bool>& cancel) override;
    QImage run(const InpaintRequest& request, const QImage& workImage, const QImage& workMask,
               const WorkPreviewSink& onStep, const std::atomic<bool>& cancel) override;
};

}  // namespace inpaint::jobs
