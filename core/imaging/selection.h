// Smart selection without model weights: GrabCut from a rectangle (optionally refined by
// foreground / background strokes) and a magic wand (flood fill with a tolerance, on the
// colour or on one channel). Both return a Format_Grayscale8 mask of the image's size,
// 255 selected and 0 not, that the selection tools combine with the active mask layer.
// OpenCV stays in selection.cpp.
#pragma once

#include <QImage>
#include <QPoint>
#include <QRect>
#include <QString>

namespace inpaint::imaging {

// How a new selection meets the pixels already on the layer, as in Photoshop and GIMP: a
// plain drag or click replaces, Shift adds, Alt (or Ctrl, since many window managers take
// Alt+drag for themselves) subtracts.
enum class SelectionMode { Replace, Add, Subtract };

// Replace: `selection`; Add: per-pixel max; Subtract: current - selection, saturated at 0.
// Both Grayscale8 of the same size (a null `current` counts as all 0).
QImage combineSelection(const QImage& current, const QImage& selection, SelectionMode mode);

// --- GrabCut ------------------------------------------------------------------------------

// Encoding of GrabCut hint strokes: a Grayscale8 image of the image's size (or null for
// none). 0 = no hint, 255 = surely the object, 128 = surely background. Other values count
// as the nearest of the three (>= 192 object, 64..191 background, below 64 none).
constexpr uchar kHintNone = 0;
constexpr uchar kHintBackground = 128;
constexpr uchar kHintForeground = 255;

// A rectangle with a side shorter than this (after clipping to the image) is refused.
constexpr int kGrabCutMinSide = 4;
// GrabCut runs on the rectangle plus a margin (kGrabCutMargin of its long side, at least 16 px,
// clipped to the image): the background model learns from the surroundings of the object.
// When that work area's long side exceeds kGrabCutWorkSide it is downscaled (area filter) so the
// long side is kGrabCutWorkSide; the resulting object mask is upscaled to full size with linear
// interpolation and thresholded at half, which gives smooth rather than blocky edges. The
// person's rectangle is about the object, not its last pixel, so the lost detail is cheap;
// GrabCut's time grows with the pixel count and the tools run it on the GUI thread.
constexpr double kGrabCutMargin = 0.25;
constexpr int kGrabCutWorkSide = 512;
constexpr int kGrabCutDefaultIterations = 5;

// The object inside `rect` (image coordinates, clipped to the image). Works on every document
// format: the pixels are converted to 8-bit RGB first (16-bit as Qt rounds them, alpha
// dropped). With `hints`, the mask starts as "probably object" inside the rectangle and
// "background" outside, and the strokes mark sure object / sure background (they may lie
// outside the rectangle). `iterations` is clamped to 1..20. Deterministic: OpenCV's RNG is
// seeded with a fixed value before each call. Returns a null image and sets `error` when the
// rectangle is empty or degenerate, the image is null or unsupported, or nothing was found.
QImage grabCutSelect(const QImage& image, QRect rect, const QImage& hints = {},
                     int iterations = kGrabCutDefaultIterations, QString* error = nullptr);

// --- magic wand -------------------------------------------------------------------------------

// What the wand compares. Composite: R, G and B each within the tolerance of the seed's;
// Red/Green/Blue/Alpha: that channel alone; Luma: qGray(r, g, b) = (11 r + 16 g + 5 b) / 32.
// Grey images have R = G = B; images without alpha have alpha 255 everywhere.
enum class WandChannel { Composite, Red, Green, Blue, Alpha, Luma };

// Pixels whose compared value v satisfies |v - seedValue| <= tolerance (inclusive: a pixel at
// exactly `tolerance` is selected, one at tolerance + 1 is not). Values are compared at 8 bit:
// 16-bit images are converted as Qt converts them (round(v / 257)); premultiplied formats are
// unpremultiplied first. `contiguous`: only the pixels joined to the seed through selected
// pixels, 4-connected (cv::floodFill, fixed range); otherwise every matching pixel of the
// image. `tolerance` is clamped to 0..255. A seed outside the image gives a null image and
// sets `error`.
QImage magicWandSelect(const QImage& image, QPoint seed, int tolerance, WandChannel channel = WandChannel::Composite,
                       bool contiguous = true, QString* error = nullptr);

}  // namespace inpaint::imaging
