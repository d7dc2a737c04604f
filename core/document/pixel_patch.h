// Format-agnostic pixel patches: copy a rectangle out of an image and write it back
// byte for byte. Undo commands use these so undo is pixel-exact for every document
// format (8/16-bit, grey/RGB/RGBA) and never goes through a painter that could convert,
// premultiply or blend.
#pragma once

#include <QImage>
#include <QRect>

namespace inpaint::document {

// A copy of `rect` (clipped to the image) in the image's own format.
QImage copyPatch(const QImage& image, const QRect& rect);

// Writes `patch` into `image` with its top-left at `at`, row by row (memcpy). Both must have
// the same format. Parts outside `image` are ignored. Returns the rectangle written.
QRect writePatch(QImage& image, const QImage& patch, const QPoint& at);

// Fills `rect` of a Grayscale8 image with `value`.
void fillGray(QImage& image, const QRect& rect, uchar value);

// Bounding rectangle of the non-zero pixels of a Grayscale8 image (empty if all zero).
QRect nonZeroBounds(const QImage& gray8);

// Bounding rectangle of the pixels that differ from `value` (empty if all equal it).
QRect boundsNotEqual(const QImage& gray8, uchar value);

// True when `a` and `b` have the same size, format and pixel bytes (ignores padding
// at the end of rows, which QImage's operator== also ignores).
bool samePixels(const QImage& a, const QImage& b);

}  // namespace inpaint::document
