// The denoising process as an animated image: the per-step previews of a job written as an
// animated WebP (libwebp's WebPAnimEncoder, lossy at `quality`, or lossless at 100), which
// browsers, Qt and most viewers play. The last frame is held longer so the result stays visible.
#pragma once

#include <QImage>
#include <QList>
#include <QString>

namespace inpaint::imaging {

struct AnimationOptions {
    int frameMs = 150;      // each step
    int lastFrameMs = 1500; // the final image
    int quality = 90;       // 100 = lossless
    int maxSide = 1024;     // frames larger than this are scaled down (aspect kept)
};

// Frames may differ in size: each is scaled to the first frame's (scaled) size. Writes to a temp
// file and renames it. False with *error set on failure (nothing is left behind).
bool saveAnimatedWebp(const QList<QImage>& frames, const QString& path, QString* error,
                      const AnimationOptions& options = {});

}  // namespace inpaint::imaging
