// Mask helpers shared by the editor, the jobs and the CLI. A mask is a Format_Grayscale8
// QImage: 0 keeps a pixel, 255 repaints it, values in between are a soft edge. OpenCV stays
// in the .cpp. Every function accepts a null image and returns a null image (or an empty
// rect / 0) for it; a non-Grayscale8 input is converted with maskFromImage() first.
#pragma once

#include <QImage>
#include <QList>
#include <QRect>

namespace inpaint::imaging {

// Any image -> Grayscale8 mask: luma (qGray) of the colour, multiplied by alpha when the
// image has an alpha channel (transparent counts as "keep"); 16-bit is rounded to 8 bits.
QImage maskFromImage(const QImage& image);

// A new all-zero mask of the given size (null for an empty size).
QImage emptyMask(QSize size);

// Per-pixel maximum of all masks (a union that keeps soft edges). Masks must share one size;
// null entries are skipped; returns a null image if none is usable or sizes differ.
QImage maskUnion(const QList<QImage>& masks);
// In-place variant: acc = max(acc, other). Returns false (acc untouched) on a size mismatch.
bool unionInto(QImage& acc, const QImage& other);

QImage invertMask(const QImage& mask);                       // 255 - v
QImage binarizeMask(const QImage& mask, int threshold = 127);  // v > threshold ? 255 : 0

// Smallest rectangle holding every pixel > 0; an empty QRect when there is none.
QRect maskBoundingBox(const QImage& mask);
qint64 maskCoverage(const QImage& mask);  // number of pixels > 0
bool isMaskEmpty(const QImage& mask);     // no pixel > 0
bool isMaskFull(const QImage& mask);      // every pixel > 0

// Grow (pixels > 0, dilation) or shrink (pixels < 0, erosion) by |pixels| with a round
// structuring element. 0 returns the mask unchanged.
QImage growMask(const QImage& mask, int pixels);

// Soft edge: Gaussian blur with the given radius in pixels (sigma = radius / 2).
// radius <= 0 returns the mask unchanged.
QImage featherMask(const QImage& mask, double radius);

// Nearest-neighbour resize by pixel centres: destination x samples source
// floor((x + 0.5) * srcWidth / width), same for y. Keeps hard mask values hard.
QImage resizeMask(const QImage& mask, QSize size);

}  // namespace inpaint::imaging
