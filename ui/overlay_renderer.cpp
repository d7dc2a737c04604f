// Mask overlay rendering (see overlay_renderer.h).
#include "ui/overlay_renderer.h"

#include "core/document/document.h"

#include <cmath>
#include <vector>

namespace inpaint::ui {

QImage renderMaskOverlay(const document::Document& doc, const ViewTransform& view, const QRect& target,
                         qreal opacity) {
    QImage out(target.size(), QImage::Format_ARGB32_Premultiplied);
    out.fill(Qt::transparent);
    if (doc.isNull() || target.isEmpty()) return out;
    const int iw = doc.size().width(), ih = doc.size().height();
    const int op = int(std::lround(std::clamp(opacity, 0.0, 1.0) * 255.0));
    if (op == 0) return out;

    // Image column for every widget column of the target (pixel centres), -1 outside.
    std::vector<int> cols(size_t(target.width()));
    int firstCol = -1, lastCol = -1;
    for (int i = 0; i < target.width(); ++i) {
        const qreal x = (target.left() + i + 0.5 - view.offset.x()) / view.zoom;
        const int ix = int(std::floor(x));
        cols[size_t(i)] = (ix >= 0 && ix < iw) ? ix : -1;
        if (cols[size_t(i)] >= 0) {
            if (firstCol < 0) firstCol = i;
            lastCol = i;
        }
    }
    if (firstCol < 0) return out;

    struct Src {
        const QImage* px;
        int r, g, b;
    };
    std::vector<Src> layers;
    for (int i = 0; i < doc.layerCount(); ++i) {
        const auto& l = doc.layer(i);
        if (!l.visible) continue;
        layers.push_back({&l.pixels, l.color.red(), l.color.green(), l.color.blue()});
    }
    if (layers.empty()) return out;

    for (int j = 0; j < target.height(); ++j) {
        const qreal y = (target.top() + j + 0.5 - view.offset.y()) / view.zoom;
        const int iy = int(std::floor(y));
        if (iy < 0 || iy >= ih) continue;
        quint32* dst = reinterpret_cast<quint32*>(out.scanLine(j));
        for (const Src& s : layers) {
            const uchar* m = s.px->constScanLine(iy);
            for (int i = firstCol; i <= lastCol; ++i) {
                const int v = m[cols[size_t(i)]];
                if (v == 0) continue;
                const int a = (v * op + 127) / 255;
                const quint32 d = dst[i];
                const int inv = 255 - a;
                // Premultiplied "source over": out = src + dst * (1 - srcAlpha).
                const int oa = a + ((int(d >> 24) * inv + 127) / 255);
                const int orr = (s.r * a + 127) / 255 + ((int((d >> 16) & 0xff) * inv + 127) / 255);
                const int og = (s.g * a + 127) / 255 + ((int((d >> 8) & 0xff) * inv + 127) / 255);
                const int ob = (s.b * a + 127) / 255 + ((int(d & 0xff) * inv + 127) / 255);
                dst[i] = (quint32(std::min(oa, 255)) << 24) | (quint32(std::min(orr, 255)) << 16) |
                         (quint32(std::min(og, 255)) << 8) | quint32(std::min(ob, 255));
            }
        }
    }
    return out;
}

}  // namespace inpaint::ui
