// Mask overlay rendering for the canvas. Instead of keeping a full-resolution coloured
// copy of every layer (192 MB per layer at 8000x6000), the overlay is composed on the fly
// for the widget pixels being repainted only, sampling each layer at the nearest image
// pixel. The work is proportional to the repainted screen area, not to the image.
#pragma once

#include "ui/view_transform.h"

#include <QImage>

namespace inpaint::document {
class Document;
}

namespace inpaint::ui {

// An ARGB32_Premultiplied image of `target.size()` showing the visible layers of `doc`
// (in layer order, each in its colour, alpha = mask value x opacity) as seen through
// `view` in the widget rectangle `target`.
QImage renderMaskOverlay(const document::Document& doc, const ViewTransform& view, const QRect& target,
                         qreal opacity);

}  // namespace inpaint::ui
