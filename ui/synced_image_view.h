// SyncedImageView: one image with zoom (wheel, around the cursor) and pan (drag), and a label in
// the corner. Every change the person makes is announced with viewChanged(zoom, centre) so a
// compare grid can move its other views to the same place; setView() moves it without a signal.
#pragma once

#include <QImage>
#include <QPointF>
#include <QWidget>

namespace inpaint::ui {

class SyncedImageView : public QWidget {
    Q_OBJECT
public:
    explicit SyncedImageView(QWidget* parent = nullptr);

    void setImage(const QImage& image);  // keeps the view if the size is the same
    const QImage& image() const { return m_image; }
    void setLabel(const QString& text);
    QString label() const { return m_label; }

    double zoom() const { return m_zoom; }      // screen pixels per image pixel; 0 = fit
    QPointF centre() const { return m_centre; } // image coordinates at the widget's centre
    void setView(double zoom, QPointF centre);  // no signal
    double effectiveZoom() const;                // the fitted zoom when zoom() is 0

signals:
    void viewChanged(double zoom, QPointF centre);

protected:
    void paintEvent(QPaintEvent*) override;
    void wheelEvent(QWheelEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;

private:
    QPointF toImage(QPointF widgetPos) const;
    QImage m_image;
    QString m_label;
    double m_zoom = 0.0;
    QPointF m_centre;
    QPointF m_dragFrom;
    bool m_dragging = false;
};

}  // namespace inpaint::ui
