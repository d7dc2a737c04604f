// WorkRegion: where one job works on the photo, planned once. From the request (image, mask,
// grow, blur, region mode, paste-back) and what the backend needs (WorkNeeds) it holds the job's
// mask (grown), the region plan, the model's input (work image and mask) and the paste mask (the
// job's mask plus its feathered band). compose() turns any work-size output — a step preview or
// the final image — into the full-size picture the same way, so the last preview and the result
// agree pixel for pixel, and pixels outside the paste mask stay bit-identical to the photo.
#pragma once

#include "core/jobs/backend.h"
#include "core/imaging/region_plan.h"

namespace inpaint::jobs {

class WorkRegion {
public:
    // Grows the mask (no backend needed yet: an empty mask runs nothing). Then plan() with what
    // the backend needs. Both throw std::bad_alloc when an image cannot be allocated.
    explicit WorkRegion(const InpaintRequest& request);
    void plan(const WorkNeeds& needs);

    bool empty() const { return m_empty; }  // the mask selects nothing: the job changes nothing
    const QImage& image() const { return m_workImage; }  // the model's input
    const QImage& mask() const { return m_workMask; }
    const imaging::RegionPlan& plan() const { return m_plan; }
    // Full size, in the photo's format: the work output restored into its crop and pasted back.
    QImage compose(const QImage& workOutput) const;
    // What compose() may change: the paste mask's box, or the whole image without paste-back.
    QRect changed() const { return m_changed; }
    // SDXL micro-conditioning the request leaves unset, from the plan. Only masked: the whole
    // photo scaled as the crop was (original_size), the crop's offset at that scale
    // (crops_coords_top_left) and the work size (target_size), as SDXL saw its training crops.
    // The whole image: left unset, so the pipeline uses diffusers' default (the work size, (0, 0),
    // the work size). Fields the request sets stay as they are.
    void fillMicroConditioning(InpaintRequest* request) const;

private:
    InpaintRequest m_request;  // implicitly shared pixels
    QImage m_original;
    QImage m_jobMask;  // the request's mask, grown or shrunk
    QImage m_softMask;  // soft inpainting: m_jobMask blurred by the mask blur (else m_jobMask)
    QRect m_box;       // its bounding box
    QImage m_pasteMask;  // full size; null without paste-back
    imaging::RegionPlan m_plan;
    QImage m_workImage, m_workMask;
    QRect m_changed;
    bool m_keepFormat = false;
    bool m_empty = false;
};

}  // namespace inpaint::jobs
