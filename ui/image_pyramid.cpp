// ImagePyramid (see image_pyramid.h).
#include "ui/image_pyramid.h"

#include <algorithm>
#include <cmath>

namespace inpaint::ui {

namespace {

QSize halved(QSize s) { return QSize((s.width() + 1) / 2, (s.height() + 1) / 2); }

inline quint32 avg4(quint32 a, quint32 b, quint32 c, quint32 d) {
    quint32 out = 0;
    for (int shift = 0; shift < 32; shift += 8) {
        const quint32 sum = ((a >> shift) & 0xff) + ((b >> shift) & 0xff) + ((c >> shift) & 0xff) +
                            ((d >> shift) & 0xff) + 2;
        out |= ((sum >> 2) & 0xff) << shift;
    }
    return out;
}

// dst row `y`, columns [x0, x1], from two premultiplied source rows (r1 may equal r0 at
// the bottom edge); srcW clamps the right edge for odd widths. srcX0 is the x of r0[0].
void halveRow(const quint32* r0, const quint32* r1, int srcX0, int srcW, quint32* dst, int x0, int x1) {
    for (int x = x0; x <= x1; ++x) {
        const int sx = 2 * x - srcX0;
        const int sx1 = std::min(2 * x + 1, srcW - 1) - srcX0;
        dst[x] = avg4(r0[sx], r0[sx1], r1[sx], r1[sx1]);
    }
}

}  // namespace

void ImagePyramid::reset() { m_levels.clear(); }

void ImagePyramid::invalidate(const QRect& rect) {
    for (Level& l : m_levels) l.dirty |= rect;
}

int ImagePyramid::levelForZoom(qreal zoom, QSize sourceSize) {
    int k = 0;
    QSize s = sourceSize;
    while (zoom * (1 << (k + 1)) <= 1.0 && s.width() > 1 && s.height() > 1 && k < 16) {
        ++k;
        s = halved(s);
    }
    return k;
}

const QImage& ImagePyramid::level(const QImage& source, int k) {
    Q_ASSERT(k >= 1);
    if (int(m_levels.size()) < k) m_levels.resize(size_t(k));
    for (int i = 1; i <= k; ++i) refresh(source, i);
    return m_levels[size_t(k - 1)].image;
}

void ImagePyramid::refresh(const QImage& source, int k) {
    Level& lv = m_levels[size_t(k - 1)];
    const QImage& below = k == 1 ? source : m_levels[size_t(k - 2)].image;
    const QSize size = halved(below.size());
    if (lv.image.size() != size) {
        lv.image = QImage(size, QImage::Format_ARGB32_Premultiplied);
        lv.dirty = source.rect();
    }
    if (lv.dirty.isEmpty()) return;
    // The dirty rectangle in this level's pixels (rounded outwards).
    const int f = 1 << k;
    const QRect r = QRect(QPoint(lv.dirty.left() / f, lv.dirty.top() / f),
                          QPoint(lv.dirty.right() / f, lv.dirty.bottom() / f)) & lv.image.rect();
    lv.dirty = {};
    if (r.isEmpty()) return;
    const int srcW = below.width(), srcH = below.height();
    const int sx0 = 2 * r.left(), sx1 = std::min(2 * r.right() + 1, srcW - 1);
    for (int y = r.top(); y <= r.bottom(); ++y) {
        const int sy0 = 2 * y, sy1 = std::min(2 * y + 1, srcH - 1);
        quint32* dst = reinterpret_cast<quint32*>(lv.image.scanLine(y));
        if (k == 1 && below.format() != QImage::Format_ARGB32_Premultiplied) {
            // Convert just this strip of the source: any document format, no full-size copy.
            const QImage strip = below.copy(QRect(QPoint(sx0, sy0), QPoint(sx1, sy1)))
                                     .convertToFormat(QImage::Format_ARGB32_Premultiplied);
            const auto* r0 = reinterpret_cast<const quint32*>(strip.constScanLine(0));
            const auto* r1 = reinterpret_cast<const quint32*>(strip.constScanLine(strip.height() - 1));
            halveRow(r0, r1, sx0, srcW, dst, r.left(), r.right());
        } else {
            const auto* r0 = reinterpret_cast<const quint32*>(below.constScanLine(sy0)) + sx0;
            const auto* r1 = reinterpret_cast<const quint32*>(below.constScanLine(sy1)) + sx0;
            halveRow(r0, r1, sx0, srcW, dst, r.left(), r.right());
        }
    }
}

}  // namespace inpaint::ui
