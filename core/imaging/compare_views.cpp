// Compare views (see compare_views.h).
#include "core/imaging/compare_views.h"

#include "core/imaging/heatmap.h"

#include <QPainter>
#include <algorithm>
#include <cmath>

namespace inpaint::imaging {

QImage splitComposite(const QImage& a, const QImage& b, int x) {
    if (a.isNull() || b.isNull() || a.size() != b.size()) return {};
    QImage split = b.convertToFormat(QImage::Format_RGB888);
    QPainter p(&split);
    p.drawImage(QRect(0, 0, x, split.height()), a, QRect(0, 0, x, a.height()));
    p.setPen(QPen(QColor(255, 255, 255, 200), 0));
    if (x > 0 && x < split.width()) p.drawLine(x, 0, x, split.height() - 1);
    p.end();
    return split;
}

QList<QImage> differenceToFirst(const QList<QImage>& images) {
    QList<QImage> out = images;
    if (images.isEmpty() || images[0].isNull()) return out;
    for (int i = 1; i < images.size(); ++i) {
        const QImage heat = changeHeatmap(images[0], images[i]);
        if (!heat.isNull()) out[i] = heat;
    }
    return out;
}

int keptFrameIndex(int step, int stepsRun, int kept) {
    if (kept <= 0 || stepsRun <= 0) return -1;
    const int k = std::clamp(step, 1, stepsRun);
    const int i = stepsRun > 1 ? int(std::lround(double(k - 1) * (kept - 1) / (stepsRun - 1))) : kept - 1;
    return std::clamp(i, 0, kept - 1);
}

}  // namespace inpaint::imaging
