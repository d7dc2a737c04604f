// ViewTransform: how image coordinates map to a canvas widget: widget = image * zoom + offset.
// A plain value so several views (compare mode) can share or copy it.
#pragma once

#include <QPointF>
#include <QRect>
#include <QRectF>
#include <cmath>

namespace inpaint::ui {

struct ViewTransform {
    qreal zoom = 1.0;
    QPointF offset;  // widget position of image point (0, 0)

    QPointF toWidget(const QPointF& image) const { return image * zoom + offset; }
    QPointF toImage(const QPointF& widget) const { return (widget - offset) / zoom; }
    QRectF toWidget(const QRectF& image) const {
        return QRectF(toWidget(image.topLeft()), image.size() * zoom);
    }
    QRectF toImage(const QRectF& widget) const {
        return QRectF(toImage(widget.topLeft()), widget.size() / zoom);
    }
    // The widget pixels an image rectangle covers (rounded outwards, plus one pixel so
    // anti-aliased edges and the brush outline are included).
    QRect widgetRectFor(const QRect& image) const {
        const QRectF r = toWidget(QRectF(image));
        return QRect(QPoint(int(std::floor(r.left())) - 1, int(std::floor(r.top())) - 1),
                     QPoint(int(std::ceil(r.right())) + 1, int(std::ceil(r.bottom())) + 1));
    }
    // The image pixels visible in a widget rectangle (rounded outwards).
    QRect imageRectFor(const QRect& widget) const {
        const QRectF r = toImage(QRectF(widget));
        return QRect(QPoint(int(std::floor(r.left())), int(std::floor(r.top()))),
                     QPoint(int(std::ceil(r.right())), int(std::ceil(r.bottom()))));
    }
    bool operator==(const ViewTransform& o) const { return zoom == o.zoom && offset == o.offset; }
};

}  // namespace inpaint::ui
