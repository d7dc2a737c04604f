// Outpainting's canvas work (see outpaint.h).
#include "core/imaging/outpaint.h"

#include "core/imaging/classical_inpaint.h"
#include "core/imaging/image_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>

namespace inpaint::imaging {

QString prefillName(Prefill p)
{
    switch (p) {
    case Prefill::Edge: return QStringLiteral("edge");
    case Prefill::Telea: return QStringLiteral("telea");
    case Prefill::Noise: return QStringLiteral("noise");
    }
    return {};
}

QStringList prefillNames() { return {prefillName(Prefill::Edge), prefillName(Prefill::Telea), prefillName(Prefill::Noise)}; }

std::optional<Prefill> parsePrefill(const QString& s)
{
    for (Prefill p : {Prefill::Edge, Prefill::Telea, Prefill::Noise})
        if (s.compare(prefillName(p), Qt::CaseInsensitive) == 0) return p;
    return std::nullopt;
}

CanvasExtension extensionForAspect(QSize size, double aspect, Anchor anchor)
{
    CanvasExtension e;
    if (size.isEmpty() || !(aspect > 0)) return e;
    const double current = double(size.width()) / size.height();
    int addW = 0, addH = 0;
    if (current < aspect) addW = int(std::lround(size.height() * aspect)) - size.width();
    else if (current > aspect) addH = int(std::lround(size.width() / aspect)) - size.height();
    addW = std::max(0, addW);
    addH = std::max(0, addH);
    auto split = [](int total, int where) {  // where: 0 = old picture first, 1 = centre, 2 = last
        const int before = where == 0 ? 0 : where == 2 ? total : total / 2;
        return std::pair{before, total - before};
    };
    int col = 1, row = 1;
    switch (anchor) {
    case Anchor::TopLeft: col = 0; row = 0; break;
    case Anchor::Top: row = 0; break;
    case Anchor::TopRight: col = 2; row = 0; break;
    case Anchor::Left: col = 0; break;
    case Anchor::Right: col = 2; break;
    case Anchor::BottomLeft: col = 0; row = 2; break;
    case Anchor::Bottom: row = 2; break;
    case Anchor::BottomRight: col = 2; row = 2; break;
    case Anchor::Center: break;
    }
    std::tie(e.left, e.right) = split(addW, col);
    std::tie(e.top, e.bottom) = split(addH, row);
    return e;
}

namespace {

void fillEdges(QImage& canvas, const QRect& old)
{
    const int bpp = canvas.depth() / 8;
    for (int y = old.top(); y <= old.bottom(); ++y) {
        uchar* row = canvas.scanLine(y);
        const uchar* first = row + qsizetype(old.left()) * bpp;
        const uchar* last = row + qsizetype(old.right()) * bpp;
        for (int x = 0; x < old.left(); ++x) std::memcpy(row + qsizetype(x) * bpp, first, size_t(bpp));
        for (int x = old.right() + 1; x < canvas.width(); ++x) std::memcpy(row + qsizetype(x) * bpp, last, size_t(bpp));
    }
    const size_t lineBytes = size_t(canvas.width()) * size_t(bpp);
    for (int y = 0; y < old.top(); ++y) std::memcpy(canvas.scanLine(y), canvas.constScanLine(old.top()), lineBytes);
    for (int y = old.bottom() + 1; y < canvas.height(); ++y)
        std::memcpy(canvas.scanLine(y), canvas.constScanLine(old.bottom()), lineBytes);
}

// Uniform noise over the new area; alpha (if any) opaque.
void fillNoise(QImage& canvas, const QRect& old, quint64 seed)
{
    std::mt19937_64 rng(seed);
    const QImage::Format f = canvas.format();
    const bool wide = f == QImage::Format_Grayscale16 || f == QImage::Format_RGBX64 || f == QImage::Format_RGBA64;
    const int channels = (canvas.depth() / 8) / (wide ? 2 : 1);
    const bool alpha = canvas.hasAlphaChannel();
    for (int y = 0; y < canvas.height(); ++y) {
        uchar* row = canvas.scanLine(y);
        for (int x = 0; x < canvas.width(); ++x) {
            if (old.contains(x, y)) continue;
            for (int c = 0; c < channels; ++c) {
                const bool isAlpha = (alpha || f == QImage::Format_RGBX64) && c == channels - 1;
                const quint64 r = rng();
                if (wide) {
                    const quint16 v = isAlpha ? quint16(0xffff) : quint16(r);
                    std::memcpy(row + (qsizetype(x) * channels + c) * 2, &v, 2);
                } else {
                    row[qsizetype(x) * channels + c] = isAlpha ? uchar(255) : uchar(r);
                }
            }
        }
    }
}

}  // namespace

QImage extendMask(const QImage& mask, const CanvasExtension& e)
{
    if (mask.isNull()) return {};
    const QImage src = mask.format() == QImage::Format_Grayscale8 ? mask : mask.convertToFormat(QImage::Format_Grayscale8);
    QImage out(src.width() + e.left + e.right, src.height() + e.top + e.bottom, QImage::Format_Grayscale8);
    if (out.isNull()) return {};
    out.fill(0);
    for (int y = 0; y < src.height(); ++y)
        std::memcpy(out.scanLine(y + e.top) + e.left, src.constScanLine(y), size_t(src.width()));
    return out;
}

std::optional<ExtendedCanvas> extendCanvas(const QImage& input, const CanvasExtension& e, Prefill prefill, int overlap,
                                           QString* error, quint64 noiseSeed, qint64 maxPixels)
{
    auto fail = [&](const QString& message) -> std::optional<ExtendedCanvas> {
        if (error) *error = message;
        return std::nullopt;
    };
    if (input.isNull()) return fail(QStringLiteral("There is no image to extend."));
    if (e.left < 0 || e.right < 0 || e.top < 0 || e.bottom < 0)
        return fail(QStringLiteral("The canvas can only grow: every side's extension must be 0 or more pixels."));
    if (e.isZero()) return fail(QStringLiteral("Nothing to extend: every side is 0 pixels. Add pixels on at least one side."));
    if (maxPixels < 0) maxPixels = kMaxImagePixels;
    const qint64 w = qint64(input.width()) + e.left + e.right, h = qint64(input.height()) + e.top + e.bottom;
    constexpr qint64 kMaxSide = 65535;
    if (w > kMaxSide || h > kMaxSide || w * h > maxPixels)
        return fail(QStringLiteral("Extending to %1 × %2 px is over the image-size limit (%3 megapixels, at most %4 px a "
                                   "side): extend by less.")
                        .arg(w)
                        .arg(h)
                        .arg(maxPixels / 1000000)
                        .arg(kMaxSide));
    const QImage image = toDocumentFormat(input);
    ExtendedCanvas out;
    out.oldRect = QRect(e.left, e.top, image.width(), image.height());
    out.image = QImage(int(w), int(h), image.format());
    out.mask = QImage(int(w), int(h), QImage::Format_Grayscale8);
    if (out.image.isNull() || out.mask.isNull())
        return fail(QStringLiteral("Not enough memory to extend the canvas to %1 × %2 px.").arg(w).arg(h));
    const int bpp = image.depth() / 8;
    for (int y = 0; y < image.height(); ++y)
        std::memcpy(out.image.scanLine(y + e.top) + qsizetype(e.left) * bpp, image.constScanLine(y),
                    size_t(image.width()) * size_t(bpp));
    fillEdges(out.image, out.oldRect);

    // The mask: everything new, and a band of the old picture along each side that grew.
    out.mask.fill(255);
    const QRect old = out.oldRect;
    const int ovX = std::clamp(overlap, 0, image.width()), ovY = std::clamp(overlap, 0, image.height());
    QRect keep = old;
    if (e.left > 0) keep.setLeft(old.left() + ovX);
    if (e.right > 0) keep.setRight(old.right() - ovX);
    if (e.top > 0) keep.setTop(old.top() + ovY);
    if (e.bottom > 0) keep.setBottom(old.bottom() - ovY);
    for (int y = keep.top(); y <= keep.bottom(); ++y)
        if (keep.width() > 0) std::memset(out.mask.scanLine(y) + keep.left(), 0, size_t(keep.width()));

    if (prefill == Prefill::Noise) {
        fillNoise(out.image, old, noiseSeed);
    } else if (prefill == Prefill::Telea) {
        QImage newArea(out.mask.size(), QImage::Format_Grayscale8);
        if (newArea.isNull()) return fail(QStringLiteral("Not enough memory for the Telea pre-fill."));
        newArea.fill(255);
        for (int y = old.top(); y <= old.bottom(); ++y) std::memset(newArea.scanLine(y) + old.left(), 0, size_t(old.width()));
        QString err;
        QImage filled = classicalInpaint(out.image, newArea, ClassicalMethod::Telea, 5, &err);
        if (filled.isNull()) return fail(QStringLiteral("The Telea pre-fill failed: %1").arg(err));
        out.image = filled;
    }
    return out;
}

}  // namespace inpaint::imaging
