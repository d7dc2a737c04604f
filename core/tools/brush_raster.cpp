// Brush rasterisation (see brush_raster.h).
#include "core/tools/brush_raster.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace inpaint::tools {

qreal brushCoverage(qreal d, qreal r, qreal hardness) {
    if (d > r) return 0.0;
    const qreal inner = r * std::clamp(hardness, 0.0, 1.0);
    if (d <= inner) return 1.0;
    const qreal t = (r - d) / (r - inner);  // 1 at the inner edge, 0 at the rim
    return t * t * (3.0 - 2.0 * t);
}

QRect segmentBounds(const BrushSegment& s, const QRect& bounds) {
    const qreal r = std::max(s.fromRadius, s.toRadius);
    const qreal x0 = std::min(s.from.x(), s.to.x()) - r, x1 = std::max(s.from.x(), s.to.x()) + r;
    const qreal y0 = std::min(s.from.y(), s.to.y()) - r, y1 = std::max(s.from.y(), s.to.y()) + r;
    // Pixels whose centre can lie inside [x0, x1] x [y0, y1].
    const QRect r2(QPoint(int(std::floor(x0 - 0.5)), int(std::floor(y0 - 0.5))),
                   QPoint(int(std::ceil(x1 - 0.5)), int(std::ceil(y1 - 0.5))));
    return r2 & bounds;
}

namespace {

// The x-interval where the horizontal line y = yc meets the capsule of radius R around the
// segment a-b (a convex shape, so the intersection is one interval). Returns false when
// the line misses it.
bool capsuleRowSpan(QPointF a, QPointF b, qreal R, qreal yc, qreal* lo, qreal* hi) {
    qreal minX = std::numeric_limits<qreal>::max(), maxX = std::numeric_limits<qreal>::lowest();
    auto circle = [&](QPointF c) {
        const qreal dy = yc - c.y();
        if (std::abs(dy) > R) return;
        const qreal dx = std::sqrt(R * R - dy * dy);
        minX = std::min(minX, c.x() - dx);
        maxX = std::max(maxX, c.x() + dx);
    };
    circle(a);
    circle(b);
    const QPointF d = b - a;
    const qreal len = std::hypot(d.x(), d.y());
    if (len > 1e-9) {
        // The rectangle a±Rn, b±Rn (n the unit normal): intersect the row with its edges.
        const QPointF n(-d.y() / len * R, d.x() / len * R);
        const QPointF quad[4] = {a + n, b + n, b - n, a - n};
        for (int i = 0; i < 4; ++i) {
            const QPointF p = quad[i], q = quad[(i + 1) % 4];
            if ((p.y() - yc) * (q.y() - yc) > 0) continue;
            if (std::abs(q.y() - p.y()) < 1e-12) {
                minX = std::min({minX, p.x(), q.x()});
                maxX = std::max({maxX, p.x(), q.x()});
            } else {
                const qreal x = p.x() + (yc - p.y()) * (q.x() - p.x()) / (q.y() - p.y());
                minX = std::min(minX, x);
                maxX = std::max(maxX, x);
            }
        }
    }
    if (minX > maxX) return false;
    *lo = minX;
    *hi = maxX;
    return true;
}

}  // namespace

QRect rasterSegment(QImage& mask, const BrushSegment& s, qreal hardness, BrushMode mode,
                    const QRect& clip) {
    Q_ASSERT(mask.format() == QImage::Format_Grayscale8);
    const QRect box = segmentBounds(s, clip & mask.rect());
    if (box.isEmpty()) return {};
    const QPointF a = s.from, ab = s.to - s.from;
    const qreal len2 = QPointF::dotProduct(ab, ab);
    const qreal ra = std::max<qreal>(s.fromRadius, 0.5), rb = std::max<qreal>(s.toRadius, 0.5);
    const qreal R = std::max(ra, rb);
    const bool hard = hardness >= 1.0;

    for (int y = box.top(); y <= box.bottom(); ++y) {
        const qreal yc = y + 0.5;
        qreal lo, hi;
        if (!capsuleRowSpan(s.from, s.to, R, yc, &lo, &hi)) continue;
        // Pixel centres inside [lo, hi], padded by one pixel against rounding.
        const int x0 = std::max(box.left(), int(std::floor(lo - 0.5)) - 1);
        const int x1 = std::min(box.right(), int(std::ceil(hi - 0.5)) + 1);
        uchar* row = mask.scanLine(y);
        for (int x = x0; x <= x1; ++x) {
            const QPointF p(x + 0.5 - a.x(), yc - a.y());
            qreal t = len2 > 0 ? QPointF::dotProduct(p, ab) / len2 : 0.0;
            t = std::clamp(t, 0.0, 1.0);
            const qreal dx = p.x() - t * ab.x(), dy = p.y() - t * ab.y();
            const qreal d2 = dx * dx + dy * dy;
            const qreal r = ra + (rb - ra) * t;
            int v;
            if (hard) {
                if (d2 > r * r) continue;
                v = 255;
            } else {
                if (d2 > r * r) continue;
                v = int(std::lround(255.0 * brushCoverage(std::sqrt(d2), r, hardness)));
                if (v == 0) continue;
            }
            if (mode == BrushMode::Paint) {
                if (row[x] < v) row[x] = uchar(v);
            } else {
                const int keep = 255 - v;
                if (row[x] > keep) row[x] = uchar(keep);
            }
        }
    }
    return box;
}

}  // namespace inpaint::tools
