// Comparison sheet (see compare_sheet.h).
#include "core/imaging/compare_sheet.h"

#include <QPainter>

#include <algorithm>

namespace inpaint::imaging {

namespace {

QImage maskView(const QImage& original, const QImage& mask)
{
    QImage out = original.convertToFormat(QImage::Format_RGB888);
    const QImage m = mask.convertToFormat(QImage::Format_Grayscale8);
    if (m.size() != out.size()) return out;
    for (int y = 0; y < out.height(); ++y) {
        uchar* p = out.scanLine(y);
        const uchar* mv = m.constScanLine(y);
        for (int x = 0; x < out.width(); ++x, p += 3) {
            const int a = mv[x];  // red where repainted, the photo dimmed elsewhere
            p[0] = uchar((p[0] * 2 / 5) * (255 - a) / 255 + a * 230 / 255);
            p[1] = uchar((p[1] * 2 / 5) * (255 - a) / 255 + a * 40 / 255);
            p[2] = uchar((p[2] * 2 / 5) * (255 - a) / 255 + a * 60 / 255);
        }
    }
    return out;
}

}  // namespace

QImage composeSheet(const QImage& original, const QImage& mask, const QList<QImage>& results, const QStringList& labels,
                    const QString& title, const SheetLayout& l, QList<QRect>* cells)
{
    if (original.isNull()) return {};
    const int cw = std::max(16, l.cellWidth);
    const int ch = std::max(1, int(qint64(cw) * original.height() / std::max(1, original.width())));
    const int n = 2 + int(results.size());
    const QSize size(l.margin + n * (cw + l.margin), l.titleHeight + ch + l.labelHeight + l.margin);
    QImage sheet(size, QImage::Format_RGB888);
    if (sheet.isNull()) return {};
    sheet.fill(QColor(32, 33, 36));

    QList<QImage> images{original, maskView(original, mask)};
    images += results;
    QStringList names{QStringLiteral("original"), QStringLiteral("mask")};
    for (int i = 0; i < results.size(); ++i)
        names << (i < labels.size() ? labels[i] : QStringLiteral("slot %1").arg(i + 1));

    QPainter p(&sheet);
    p.setRenderHint(QPainter::SmoothPixmapTransform);
    p.setRenderHint(QPainter::TextAntialiasing);
    QFont f = p.font();
    f.setPixelSize(15);
    p.setFont(f);
    p.setPen(QColor(235, 235, 235));
    p.drawText(QRect(l.margin, 0, size.width() - 2 * l.margin, l.titleHeight), Qt::AlignVCenter | Qt::AlignLeft,
               p.fontMetrics().elidedText(title, Qt::ElideRight, size.width() - 2 * l.margin));
    f.setPixelSize(13);
    p.setFont(f);
    QList<QRect> rects;
    for (int i = 0; i < n; ++i) {
        const QRect cell(l.margin + i * (cw + l.margin), l.titleHeight, cw, ch);
        rects << cell;
        if (images[i].isNull()) {
            p.fillRect(cell, QColor(60, 30, 30));
            p.drawText(cell, Qt::AlignCenter, QStringLiteral("failed"));
        } else {
            p.drawImage(cell, images[i].convertToFormat(QImage::Format_RGB888));
        }
        const QRect label(cell.left(), cell.bottom() + 1, cw, l.labelHeight);
        p.drawText(label, Qt::AlignCenter, p.fontMetrics().elidedText(names[i], Qt::ElideMiddle, cw));
    }
    p.end();
    if (cells) *cells = rects;
    return sheet;
}

}  // namespace inpaint::imaging
