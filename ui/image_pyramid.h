// ImagePyramid: halved copies of an image (ARGB32 premultiplied) for drawing it zoomed
// out. Drawing an 8000x6000 16-bit image at 12 % straight from the original would make the
// painter convert and filter 48 M pixels on every repaint; from the right level it touches
// about as many pixels as the widget has. Level 0 is the caller's image itself (never
// copied, so the document never detaches); levels are built on demand and refreshed only
// inside rectangles reported as changed.
#pragma once

#include <QImage>
#include <QRect>
#include <vector>

namespace inpaint::ui {

class ImagePyramid {
public:
    // Forget every level (a new image).
    void reset();
    // The source changed inside `rect` (level-0 coordinates).
    void invalidate(const QRect& rect);
    // Level k >= 1 of `source` (k = 1 is half size). `source` must be the image the pyramid
    // was built for (same size) since the last reset().
    const QImage& level(const QImage& source, int k);
    // The level to draw at `zoom`: the smallest image still at least as large as the
    // screen needs, so the painter only ever shrinks by less than 2x. 0 = the source.
    static int levelForZoom(qreal zoom, QSize sourceSize);

private:
    struct Level {
        QImage image;
        QRect dirty;  // in level-0 coordinates; empty = up to date
    };
    void refresh(const QImage& source, int k);
    std::vector<Level> m_levels;  // m_levels[k - 1] is level k
};

}  // namespace inpaint::ui
