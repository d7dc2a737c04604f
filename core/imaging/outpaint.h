// Outpainting's canvas work: a photo extended by pixels on any side (or to an aspect ratio),
// the new area pre-filled (edge extension, Telea, or noise), and the mask that the pipelines then
// repaint: the new area plus an overlap band into the old picture, so the seam is generated too.
// Format-preserving: the result has the image's document format (8/16-bit, grey/RGB/RGBA).
#pragma once

#include <QImage>
#include <QRect>
#include <QString>
#include <QStringList>
#include <optional>

namespace inpaint::imaging {

struct CanvasExtension {
    int left = 0, right = 0, top = 0, bottom = 0;  // pixels added on each side, >= 0
    bool isZero() const { return left == 0 && right == 0 && top == 0 && bottom == 0; }
    bool operator==(const CanvasExtension&) const = default;
};

// How the new pixels start before the model paints them: the nearest edge pixel repeated
// (Edge), OpenCV's Telea inpainting from the old picture (Telea), or seeded uniform noise (Noise;
// with strength 1 the blend pipeline starts from noise anyway, Noise helps img2img-like strengths).
enum class Prefill { Edge, Telea, Noise };
QString prefillName(Prefill p);  // "edge", "telea", "noise"
std::optional<Prefill> parsePrefill(const QString& s);
QStringList prefillNames();

// Where the old picture sits when a target aspect ratio decides the extension.
enum class Anchor { Center, TopLeft, Top, TopRight, Left, Right, BottomLeft, Bottom, BottomRight };

// The extension that makes `size` reach `aspect` (width / height) by adding pixels only (one
// dimension grows, the other stays), split by the anchor. Zero when the size already has it.
CanvasExtension extensionForAspect(QSize size, double aspect, Anchor anchor = Anchor::Center);

struct ExtendedCanvas {
    QImage image;  // the extended picture, the image's document format
    QImage mask;   // Format_Grayscale8: 255 over the new area and the overlap band, else 0
    QRect oldRect; // where the old picture now sits
};

// Extends `image`. `overlap` pixels of the old picture along each extended side join the mask
// (clamped to the picture). Returns nullopt and sets *error (one sentence) for a zero or
// negative extension, a result over `maxPixels` (the image-size limit), a null image, or when
// memory runs out.
std::optional<ExtendedCanvas> extendCanvas(const QImage& image, const CanvasExtension& e, Prefill prefill,
                                           int overlap, QString* error, quint64 noiseSeed = 0,
                                           qint64 maxPixels = -1);

// Pads a mask (or any Grayscale8 layer) with 0 to the extended size.
QImage extendMask(const QImage& mask, const CanvasExtension& e);

}  // namespace inpaint::imaging
