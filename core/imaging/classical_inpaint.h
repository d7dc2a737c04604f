// Classical (non-neural) inpainting with OpenCV: Telea's fast marching method and the
// Navier-Stokes based method. Works on every pixel format the document holds.
#pragma once

#include <QImage>
#include <QString>

namespace inpaint::imaging {

enum class ClassicalMethod { Telea, NavierStokes };

// image: any document format (Grayscale8/16, RGB888, RGBA8888, RGBX64, RGBA64).
// mask:  Format_Grayscale8, same size; > 0 marks pixels to fill.
// Returns an image of the same size and format; pixels outside the mask are
// bit-identical to `image`. On failure returns a null QImage and sets *error.
QImage classicalInpaint(const QImage& image, const QImage& mask, ClassicalMethod method,
                        int radius, QString* error);

}  // namespace inpaint::imaging
