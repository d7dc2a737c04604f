// CanvasView (see canvas_view.h).
#include "ui/canvas_view.h"

#include "core/document/document.h"
#include "ui/overlay_renderer.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QTabletEvent>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

namespace inpaint::ui {

namespace {
constexpr int kFitMargin = 12;     // widget pixels around a fitted image
constexpr int kKeepVisible = 48;   // pan never pushes the image further out than this
const QColor kBackground(0x2a, 0x2c, 0x30);

// Zoom steps for Ctrl+= / Ctrl+-: the usual percentages, so 100 % is always reachable.
const qreal kZoomSteps[] = {1.0 / 64, 1.0 / 48, 1.0 / 32, 1.0 / 24, 1.0 / 16, 1.0 / 12, 1.0 / 8,
                            1.0 / 6,  0.25,     1.0 / 3,  0.5,      2.0 / 3,  1.0,      1.5,
                            2.0,      3.0,      4.0,      6.0,      8.0,      12.0,     16.0,
                            24.0,     32.0,     48.0,     64.0};

bool isCompareKey(int key) { return key == Qt::Key_Backslash || key == Qt::Key_C; }
}  // namespace

CanvasView::CanvasView(document::Document* doc, QWidget* parent)
    : QWidget(parent), m_doc(doc),
      m_brush(std::make_unique<tools::BrushTool>(doc, tools::BrushMode::Paint)),
      m_eraser(std::make_unique<tools::BrushTool>(doc, tools::BrushMode::Erase)),
      m_grabCut(std::make_unique<tools::GrabCutTool>(doc)), m_wand(std::make_unique<tools::MagicWandTool>(doc)) {
    setMouseTracking(true);
    setAttribute(Qt::WA_TabletTracking);
    setAttribute(Qt::WA_OpaquePaintEvent);  // paintEvent fills every exposed pixel
    setFocusPolicy(Qt::StrongFocus);
    setMinimumSize(200, 150);
    m_brush->setSettings(m_brushSettings);
    m_eraser->setSettings(m_brushSettings);
    m_grabCut->setSettings(m_selectionSettings);
    m_wand->setSettings(m_selectionSettings);
    connect(doc, &document::Document::documentReset, this, &CanvasView::onDocumentReset);
    connect(doc, &document::Document::canvasResized, this, &CanvasView::onDocumentReset);
    connect(doc, &document::Document::imageChanged, this, &CanvasView::onImageChanged);
    connect(doc, &document::Document::layerPixelsChanged, this, &CanvasView::onLayerPixelsChanged);
    connect(doc, &document::Document::layersChanged, this, qOverload<>(&QWidget::update));
    connect(doc, &document::Document::overlayOpacityChanged, this, qOverload<>(&QWidget::update));
    updateCursorShape();
}

CanvasView::~CanvasView() {
    // Strokes still open are rolled back by the tools' transactions.
    m_brush->cancel();
    m_eraser->cancel();
    m_grabCut->cancel();
}

// --- view ---------------------------------------------------------------------------

ViewTransform CanvasView::clampedView(ViewTransform t) const {
    t.zoom = std::clamp(t.zoom, kMinZoom, kMaxZoom);
    if (m_doc->isNull()) return t;
    const qreal w = m_doc->size().width() * t.zoom, h = m_doc->size().height() * t.zoom;
    const qreal keepX = std::min<qreal>(kKeepVisible, w), keepY = std::min<qreal>(kKeepVisible, h);
    t.offset.setX(std::clamp(t.offset.x(), keepX - w, std::max<qreal>(width() - keepX, keepX - w)));
    t.offset.setY(std::clamp(t.offset.y(), keepY - h, std::max<qreal>(height() - keepY, keepY - h)));
    return t;
}

void CanvasView::applyView(const ViewTransform& t, bool keepFit) {
    if (!keepFit) m_fitMode = false;
    const ViewTransform c = clampedView(t);
    if (c == m_view) return;
    const bool zoomed = c.zoom != m_view.zoom;
    m_view = c;
    update();
    emit viewTransformChanged(m_view);
    if (zoomed) emit zoomChanged(m_view.zoom);
}

void CanvasView::setViewTransform(const ViewTransform& t) { applyView(t); }

void CanvasView::setZoom(qreal zoom, const QPointF& anchor) {
    zoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    const QPointF imagePoint = m_view.toImage(anchor);
    ViewTransform t;
    t.zoom = zoom;
    t.offset = anchor - imagePoint * zoom;
    applyView(t);
}

void CanvasView::setZoom(qreal zoom) { setZoom(zoom, QPointF(width() / 2.0, height() / 2.0)); }

void CanvasView::zoomIn() {
    for (qreal z : kZoomSteps) {
        if (z > m_view.zoom * 1.001) {
            setZoom(z);
            return;
        }
    }
}

void CanvasView::zoomOut() {
    for (auto it = std::rbegin(kZoomSteps); it != std::rend(kZoomSteps); ++it) {
        if (*it < m_view.zoom / 1.001) {
            setZoom(*it);
            return;
        }
    }
}

void CanvasView::fitToWindow() {
    m_fitMode = true;
    if (m_doc->isNull() || width() <= 0 || height() <= 0) return;
    const QSize s = m_doc->size();
    const qreal availW = std::max(1, width() - 2 * kFitMargin);
    const qreal availH = std::max(1, height() - 2 * kFitMargin);
    qreal z = std::min({availW / s.width(), availH / s.height(), 1.0});
    z = std::clamp(z, kMinZoom, kMaxZoom);
    ViewTransform t;
    t.zoom = z;
    t.offset = QPointF(std::round((width() - s.width() * z) / 2.0), std::round((height() - s.height() * z) / 2.0));
    applyView(t, true);
}

void CanvasView::actualSize() { setZoom(1.0); }

void CanvasView::resizeEvent(QResizeEvent* e) {
    QWidget::resizeEvent(e);
    if (m_fitMode) fitToWindow();
    else applyView(m_view);  // re-clamp so the image cannot end up out of reach
}

// --- tools --------------------------------------------------------------------------

tools::Tool* CanvasView::currentTool() {
    switch (m_toolKind) {
    case ToolKind::Brush: return m_brush.get();
    case ToolKind::Eraser: return m_eraser.get();
    case ToolKind::Select: return m_grabCut.get();
    case ToolKind::Wand: return m_wand.get();
    }
    return m_brush.get();
}

void CanvasView::setToolKind(ToolKind kind) {
    if (kind == m_toolKind) return;
    m_doc->commitActiveStroke();
    if (m_grabCut->isActive()) {
        m_grabCut->cancel();
        updateSelectionBand();
    }
    m_toolKind = kind;
    if (m_cursorVisible) update(brushCursorRect(m_cursorPos));  // the ring is for brushes only
    emit toolChanged(kind);
}

void CanvasView::setSelectionSettings(const tools::SelectionSettings& s) {
    m_selectionSettings = s;
    m_selectionSettings.grabCutIterations = std::clamp(s.grabCutIterations, 1, 20);
    m_selectionSettings.wandTolerance = std::clamp(s.wandTolerance, 0, 255);
    m_grabCut->setSettings(m_selectionSettings);
    m_wand->setSettings(m_selectionSettings);
}

void CanvasView::setGrabCutDragKind(tools::GrabCutTool::DragKind kind) {
    if (m_grabCut->isActive()) {
        m_grabCut->cancel();
        updateSelectionBand();
    }
    m_grabCut->setDragKind(kind);
}

imaging::SelectionMode CanvasView::selectionModeFor(Qt::KeyboardModifiers mods) {
    if (mods & (Qt::AltModifier | Qt::ControlModifier)) return imaging::SelectionMode::Subtract;
    if (mods & Qt::ShiftModifier) return imaging::SelectionMode::Add;
    return imaging::SelectionMode::Replace;
}

void CanvasView::reportSelectionTool() {
    const QString error = m_toolKind == ToolKind::Select ? m_grabCut->lastError() : m_wand->lastError();
    const QString done = m_toolKind == ToolKind::Select ? m_grabCut->lastMessage() : m_wand->lastMessage();
    if (!error.isEmpty()) emit statusMessage(error);
    else if (!done.isEmpty()) emit statusMessage(done);
}

QRect CanvasView::selectionBandWidgetRect() const {
    if (!m_grabCut->isActive()) return {};
    const QRectF band = m_grabCut->rubberBand();
    if (!band.isEmpty()) return m_view.toWidget(band).toAlignedRect().adjusted(-3, -3, 3, 3);
    const QPolygonF pts = m_grabCut->strokePoints();
    if (pts.isEmpty()) return {};
    const int pad = int(std::ceil(m_selectionSettings.hintStrokeWidth * m_view.zoom / 2.0)) + 3;
    return m_view.toWidget(pts.boundingRect()).toAlignedRect().adjusted(-pad, -pad, pad, pad);
}

void CanvasView::updateSelectionBand() {
    const QRect now = selectionBandWidgetRect();
    const QRect dirty = m_bandRect | now;
    m_bandRect = now;
    if (!dirty.isEmpty()) update(dirty);
}

void CanvasView::setBrushSettings(const tools::BrushSettings& s) {
    m_brush->setSettings(s);
    m_eraser->setSettings(s);
    const bool changed = m_brush->settings().size != m_brushSettings.size ||
                         m_brush->settings().hardness != m_brushSettings.hardness ||
                         m_brush->settings().pressureSize != m_brushSettings.pressureSize;
    const QRect before = brushCursorRect(m_cursorPos);
    m_brushSettings = m_brush->settings();
    if (m_cursorVisible) update(before | brushCursorRect(m_cursorPos));
    if (changed) emit brushSettingsChanged(m_brushSettings);
}

void CanvasView::setBrushSize(qreal diameter) {
    tools::BrushSettings s = m_brushSettings;
    s.size = diameter;
    setBrushSettings(s);
}

void CanvasView::setBrushHardness(qreal hardness) {
    tools::BrushSettings s = m_brushSettings;
    s.hardness = hardness;
    setBrushSettings(s);
}

void CanvasView::growBrush() {
    const qreal s = m_brushSettings.size;
    setBrushSize(std::max(s + 1.0, std::round(s * 1.2)));
}

void CanvasView::shrinkBrush() {
    const qreal s = m_brushSettings.size;
    setBrushSize(std::min(s - 1.0, std::round(s / 1.2)));
}

bool CanvasView::isStrokeActive() const {
    return m_brush->isActive() || m_eraser->isActive() || m_grabCut->isActive();
}

void CanvasView::cancelStroke() {
    m_brush->cancel();
    m_eraser->cancel();
    m_grabCut->cancel();
    updateSelectionBand();
    m_tabletStroke = false;
}

bool CanvasView::beginStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure,
                             Qt::KeyboardModifiers mods) {
    if (m_doc->isNull()) return false;
    const int layer = m_doc->activeLayerIndex();
    if (layer < 0) {
        emit statusMessage(tr("There is no mask layer to paint on: add one in the Layers panel."));
        return false;
    }
    if (!m_doc->layer(layer).visible) {
        emit statusMessage(tr("The active layer “%1” is hidden: show it to paint on it.")
                               .arg(m_doc->layer(layer).name));
        return false;
    }
    if (hasPreview() && !m_overlaysOverPreview) {
        m_overlaysOverPreview = true;  // painting again: the mask must be visible
        update();
    }
    m_grabCut->setMode(selectionModeFor(mods));
    m_wand->setMode(selectionModeFor(mods));
    const bool started = currentTool()->begin({m_view.toImage(widgetPos), pressure, hasPressure});
    if (!isBrushKind()) {
        if (m_toolKind == ToolKind::Wand || !started) reportSelectionTool();
        updateSelectionBand();
    }
    return started;
}

void CanvasView::continueStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure) {
    currentTool()->motion({m_view.toImage(widgetPos), pressure, hasPressure});
    if (m_toolKind == ToolKind::Select) updateSelectionBand();
}

void CanvasView::endStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure) {
    currentTool()->end({m_view.toImage(widgetPos), pressure, hasPressure});
    if (m_toolKind == ToolKind::Select) {
        updateSelectionBand();
        reportSelectionTool();
    }
}

// --- preview and compare -------------------------------------------------------------

void CanvasView::setOverlaysShown(bool shown) {
    if (shown == m_showOverlays) return;
    m_showOverlays = shown;
    update();
}

void CanvasView::setPreviewImage(const QImage& image, bool stepPreview) {
    m_previewIsStep = stepPreview;
    m_preview = image;
    m_previewPyramid.reset();
    m_overlaysOverPreview = false;
    if (image.isNull()) setShowOriginal(false);
    update();
}

void CanvasView::setShowOriginal(bool on) {
    if (on && !hasPreview()) on = false;
    if (on == m_showOriginal) return;
    m_showOriginal = on;
    update();
    emit compareChanged(on);
}

void CanvasView::setSplitEnabled(bool on) {
    if (on == m_split) return;
    m_split = on;
    update();
}

void CanvasView::setSplitPosition(qreal fraction) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    if (fraction == m_splitFraction) return;
    m_splitFraction = fraction;
    if (m_split && hasPreview()) update();
}

// --- document signals ------------------------------------------------------------------

void CanvasView::onDocumentReset() {
    cancelStroke();
    m_basePyramid.reset();
    setPreviewImage({});
    fitToWindow();
    updateCursorShape();
    update();
}

void CanvasView::onImageChanged(const QRect& rect) {
    m_basePyramid.invalidate(rect);
    update(m_view.widgetRectFor(rect) & this->rect());
}

void CanvasView::onLayerPixelsChanged(int, const QRect& rect) {
    if (!m_showOverlays) return;
    update(m_view.widgetRectFor(rect) & this->rect());
}

// --- painting ------------------------------------------------------------------------

void CanvasView::drawCheckerboard(QPainter& p, const QRect& area) {
    static const QPixmap tile = [] {
        QPixmap pm(16, 16);
        pm.fill(QColor(0x9a, 0x9a, 0x9a));
        QPainter tp(&pm);
        tp.fillRect(0, 0, 8, 8, QColor(0x6a, 0x6a, 0x6a));
        tp.fillRect(8, 8, 8, 8, QColor(0x6a, 0x6a, 0x6a));
        return pm;
    }();
    p.drawTiledPixmap(area, tile, area.topLeft());
}

void CanvasView::drawImage(QPainter& p, const QImage& source, ImagePyramid& pyramid, const QRect& exposed) {
    // Two spare source pixels so smooth scaling at the edge of a partial repaint reads the
    // same neighbours as a full repaint (no seams between dirty rectangles).
    const QRect src = m_view.imageRectFor(exposed).adjusted(-2, -2, 2, 2) & source.rect();
    if (src.isEmpty()) return;
    const int k = ImagePyramid::levelForZoom(m_view.zoom, source.size());
    p.save();
    p.setRenderHint(QPainter::SmoothPixmapTransform, m_view.zoom < 1.0);  // zoomed in: crisp pixels
    if (k == 0) {
        p.setTransform(QTransform(m_view.zoom, 0, 0, m_view.zoom, m_view.offset.x(), m_view.offset.y()));
        p.drawImage(src.topLeft(), source, src);
    } else {
        const QImage& lv = pyramid.level(source, k);
        const int f = 1 << k;
        const QRect lr = QRect(QPoint(src.left() / f, src.top() / f), QPoint(src.right() / f, src.bottom() / f)) &
                         lv.rect();
        const qreal s = m_view.zoom * f;
        p.setTransform(QTransform(s, 0, 0, s, m_view.offset.x(), m_view.offset.y()));
        p.drawImage(lr.topLeft(), lv, lr);
    }
    p.restore();
}

QRect CanvasView::brushCursorRect(const QPointF& c) const {
    const qreal r = m_brushSettings.size * 0.5 * m_view.zoom + 3.0;
    return QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r).toAlignedRect().adjusted(-1, -1, 1, 1);
}

void CanvasView::paintEvent(QPaintEvent* e) {
    QElapsedTimer timer;
    timer.start();
    const QRect exposed = e->rect();
    QPainter p(this);
    p.fillRect(exposed, kBackground);

    if (m_doc->isNull()) {
        p.setPen(QColor(0xc8, 0xc8, 0xc8));
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.3);
        p.setFont(f);
        p.drawText(rect(), Qt::AlignCenter,
                   tr("Open an image to start\n\nCtrl+O, drop a file here, or paste with Ctrl+V"));
    } else {
        const QRect imageArea = m_view.toWidget(QRectF(m_doc->rect())).toAlignedRect();
        const QRect area = exposed & imageArea;
        if (!area.isEmpty()) {
            if (m_doc->hasAlpha()) drawCheckerboard(p, area);
            const bool previewOn = hasPreview() && !m_showOriginal;
            if (previewOn && m_split) {
                const int sx = int(std::round(width() * m_splitFraction));
                const QRect left = area & QRect(0, 0, sx, height());
                const QRect right = area & QRect(sx, 0, width() - sx, height());
                if (!left.isEmpty()) {
                    p.save();
                    p.setClipRect(left);
                    drawImage(p, m_preview, m_previewPyramid, left);
                    p.restore();
                }
                if (!right.isEmpty()) {
                    p.save();
                    p.setClipRect(right);
                    drawImage(p, m_doc->image(), m_basePyramid, right);
                    p.restore();
                }
            } else if (previewOn) {
                drawImage(p, m_preview, m_previewPyramid, area);
            } else {
                drawImage(p, m_doc->image(), m_basePyramid, area);
            }
            if (m_showOverlays && (!hasPreview() || m_overlaysOverPreview)) {
                const QImage overlay = renderMaskOverlay(*m_doc, m_view, area, m_doc->overlayOpacity());
                p.drawImage(area.topLeft(), overlay);
            }
        }

        // Labels and the split handle.
        if (hasPreview()) {
            p.setRenderHint(QPainter::Antialiasing);
            auto label = [&](const QString& text, Qt::Alignment side, int x0, int x1) {
                QFont f = font();
                f.setBold(true);
                p.setFont(f);
                const QFontMetrics fm(f);
                const int w = fm.horizontalAdvance(text) + 16, h = fm.height() + 8;
                const int x = side == Qt::AlignLeft ? x0 + 10 : x1 - w - 10;
                const QRect box(x, 10, w, h);
                if (!box.intersects(exposed)) return;
                p.setPen(Qt::NoPen);
                p.setBrush(QColor(0, 0, 0, 150));
                p.drawRoundedRect(box, 4, 4);
                p.setPen(Qt::white);
                p.drawText(box, Qt::AlignCenter, text);
            };
            if (m_showOriginal) {
                label(tr("Original"), Qt::AlignLeft, 0, width());
            } else if (m_split) {
                const int sx = int(std::round(width() * m_splitFraction));
                p.setPen(QPen(QColor(255, 255, 255, 220), 2));
                p.drawLine(sx, 0, sx, height());
                label(tr("Result"), Qt::AlignRight, 0, sx);
                label(tr("Original"), Qt::AlignLeft, sx, width());
            } else {
                label(m_previewIsStep ? tr("Step preview") : tr("Result (hold \\ to compare)"), Qt::AlignLeft, 0,
                      width());
            }
        }

        if (m_grabCut->isActive()) {  // the rubber band, or the hint stroke being drawn
            p.save();
            p.setRenderHint(QPainter::Antialiasing);
            p.setBrush(Qt::NoBrush);
            const QRectF band = m_grabCut->rubberBand();
            if (!band.isEmpty()) {
                const QRectF w = m_view.toWidget(band).adjusted(0.5, 0.5, -0.5, -0.5);
                p.setPen(QPen(QColor(0, 0, 0, 220), 1.0));
                p.drawRect(w);
                QPen dash(QColor(255, 255, 255, 240), 1.0, Qt::DashLine);
                dash.setDashPattern({4, 4});
                p.setPen(dash);
                p.drawRect(w);
            } else {
                const bool object = m_grabCut->dragKind() == tools::GrabCutTool::DragKind::MarkObject;
                QPolygonF w;
                for (const QPointF& pt : m_grabCut->strokePoints()) w << m_view.toWidget(pt);
                p.setPen(QPen(object ? QColor(60, 220, 90, 200) : QColor(240, 60, 60, 200),
                              std::max<qreal>(1.0, m_selectionSettings.hintStrokeWidth * m_view.zoom), Qt::SolidLine,
                              Qt::RoundCap, Qt::RoundJoin));
                if (w.size() == 1) p.drawPoint(w.first());
                else p.drawPolyline(w);
            }
            p.restore();
        }

        if (m_cursorVisible && !m_panning && !m_spaceHeld && isBrushKind()) {
            const qreal r = m_brushSettings.size * 0.5 * m_view.zoom;
            p.setRenderHint(QPainter::Antialiasing);
            p.setBrush(Qt::NoBrush);
            p.setPen(QPen(QColor(0, 0, 0, 200), 1.0));
            p.drawEllipse(m_cursorPos, r + 1.0, r + 1.0);
            p.setPen(QPen(QColor(255, 255, 255, 230), 1.0));
            p.drawEllipse(m_cursorPos, r, r);
            if (m_toolKind == ToolKind::Eraser) {  // a dashed inner ring tells the eraser apart
                p.setPen(QPen(QColor(255, 255, 255, 160), 1.0, Qt::DashLine));
                p.drawEllipse(m_cursorPos, std::max<qreal>(r - 3.0, 1.0), std::max<qreal>(r - 3.0, 1.0));
            }
        }
    }

    const double ms = timer.nsecsElapsed() / 1e6;
    ++m_stats.paints;
    m_stats.totalMs += ms;
    m_stats.maxMs = std::max(m_stats.maxMs, ms);
    m_stats.pixels += qint64(exposed.width()) * exposed.height();
}

// --- input ---------------------------------------------------------------------------

void CanvasView::setCursorPos(const QPointF& pos, bool visible) {
    const QRect before = m_cursorVisible ? brushCursorRect(m_cursorPos) : QRect();
    m_cursorPos = pos;
    m_cursorVisible = visible && !m_doc->isNull();
    const QRect after = m_cursorVisible ? brushCursorRect(m_cursorPos) : QRect();
    if (!before.isEmpty() || !after.isEmpty()) update(before | after);
    if (!m_doc->isNull()) {
        const QPointF ip = m_view.toImage(pos);
        const QPoint pixel(int(std::floor(ip.x())), int(std::floor(ip.y())));
        emit cursorImagePosChanged(pixel, visible && m_doc->rect().contains(pixel));
    }
}

void CanvasView::updateCursorShape() {
    if (m_panning) setCursor(Qt::ClosedHandCursor);
    else if (m_spaceHeld) setCursor(Qt::OpenHandCursor);
    else if (!m_doc->isNull()) setCursor(Qt::CrossCursor);
    else unsetCursor();
}

void CanvasView::mousePressEvent(QMouseEvent* e) {
    setFocus(Qt::MouseFocusReason);
    if (m_doc->isNull() || m_tabletStroke) return;
    if (e->button() == Qt::MiddleButton || (e->button() == Qt::LeftButton && m_spaceHeld)) {
        m_doc->commitActiveStroke();
        m_panning = true;
        m_panStart = e->position();
        m_panOffsetStart = m_view.offset;
        updateCursorShape();
        update(brushCursorRect(m_cursorPos));
        return;
    }
    if (e->button() == Qt::LeftButton) beginStroke(e->position(), 1.0, false, e->modifiers());
}

void CanvasView::mouseMoveEvent(QMouseEvent* e) {
    setCursorPos(e->position(), true);
    if (m_panning) {
        ViewTransform t = m_view;
        t.offset = m_panOffsetStart + (e->position() - m_panStart);
        applyView(t);
        return;
    }
    if (!m_tabletStroke && (e->buttons() & Qt::LeftButton) && isStrokeActive())
        continueStroke(e->position(), 1.0, false);
}

void CanvasView::mouseReleaseEvent(QMouseEvent* e) {
    if (m_panning && (e->button() == Qt::MiddleButton || e->button() == Qt::LeftButton)) {
        m_panning = false;
        updateCursorShape();
        return;
    }
    if (e->button() == Qt::LeftButton && !m_tabletStroke && isStrokeActive())
        endStroke(e->position(), 1.0, false);
}

void CanvasView::tabletEvent(QTabletEvent* e) {
    if (m_spaceHeld || m_panning || m_doc->isNull()) {
        e->ignore();  // let the synthesized mouse events pan
        return;
    }
    switch (e->type()) {
    case QEvent::TabletPress:
        if (e->button() == Qt::LeftButton) {
            setFocus(Qt::MouseFocusReason);
            m_tabletStroke = beginStroke(e->position(), e->pressure(), true, e->modifiers());
        }
        break;
    case QEvent::TabletMove:
        setCursorPos(e->position(), true);
        if (m_tabletStroke) continueStroke(e->position(), e->pressure(), true);
        break;
    case QEvent::TabletRelease:
        if (m_tabletStroke && e->button() == Qt::LeftButton) {
            endStroke(e->position(), e->pressure(), true);
            m_tabletStroke = false;
        }
        break;
    default:
        e->ignore();
        return;
    }
    e->accept();
}

void CanvasView::wheelEvent(QWheelEvent* e) {
    const int dy = e->angleDelta().y();
    if (dy == 0 || m_doc->isNull()) {
        e->ignore();
        return;
    }
    setZoom(m_view.zoom * std::pow(1.2, dy / 120.0), e->position());
    e->accept();
}

bool CanvasView::event(QEvent* e) {
    if (e->type() == QEvent::ShortcutOverride) {
        // Keys the canvas needs even when a menu action uses them elsewhere.
        auto* k = static_cast<QKeyEvent*>(e);
        if ((k->key() == Qt::Key_Escape && isStrokeActive()) ||
            (k->key() == Qt::Key_Space && k->modifiers() == Qt::NoModifier) ||
            (isCompareKey(k->key()) && k->modifiers() == Qt::NoModifier && hasPreview())) {
            e->accept();
            return true;
        }
    }
    return QWidget::event(e);
}

void CanvasView::keyPressEvent(QKeyEvent* e) {
    if (e->key() == Qt::Key_Space) {
        if (!e->isAutoRepeat()) {
            m_spaceHeld = true;
            updateCursorShape();
            update(brushCursorRect(m_cursorPos));
        }
        return;
    }
    if (isCompareKey(e->key()) && hasPreview()) {
        if (!e->isAutoRepeat()) setShowOriginal(true);
        return;
    }
    if (e->key() == Qt::Key_Escape && isStrokeActive()) {
        cancelStroke();
        emit statusMessage(tr("Stroke cancelled."));
        return;
    }
    QWidget::keyPressEvent(e);
}

void CanvasView::keyReleaseEvent(QKeyEvent* e) {
    if (e->isAutoRepeat()) {
        e->accept();
        return;
    }
    if (e->key() == Qt::Key_Space) {
        m_spaceHeld = false;
        if (m_panning) m_panning = false;
        updateCursorShape();
        update(brushCursorRect(m_cursorPos));
        return;
    }
    if (isCompareKey(e->key())) {
        setShowOriginal(false);
        return;
    }
    QWidget::keyReleaseEvent(e);
}

void CanvasView::leaveEvent(QEvent* e) {
    setCursorPos(m_cursorPos, false);
    QWidget::leaveEvent(e);
}

void CanvasView::focusOutEvent(QFocusEvent* e) {
    // A key released while another widget had focus would leave these stuck.
    m_spaceHeld = false;
    m_panning = false;
    setShowOriginal(false);
    updateCursorShape();
    QWidget::focusOutEvent(e);
}

}  // namespace inpaint::ui
