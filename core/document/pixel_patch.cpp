// Format-agnostic pixel patches (see pixel_patch.h).
#include "core/document/pixel_patch.h"

#include <algorithm>
#include <cstring>

namespace inpaint::document {

namespace {
int bytesPerPixel(const QImage& image) { return image.depth() / 8; }
}  // namespace

QImage copyPatch(const QImage& image, const QRect& rect) {
    const QRect r = rect & image.rect();
    if (r.isEmpty()) return {};
    return image.copy(r);  // QImage::copy keeps the format and the exact bytes
}

QRect writePatch(QImage& image, const QImage& patch, const QPoint& at) {
    Q_ASSERT(patch.isNull() || patch.format() == image.format());
    if (patch.isNull() || patch.format() != image.format()) return {};
    const QRect dst = QRect(at, patch.size()) & image.rect();
    if (dst.isEmpty()) return {};
    const int bpp = bytesPerPixel(image);
    const int sx = dst.x() - at.x();
    const int sy = dst.y() - at.y();
    const size_t rowBytes = size_t(dst.width()) * size_t(bpp);
    for (int y = 0; y < dst.height(); ++y) {
        const uchar* src = patch.constScanLine(sy + y) + size_t(sx) * bpp;
        uchar* out = image.scanLine(dst.y() + y) + size_t(dst.x()) * bpp;
        std::memcpy(out, src, rowBytes);
    }
    return dst;
}

void fillGray(QImage& image, const QRect& rect, uchar value) {
    Q_ASSERT(image.format() == QImage::Format_Grayscale8);
    const QRect r = rect & image.rect();
    for (int y = r.top(); y <= r.bottom(); ++y)
        std::memset(image.scanLine(y) + r.x(), value, size_t(r.width()));
}

QRect boundsNotEqual(const QImage& gray8, uchar value) {
    if (gray8.isNull()) return {};
    Q_ASSERT(gray8.format() == QImage::Format_Grayscale8);
    const int w = gray8.width();
    int top = -1, bottom = -1, left = w, right = -1;
    for (int y = 0; y < gray8.height(); ++y) {
        const uchar* row = gray8.constScanLine(y);
        int first = -1;
        for (int x = 0; x < w; ++x) {
            if (row[x] != value) { first = x; break; }
        }
        if (first < 0) continue;
        int last = first;
        for (int x = w - 1; x > first; --x) {
            if (row[x] != value) { last = x; break; }
        }
        if (top < 0) top = y;
        bottom = y;
        left = std::min(left, first);
        right = std::max(right, last);
    }
    if (top < 0) return {};
    return QRect(QPoint(left, top), QPoint(right, bottom));
}

QRect nonZeroBounds(const QImage& gray8) { return boundsNotEqual(gray8, 0); }

bool samePixels(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.format() != b.format()) return false;
    const size_t rowBytes = size_t(a.width()) * size_t(a.depth() / 8);
    for (int y = 0; y < a.height(); ++y) {
        if (std::memcmp(a.constScanLine(y), b.constScanLine(y), rowBytes) != 0) return false;
    }
    return true;
}

}  // namespace inpaint::document
