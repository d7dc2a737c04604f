// Where and at what size a diffusion model works on a photo, and how its output goes back.
// Whole: the whole image, at its own size (downscaled, keeping aspect, only when its long side
// exceeds maxSide), padded up to a multiple of the model's size step. Masked ("only masked"):
// the mask's bounding box plus padding, scaled so its long side is the model's native size.
// Either way the aspect ratio is kept: the work image is the scaled crop padded at the right and
// bottom by repeating edge pixels, and only the scaled part is used when restoring.
#pragma once

#include <QImage>
#include <QRect>
#include <QSize>

namespace inpaint::imaging {

enum class RegionMode { Whole, Masked };

struct RegionPlan {
    QRect crop;      // image coordinates of the region sent to the model
    QSize scaled;    // the crop's size after scaling (aspect kept)
    QSize workSize;  // scaled, padded up to a multiple of the size step
    bool valid() const { return !crop.isEmpty() && !workSize.isEmpty(); }
};

struct RegionOptions {
    RegionMode mode = RegionMode::Whole;
    int padding = 32;      // Masked: pixels added around the mask's bounding box
    int nativeSize = 512;  // Masked: long side of the work image
    int maxSide = 1024;    // Whole: long side limit before downscaling
    int multiple = 8;      // size step the model needs (VAE scale factor x UNet stride)
};

// maskBox: the mask's bounding box (empty -> invalid plan).
RegionPlan planRegion(QSize imageSize, const QRect& maskBox, const RegionOptions& options);

// The work image: crop of `image` (any document format) as RGB888, scaled (smooth) to
// plan.scaled, padded by edge repetition to plan.workSize.
QImage extractWorkImage(const QImage& image, const RegionPlan& plan);
// The work mask: crop of `mask` (Grayscale8) scaled with nearest neighbour, padded with 0.
QImage extractWorkMask(const QImage& mask, const RegionPlan& plan);

// The inverse: takes the scaled part of `work` (RGB888, plan.workSize), scales it back to the
// crop's size and returns a full-size image in `original`'s format holding `original`'s pixels
// outside the crop and the generated pixels inside it (alpha taken from `original`). Paste-back
// with the (feathered) mask is a separate step (composite.h).
QImage restoreWorkImage(const QImage& original, const QImage& work, const RegionPlan& plan);

// Converts an RGB888 image to `like`'s format (grey -> luma, 16-bit widened, alpha from `like`).
QImage convertLike(const QImage& rgb, const QImage& like);

}  // namespace inpaint::imaging
