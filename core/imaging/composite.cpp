// Paste-back (see composite.h) and the blending kernel it shares with classicalInpaint().
#include "core/imaging/composite.h"

#include "core/imaging/composite_detail.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"

#include <cstring>

namespace inpaint::imaging {

namespace detail {

namespace {

struct Layout {
    int sampleBytes = 0;  // 1 or 2
    int channels = 0;     // samples per pixel
};

Layout layoutOf(QImage::Format f)
{
    switch (f) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Alpha8:
        return {1, 1};
    case QImage::Format_RGB888:
    case QImage::Format_BGR888:
        return {1, 3};
    case QImage::Format_RGB32:
    case QImage::Format_ARGB32:
    case QImage::Format_ARGB32_Premultiplied:
    case QImage::Format_RGBX8888:
    case QImage::Format_RGBA8888:
    case QImage::Format_RGBA8888_Premultiplied:
        return {1, 4};
    case QImage::Format_Grayscale16:
        return {2, 1};
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
    case QImage::Format_RGBA64_Premultiplied:
        return {2, 4};
    default:
        return {};
    }
}

template <typename T>
void blendRow(T* d, const T* g, const uchar* m, int width, int channels)
{
    for (int x = 0; x < width; ++x, d += channels, g += channels) {
        const quint32 a = m[x];
        if (a == 0) continue;
        if (a == 255) {
            std::memcpy(d, g, sizeof(T) * channels);
            continue;
        }
        for (int c = 0; c < channels; ++c)
            d[c] = static_cast<T>((quint32(d[c]) * (255 - a) + quint32(g[c]) * a + 127) / 255);
    }
}

}  // namespace

bool isBlendable(QImage::Format f)
{
    return layoutOf(f).channels > 0;
}

void blendInto(QImage& dst, const QImage& gen, const QImage& mask, QPoint at)
{
    const Layout l = layoutOf(dst.format());
    if (!l.channels || gen.format() != dst.format() || mask.size() != gen.size()) return;
    const int bpp = l.sampleBytes * l.channels;
    for (int y = 0; y < gen.height(); ++y) {
        const uchar* m = mask.constScanLine(y);
        // Skip rows the mask does not touch without detaching or writing anything.
        bool any = false;
        for (int x = 0; x < gen.width() && !any; ++x) any = m[x] != 0;
        if (!any) continue;
        uchar* d = dst.scanLine(at.y() + y) + qsizetype(at.x()) * bpp;
        const uchar* g = gen.constScanLine(y);
        if (l.sampleBytes == 1)
            blendRow(d, g, m, gen.width(), l.channels);
        else
            blendRow(reinterpret_cast<quint16*>(d), reinterpret_cast<const quint16*>(g), m, gen.width(),
                     l.channels);
    }
}

}  // namespace detail

QImage pasteBack(const QImage& original, const QImage& generated, const QImage& mask)
{
    if (original.isNull() || generated.isNull() || mask.isNull()) return {};
    if (generated.size() != original.size() || mask.size() != original.size()) return {};
    const QImage m = mask.format() == QImage::Format_Grayscale8 ? mask : maskFromImage(mask);

    // Formats we cannot blend sample by sample (indexed, mono, packed 16-bit, float) are
    // handled in their document format; the result then has that format.
    QImage base = detail::isBlendable(original.format()) ? original : toDocumentFormat(original);
    QImage gen = generated.format() == base.format() ? generated : generated.convertToFormat(base.format());
    if (base.isNull() || gen.isNull()) return {};

    QImage result = base.copy();
    if (result.isNull()) return {};
    detail::blendInto(result, gen, m, QPoint(0, 0));
    return result;
}

}  // namespace inpaint::imaging
