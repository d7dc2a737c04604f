// Mask helpers (see mask_ops.h). Pixel loops run row by row over bytesPerLine so that
// padded scanlines are handled; dilation/erosion/blur go through OpenCV views.
#include "core/imaging/mask_ops.h"

#include "core/imaging/opencv_bridge.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstring>
#include <vector>

namespace inpaint::imaging {

namespace {

// Grayscale8 view of a mask argument (shared, no copy, when it already is one).
QImage asMask(const QImage& m)
{
    if (m.isNull() || m.format() == QImage::Format_Grayscale8) return m;
    return maskFromImage(m);
}

}  // namespace

QImage maskFromImage(const QImage& image)
{
    if (image.isNull()) return {};
    switch (image.format()) {
    case QImage::Format_Grayscale8:
        return image;
    case QImage::Format_Grayscale16:
        return image.convertToFormat(QImage::Format_Grayscale8);
    default:
        break;
    }
    // Compute luma ourselves so the result does not depend on the colour space Qt attaches.
    const QImage rgba = image.convertToFormat(QImage::Format_RGBA8888);
    if (rgba.isNull()) return {};
    const bool alpha = image.hasAlphaChannel();
    QImage out(image.size(), QImage::Format_Grayscale8);
    if (out.isNull()) return {};
    for (int y = 0; y < rgba.height(); ++y) {
        const uchar* s = rgba.constScanLine(y);
        uchar* d = out.scanLine(y);
        for (int x = 0; x < rgba.width(); ++x, s += 4) {
            int v = qGray(s[0], s[1], s[2]);
            if (alpha) v = (v * s[3] + 127) / 255;
            d[x] = static_cast<uchar>(v);
        }
    }
    return out;
}

QImage emptyMask(QSize size)
{
    if (size.isEmpty()) return {};
    QImage m(size, QImage::Format_Grayscale8);
    if (!m.isNull()) m.fill(0);
    return m;
}

bool unionInto(QImage& acc, const QImage& other)
{
    const QImage o = asMask(other);
    if (o.isNull()) return true;
    if (acc.isNull()) {
        acc = o.copy();
        return !acc.isNull();
    }
    if (acc.size() != o.size()) return false;
    if (acc.format() != QImage::Format_Grayscale8) acc = maskFromImage(acc);
    for (int y = 0; y < acc.height(); ++y) {
        const uchar* s = o.constScanLine(y);
        uchar* d = acc.scanLine(y);
        for (int x = 0; x < acc.width(); ++x) d[x] = std::max(d[x], s[x]);
    }
    return true;
}

QImage maskUnion(const QList<QImage>& masks)
{
    QImage acc;
    for (const QImage& m : masks)
        if (!unionInto(acc, m)) return {};
    return acc;
}

QImage invertMask(const QImage& mask)
{
    QImage m = asMask(mask).copy();
    for (int y = 0; y < m.height(); ++y) {
        uchar* d = m.scanLine(y);
        for (int x = 0; x < m.width(); ++x) d[x] = static_cast<uchar>(255 - d[x]);
    }
    return m;
}

QImage binarizeMask(const QImage& mask, int threshold)
{
    QImage m = asMask(mask).copy();
    for (int y = 0; y < m.height(); ++y) {
        uchar* d = m.scanLine(y);
        for (int x = 0; x < m.width(); ++x) d[x] = d[x] > threshold ? 255 : 0;
    }
    return m;
}

QRect maskBoundingBox(const QImage& mask)
{
    const QImage m = asMask(mask);
    if (m.isNull()) return {};
    const cv::Rect r = cv::boundingRect(detail::constMatView(m));  // SIMD; nonzero = inside
    if (r.empty()) return {};
    return QRect(r.x, r.y, r.width, r.height);
}

qint64 maskCoverage(const QImage& mask)
{
    const QImage m = asMask(mask);
    if (m.isNull()) return 0;
    return cv::countNonZero(detail::constMatView(m));
}

bool isMaskEmpty(const QImage& mask)
{
    return maskCoverage(mask) == 0;
}

bool isMaskFull(const QImage& mask)
{
    const QImage m = asMask(mask);
    if (m.isNull()) return false;
    return maskCoverage(m) == qint64(m.width()) * m.height();
}

QImage growMask(const QImage& mask, int pixels)
{
    const QImage src = asMask(mask);
    if (src.isNull() || pixels == 0) return src;
    const int r = std::abs(pixels);
    QImage out(src.size(), QImage::Format_Grayscale8);
    if (out.isNull()) return {};
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(2 * r + 1, 2 * r + 1));
    cv::Mat dst = detail::matView(out);
    // Outside the image counts as "keep", so a mask touching the border does not grow from it
    // and an eroded full mask shrinks away from the border.
    if (pixels > 0)
        cv::dilate(detail::constMatView(src), dst, kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT,
                   cv::Scalar(0));
    else
        cv::erode(detail::constMatView(src), dst, kernel, cv::Point(-1, -1), 1, cv::BORDER_CONSTANT,
                  cv::Scalar(0));
    return out;
}

QImage featherMask(const QImage& mask, double radius)
{
    const QImage src = asMask(mask);
    if (src.isNull() || radius <= 0.0) return src;
    QImage out(src.size(), QImage::Format_Grayscale8);
    if (out.isNull()) return {};
    cv::Mat dst = detail::matView(out);
    cv::GaussianBlur(detail::constMatView(src), dst, cv::Size(0, 0), radius / 2.0, radius / 2.0,
                     cv::BORDER_REPLICATE);
    return out;
}

QImage resizeMask(const QImage& mask, QSize size)
{
    const QImage src = asMask(mask);
    if (src.isNull() || size.isEmpty()) return {};
    if (src.size() == size) return src;
    QImage out(size, QImage::Format_Grayscale8);
    if (out.isNull()) return {};
    // Pixel-centre nearest neighbour: destination x takes source floor((x + 0.5) * sw / dw).
    // Written out (rather than cv::resize) so block edges land exactly where that formula says.
    const qint64 sw = src.width(), sh = src.height(), dw = size.width(), dh = size.height();
    std::vector<int> xs(static_cast<size_t>(dw));
    for (qint64 x = 0; x < dw; ++x) xs[size_t(x)] = int(std::min(sw - 1, (2 * x + 1) * sw / (2 * dw)));
    int previous = -1;
    for (qint64 y = 0; y < dh; ++y) {
        const int sy = int(std::min(sh - 1, (2 * y + 1) * sh / (2 * dh)));
        uchar* d = out.scanLine(int(y));
        if (sy == previous) {
            std::memcpy(d, out.constScanLine(int(y - 1)), size_t(dw));
            continue;
        }
        const uchar* s = src.constScanLine(sy);
        for (qint64 x = 0; x < dw; ++x) d[x] = s[xs[size_t(x)]];
        previous = sy;
    }
    return out;
}

}  // namespace inpaint::imaging
