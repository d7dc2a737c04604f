// Region planning and the crop/scale/pad round trip around the diffusion pipelines.
#include "core/imaging/region_plan.h"

#include <QPainter>

#include <cstring>

#include <algorithm>
#include <cmath>

namespace inpaint::imaging {

namespace {

int roundUp(int v, int m) { return ((v + m - 1) / m) * m; }

QSize scaleToLongSide(QSize s, int longSide)
{
    const double k = static_cast<double>(longSide) / std::max(s.width(), s.height());
    return QSize(std::max(1, static_cast<int>(std::lround(s.width() * k))),
                 std::max(1, static_cast<int>(std::lround(s.height() * k))));
}

// Pads `img` to `size` at the right and bottom by repeating the last column / row.
QImage padByEdge(const QImage& img, QSize size)
{
    if (img.size() == size) return img;
    QImage out(size, img.format());
    const int w = img.width(), h = img.height();
    const int bpp = img.depth() / 8;
    for (int y = 0; y < size.height(); ++y) {
        const uchar* src = img.constScanLine(std::min(y, h - 1));
        uchar* dst = out.scanLine(y);
        std::memcpy(dst, src, static_cast<size_t>(w) * bpp);
        for (int x = w; x < size.width(); ++x) std::memcpy(dst + x * bpp, src + (w - 1) * bpp, bpp);
    }
    return out;
}

}  // namespace

RegionPlan planRegion(QSize imageSize, const QRect& maskBox, const RegionOptions& o)
{
    RegionPlan plan;
    const QRect bounds(QPoint(0, 0), imageSize);
    if (maskBox.isEmpty() || imageSize.isEmpty()) return plan;
    const int multiple = std::max(1, o.multiple);
    if (o.mode == RegionMode::Whole) {
        plan.crop = bounds;
        const int longSide = std::max(imageSize.width(), imageSize.height());
        plan.scaled = longSide > o.maxSide ? scaleToLongSide(imageSize, o.maxSide) : imageSize;
    } else {
        plan.crop = maskBox.adjusted(-o.padding, -o.padding, o.padding, o.padding).intersected(bounds);
        plan.scaled = scaleToLongSide(plan.crop.size(), std::max(multiple, o.nativeSize));
    }
    plan.workSize = QSize(roundUp(plan.scaled.width(), multiple), roundUp(plan.scaled.height(), multiple));
    return plan;
}

QImage extractWorkImage(const QImage& image, const RegionPlan& plan)
{
    QImage rgb = image.copy(plan.crop).convertToFormat(QImage::Format_RGB888);
    if (rgb.size() != plan.scaled)
        rgb = rgb.scaled(plan.scaled, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).convertToFormat(QImage::Format_RGB888);
    return padByEdge(rgb, plan.workSize);
}

QImage extractWorkMask(const QImage& mask, const RegionPlan& plan)
{
    QImage m = mask.copy(plan.crop).convertToFormat(QImage::Format_Grayscale8);
    if (m.size() != plan.scaled) m = m.scaled(plan.scaled, Qt::IgnoreAspectRatio, Qt::FastTransformation);
    QImage out(plan.workSize, QImage::Format_Grayscale8);
    out.fill(0);
    for (int y = 0; y < m.height(); ++y) std::memcpy(out.scanLine(y), m.constScanLine(y), static_cast<size_t>(m.width()));
    return out;
}

QImage convertLike(const QImage& rgb, const QImage& like)
{
    const QImage::Format f = like.format();
    if (f == QImage::Format_RGB888) return rgb;
    if (f == QImage::Format_Grayscale8 || f == QImage::Format_Grayscale16) return rgb.convertToFormat(f);
    QImage out = rgb.convertToFormat(f);
    if (like.hasAlphaChannel() && like.size() == rgb.size()) {
        // Keep the person's alpha: only colour is generated.
        for (int y = 0; y < out.height(); ++y) {
            if (f == QImage::Format_RGBA64) {
                auto* d = reinterpret_cast<QRgba64*>(out.scanLine(y));
                const auto* s = reinterpret_cast<const QRgba64*>(like.constScanLine(y));
                for (int x = 0; x < out.width(); ++x) d[x].setAlpha(s[x].alpha());
            } else if (f == QImage::Format_RGBA8888) {
                uchar* d = out.scanLine(y);
                const uchar* s = like.constScanLine(y);
                for (int x = 0; x < out.width(); ++x) d[4 * x + 3] = s[4 * x + 3];
            } else {
                for (int x = 0; x < out.width(); ++x) {
                    QColor c = out.pixelColor(x, y);
                    c.setAlphaF(like.pixelColor(x, y).alphaF());
                    out.setPixelColor(x, y, c);
                }
            }
        }
    }
    return out;
}

QImage restoreWorkImage(const QImage& original, const QImage& work, const RegionPlan& plan)
{
    QImage part = work.copy(QRect(QPoint(0, 0), plan.scaled)).convertToFormat(QImage::Format_RGB888);
    if (part.size() != plan.crop.size())
        part = part.scaled(plan.crop.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation).convertToFormat(QImage::Format_RGB888);
    const QImage region = convertLike(part, original.copy(plan.crop));
    QImage out = original.copy();
    const int bpp = out.depth() / 8;
    for (int y = 0; y < region.height(); ++y)
        std::memcpy(out.scanLine(plan.crop.y() + y) + plan.crop.x() * bpp, region.constScanLine(y),
                    static_cast<size_t>(region.width()) * bpp);
    return out;
}

}  // namespace inpaint::imaging
