// Which pixels a result changed: a heatmap of the per-pixel difference between two images of the
// same size (any document format), drawn over a dimmed grey copy of the original so the person
// still sees where they are. Unchanged pixels are grey; changed ones go from dark red (a 1-level
// change) to yellow (a change of 64 levels or more, on an 8-bit scale).
#pragma once

#include <QImage>

namespace inpaint::imaging {

struct ChangeStats {
    qint64 changedPixels = 0;
    int maxDifference = 0;  // on an 8-bit scale
};

// Null image when the sizes differ. `stats` (optional) receives the counts.
QImage changeHeatmap(const QImage& original, const QImage& result, ChangeStats* stats = nullptr);

}  // namespace inpaint::imaging
