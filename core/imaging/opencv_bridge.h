// QImage <-> cv::Mat views without copying. Private to core/imaging's .cpp files: it pulls
// in OpenCV, which must stay out of the widely included headers.
#pragma once

#include <QImage>

#include <opencv2/core.hpp>

namespace inpaint::imaging::detail {

// The cv::Mat element type that matches a QImage format's memory layout, or -1.
// Grayscale8 -> 8UC1, RGB888 -> 8UC3, 32-bit formats -> 8UC4, Grayscale16 -> 16UC1,
// 64-bit formats -> 16UC4. Channel order is the format's byte order (QImage's RGBA8888 is R,G,B,A
// in memory; RGBX64/RGBA64 are R,G,B,A as 16-bit words).
int cvTypeFor(QImage::Format f);

// A Mat over the image's own pixels (bytesPerLine as step). The writable variant calls
// bits(), so a shared QImage detaches first; the const variant must only be read.
cv::Mat matView(QImage& image);
cv::Mat constMatView(const QImage& image);

}  // namespace inpaint::imaging::detail
