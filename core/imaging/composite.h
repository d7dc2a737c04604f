// Paste-back: put generated pixels into the original only where the mask says so.
#pragma once

#include <QImage>

namespace inpaint::imaging {

// original, generated: same size and format. mask: Format_Grayscale8, same size.
// Where mask == 0 the result is bit-identical to `original`; where mask == 255 it is
// `generated`; values in between blend linearly (a feathered mask edge).
QImage pasteBack(const QImage& original, const QImage& generated, const QImage& mask);

}  // namespace inpaint::imaging
