// Brush rasterisation into a Format_Grayscale8 mask. A stroke between two input events is
// drawn as the shape swept by the brush disc moving from one point to the next (a
// capsule, tapered when the pressure changes). This is the limit of stamping dabs with
// spacing -> 0: no gaps however fast the pointer moves, and no scalloped edges. Coverage
// falls off with the distance to the segment; stamps combine with max (brush) or min
// (eraser), so overlapping segments never darken twice and repainting is idempotent.
#pragma once

#include <QImage>
#include <QPointF>
#include <QRect>

namespace inpaint::tools {

enum class BrushMode { Paint, Erase };

struct BrushSegment {
    QPointF from, to;  // image coordinates; pixel (x, y) has its centre at (x + 0.5, y + 0.5)
    qreal fromRadius = 1.0, toRadius = 1.0;  // radius in image pixels at each end (>= 0.5)
};

// Coverage (0..1) of a point at distance `d` from the stroke's centre line where the
// radius is `r`. hardness 1: a hard edge (d <= r covers fully). hardness h < 1: full
// coverage up to h*r, then a smoothstep falloff to 0 at r.
qreal brushCoverage(qreal d, qreal r, qreal hardness);

// The pixels a segment may touch, clipped to `bounds`.
QRect segmentBounds(const BrushSegment& s, const QRect& bounds);

// Paints one segment into `mask` (Grayscale8) within `clip`. Returns the rectangle of
// pixels that were examined (a superset of the changed pixels).
QRect rasterSegment(QImage& mask, const BrushSegment& s, qreal hardness, BrushMode mode,
                    const QRect& clip);

}  // namespace inpaint::tools
