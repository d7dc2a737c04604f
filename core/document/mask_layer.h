// MaskLayer: one named, coloured mask painted over the document image. The pixels are
// Format_Grayscale8 at the image's size: 0 keeps a pixel, 255 repaints it, values in
// between are a soft edge. Layers are plain values; the Document owns and edits them.
#pragma once

#include <QColor>
#include <QImage>
#include <QString>

namespace inpaint::document {

struct MaskLayer {
    quint64 id = 0;       // stable for the layer's life (indices change on reorder)
    QString name;
    QColor color;         // overlay colour on the canvas; does not affect the mask itself
    bool visible = true;  // hidden layers are left out of the combined mask
    QImage pixels;        // Format_Grayscale8
};

}  // namespace inpaint::document
