// Change heatmap (see heatmap.h).
#include "core/imaging/heatmap.h"

#include <algorithm>
#include <cstdlib>

namespace inpaint::imaging {

QImage changeHeatmap(const QImage& original, const QImage& result, ChangeStats* stats)
{
    if (original.size() != result.size() || original.isNull()) return {};
    // RGBA8888 keeps alpha differences visible too; 16-bit images are compared at 8 bits.
    const QImage a = original.convertToFormat(QImage::Format_RGBA8888);
    const QImage b = result.convertToFormat(QImage::Format_RGBA8888);
    QImage out(a.size(), QImage::Format_RGB888);
    if (out.isNull() || a.isNull() || b.isNull()) return {};
    ChangeStats s;
    for (int y = 0; y < a.height(); ++y) {
        const uchar* pa = a.constScanLine(y);
        const uchar* pb = b.constScanLine(y);
        uchar* po = out.scanLine(y);
        for (int x = 0; x < a.width(); ++x, pa += 4, pb += 4, po += 3) {
            int d = 0;
            for (int c = 0; c < 4; ++c) d = std::max(d, std::abs(int(pa[c]) - int(pb[c])));
            if (d == 0) {
                const int grey = (pa[0] * 77 + pa[1] * 150 + pa[2] * 29) >> 10;  // a quarter of the luma
                po[0] = po[1] = po[2] = uchar(grey);
                continue;
            }
            ++s.changedPixels;
            s.maxDifference = std::max(s.maxDifference, d);
            const int t = std::min(d, 64);  // 1..64 -> dark red .. yellow
            po[0] = uchar(96 + t * 159 / 64);
            po[1] = uchar(t * 255 / 64);
            po[2] = 0;
        }
    }
    if (stats) *stats = s;
    return out;
}

}  // namespace inpaint::imaging
