// SyncedImageView (see synced_image_view.h).
#include "ui/synced_image_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace inpaint::ui {

SyncedImageView::SyncedImageView(QWidget* parent) : QWidget(parent) {
    setMinimumSize(160, 120);
    setMouseTracking(false);
}

void SyncedImageView::setImage(const QImage& image) {
    if (image.size() != m_image.size()) {
        m_zoom = 0.0;
        m_centre = QPointF(image.width() / 2.0, image.height() / 2.0);
    }
    m_image = image;
    update();
}

void SyncedImageView::setLabel(const QString& text) {
    m_label = text;
    update();
}

double SyncedImageView::effectiveZoom() const {
    if (m_zoom > 0.0 || m_image.isNull()) return m_zoom > 0.0 ? m_zoom : 1.0;
    return std::min(double(width()) / m_image.width(), double(height()) / m_image.height());
}

void SyncedImageView::setView(double zoom, QPointF centre) {
    m_zoom = zoom;
    m_centre = centre;
    update();
}

QPointF SyncedImageView::toImage(QPointF p) const {
    const double z = effectiveZoom();
    return m_centre + (p - QPointF(width() / 2.0, height() / 2.0)) / z;
}

void SyncedImageView::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.fillRect(rect(), QColor(40, 41, 44));
    if (!m_image.isNull()) {
        const double z = effectiveZoom();
        const QPointF topLeft = QPointF(width() / 2.0, height() / 2.0) - m_centre * z;
        p.setRenderHint(QPainter::SmoothPixmapTransform, z < 1.0);
        p.drawImage(QRectF(topLeft, QSizeF(m_image.width() * z, m_image.height() * z)), m_image);
    }
    if (!m_label.isEmpty()) {
        const QRect box = p.fontMetrics().boundingRect(m_label).adjusted(-6, -3, 6, 3).translated(10, 10 + p.fontMetrics().ascent());
        p.fillRect(box, QColor(0, 0, 0, 170));
        p.setPen(Qt::white);
        p.drawText(box, Qt::AlignCenter, m_label);
    }
}

void SyncedImageView::wheelEvent(QWheelEvent* e) {
    if (m_image.isNull()) return;
    const QPointF at = toImage(e->position());
    const double z = effectiveZoom();
    const double nz = std::clamp(z * std::pow(1.0015, e->angleDelta().y()), 0.02, 64.0);
    // Keep the image point under the cursor where it is.
    m_centre = at - (e->position() - QPointF(width() / 2.0, height() / 2.0)) / nz;
    m_zoom = nz;
    update();
    emit viewChanged(m_zoom, m_centre);
    e->accept();
}

void SyncedImageView::mousePressEvent(QMouseEvent* e) {
    m_dragging = true;
    m_dragFrom = e->position();
}

void SyncedImageView::mouseMoveEvent(QMouseEvent* e) {
    if (!m_dragging) return;
    const double z = effectiveZoom();
    if (m_zoom <= 0.0) m_zoom = z;  // panning pins the fitted zoom
    m_centre -= (e->position() - m_dragFrom) / z;
    m_dragFrom = e->position();
    update();
    emit viewChanged(m_zoom, m_centre);
}

void SyncedImageView::mouseReleaseEvent(QMouseEvent*) { m_dragging = false; }

}  // namespace inpaint::ui
