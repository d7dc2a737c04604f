// WorkRegion (see work_region.h).
#include "core/jobs/work_region.h"

#include "core/imaging/composite.h"
#include "core/imaging/mask_ops.h"

#include <cmath>
#include <limits>
#include <new>

namespace inpaint::jobs {

namespace {
QImage checked(QImage img)
{
    if (img.isNull()) throw std::bad_alloc();
    return img;
}
}  // namespace

WorkRegion::WorkRegion(const InpaintRequest& r)
    : m_request(r),
      m_original(r.image),
      m_jobMask(r.maskGrow != 0 ? checked(imaging::growMask(r.mask, r.maskGrow)) : r.mask),
      m_softMask(r.softInpaint && r.neural() && r.maskBlur > 0 ? checked(imaging::featherMask(m_jobMask, r.maskBlur))
                                                               : m_jobMask),
      m_box(imaging::maskBoundingBox(r.softInpaint && r.neural() ? m_softMask : m_jobMask)),
      m_empty(m_box.isEmpty())
{
}

void WorkRegion::plan(const WorkNeeds& needs)
{
    if (m_empty) return;
    const InpaintRequest& r = m_request;
    const QImage& mask = m_jobMask;
    const QRect& box = m_box;
    m_keepFormat = needs.keepFormat;

    if (m_keepFormat) {
        // Classical: the document's pixels as they are; every pixel > 0 is repainted, and only those.
        m_plan = {QRect(QPoint(0, 0), r.image.size()), r.image.size(), r.image.size()};
        m_workImage = r.image;
        m_workMask = mask;
        m_pasteMask = checked(imaging::binarizeMask(mask, 0));
        m_changed = box;
        return;
    }

    imaging::RegionOptions ro;
    ro.mode = r.region == RegionMode::Masked ? imaging::RegionMode::Masked : imaging::RegionMode::Whole;
    ro.padding = std::max(0, r.regionPadding);
    ro.multiple = std::max(1, needs.multiple);
    ro.nativeSize = needs.nativeSize;
    if (r.softInpaint) {
        // Soft inpainting: the grey mask (blurred by the mask blur, both ways across the edge) is
        // how much each pixel may change; the model sees it as it is and the paste-back uses it
        // as the alpha, so a pixel of 30 % changes by at most 30 %.
        m_plan = imaging::planRegion(r.image.size(), box, ro);
        m_workImage = checked(imaging::extractWorkImage(r.image, m_plan));
        m_workMask = checked(imaging::extractWorkMask(m_softMask, m_plan));
        if (r.pasteBack) {
            m_pasteMask = m_softMask;
            m_changed = box;
        } else {
            m_changed = QRect(QPoint(0, 0), r.image.size());
        }
        return;
    }

    // Diffusion: the binarised mask goes to the model; the paste mask adds the feathered band
    // outward, so inside the mask the result is all generated.
    const QImage binary = checked(imaging::binarizeMask(mask));
    m_plan = imaging::planRegion(r.image.size(), box, ro);
    m_workImage = checked(imaging::extractWorkImage(r.image, m_plan));
    m_workMask = checked(imaging::binarizeMask(imaging::extractWorkMask(binary, m_plan)));
    if (r.pasteBack) {
        m_pasteMask = binary;
        if (r.maskBlur > 0) imaging::unionInto(m_pasteMask, checked(imaging::featherMask(binary, r.maskBlur)));
        m_changed = imaging::maskBoundingBox(m_pasteMask);
    } else {
        m_changed = QRect(QPoint(0, 0), r.image.size());
    }
}

void WorkRegion::fillMicroConditioning(InpaintRequest* r) const
{
    if (m_empty || m_keepFormat || !m_plan.valid() || m_request.region != RegionMode::Masked) return;
    const QRect whole(QPoint(0, 0), m_request.image.size());
    if (m_plan.crop == whole && m_plan.scaled == m_plan.workSize) return;  // the whole photo after all
    // One scale (the aspect is kept), from the long side where rounding matters least.
    const double s = m_plan.crop.width() >= m_plan.crop.height() ? double(m_plan.scaled.width()) / m_plan.crop.width()
                                                                 : double(m_plan.scaled.height()) / m_plan.crop.height();
    auto px = [s](int v) { return static_cast<int>(std::lround(v * s)); };
    if (!r->originalSize) r->originalSize = QSize(px(whole.width()), px(whole.height()));
    if (!r->cropsTopLeft) r->cropsTopLeft = QPoint(px(m_plan.crop.left()), px(m_plan.crop.top()));
    if (!r->targetSize) r->targetSize = m_plan.workSize;
}

QImage WorkRegion::compose(const QImage& work) const
{
    if (m_empty) return m_original;
    if (work.isNull()) return {};
    const QImage restored = m_keepFormat ? work : imaging::restoreWorkImage(m_original, work, m_plan);
    if (m_pasteMask.isNull()) return checked(restored);
    return checked(imaging::pasteBack(m_original, restored, m_pasteMask));
}

}  // namespace inpaint::jobs
