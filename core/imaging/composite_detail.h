// Internal blending kernel shared by pasteBack() and classicalInpaint(). Private to
// core/imaging.
#pragma once

#include <QImage>
#include <QPoint>

namespace inpaint::imaging::detail {

// True when blendInto() can work on this format directly (8-bit or 16-bit samples,
// 1, 3 or 4 per pixel).
bool isBlendable(QImage::Format f);

// dst(at + p) = blend(dst(at + p), gen(p), mask(p)) for every p in gen's rectangle:
// mask 0 leaves dst untouched (not even rewritten), 255 copies gen, values in between blend
// linearly with rounding. gen and dst share one blendable format; mask is Grayscale8 of
// gen's size; the rectangle must lie inside dst.
void blendInto(QImage& dst, const QImage& gen, const QImage& mask, QPoint at);

}  // namespace inpaint::imaging::detail
