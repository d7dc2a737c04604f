// CanvasView: shows the document image with its mask layers as coloured overlays, lets
// the person zoom, pan and paint with the brush / eraser tools, and shows a pending
// result (or a step preview) over the image, with a hold-to-compare key and a split view.
//
// Repaints are limited to what changed: a brush motion repaints only the widget pixels
// of its dirty rectangle. The base image is drawn from an ImagePyramid level when zoomed
// out; overlays are composed for the repainted area only (overlay_renderer.h).
#pragma once

#include "core/tools/brush_tool.h"
#include "core/tools/selection_tools.h"
#include "ui/image_pyramid.h"
#include "ui/view_transform.h"

#include <QElapsedTimer>
#include <QImage>
#include <QWidget>
#include <memory>

namespace inpaint::document {
class Document;
}

namespace inpaint::ui {

class CanvasView : public QWidget {
    Q_OBJECT
public:
    // Select: GrabCut from a dragged rectangle (then refining strokes); Wand: the magic wand.
    // For both, Shift adds to the layer, Alt or Ctrl subtracts, a plain drag / click replaces.
    enum class ToolKind { Brush, Eraser, Select, Wand };

    // Time spent in paintEvent, for the painting measurements.
    struct PaintStats {
        int paints = 0;
        double totalMs = 0.0;
        double maxMs = 0.0;
        qint64 pixels = 0;  // widget pixels repainted
    };

    explicit CanvasView(document::Document* doc, QWidget* parent = nullptr);
    ~CanvasView() override;

    document::Document* document() const { return m_doc; }

    // --- view -----------------------------------------------------------------------
    const ViewTransform& viewTransform() const { return m_view; }
    void setViewTransform(const ViewTransform& t);  // e.g. to follow another view
    qreal zoom() const { return m_view.zoom; }
    void setZoom(qreal zoom, const QPointF& anchorWidgetPos);  // keeps the anchor's image point fixed
    void setZoom(qreal zoom);                                  // around the widget centre
    void zoomIn();
    void zoomOut();
    void fitToWindow();   // whole image visible, never enlarged beyond 100 %; stays fitted on resize
    void actualSize();    // 100 %, centred on what is in the middle now
    bool isFitMode() const { return m_fitMode; }
    QPointF widgetToImage(const QPointF& p) const { return m_view.toImage(p); }
    QPointF imageToWidget(const QPointF& p) const { return m_view.toWidget(p); }
    static constexpr qreal kMinZoom = 1.0 / 64.0;
    static constexpr qreal kMaxZoom = 64.0;

    // --- tools ----------------------------------------------------------------------
    ToolKind toolKind() const { return m_toolKind; }
    void setToolKind(ToolKind kind);
    const tools::BrushSettings& brushSettings() const { return m_brushSettings; }
    void setBrushSettings(const tools::BrushSettings& s);
    void setBrushSize(qreal diameter);
    void setBrushHardness(qreal hardness);
    void growBrush();    // ]
    void shrinkBrush();  // [
    bool isStrokeActive() const;
    void cancelStroke();
    const tools::SelectionSettings& selectionSettings() const { return m_selectionSettings; }
    void setSelectionSettings(const tools::SelectionSettings& s);
    tools::GrabCutTool::DragKind grabCutDragKind() const { return m_grabCut->dragKind(); }
    void setGrabCutDragKind(tools::GrabCutTool::DragKind kind);
    // The selection mode the modifiers at a press stand for (Shift adds, Alt/Ctrl subtracts).
    static imaging::SelectionMode selectionModeFor(Qt::KeyboardModifiers mods);

    // --- overlays, preview and compare ----------------------------------------------
    bool overlaysShown() const { return m_showOverlays; }
    void setOverlaysShown(bool shown);
    // An image of the document's size and format shown instead of the base image (a
    // pending result or a step preview). Null clears it.
    // `stepPreview`: a job's live step preview (labelled as such), not a finished result.
    void setPreviewImage(const QImage& image, bool stepPreview = false);
    bool hasPreview() const { return !m_preview.isNull(); }
    // While true the original is shown even if there is a preview (hold-to-compare).
    void setShowOriginal(bool on);
    bool isShowingOriginal() const { return m_showOriginal; }
    // Split view: the preview left of the split line, the original right of it.
    void setSplitEnabled(bool on);
    bool isSplitEnabled() const { return m_split; }
    void setSplitPosition(qreal fraction);  // 0..1 of the widget width
    qreal splitPosition() const { return m_splitFraction; }

    // --- measurements -----------------------------------------------------------------
    PaintStats paintStats() const { return m_stats; }
    void resetPaintStats() { m_stats = {}; }

signals:
    void viewTransformChanged(const inpaint::ui::ViewTransform& t);
    void zoomChanged(qreal zoom);
    void cursorImagePosChanged(const QPoint& imagePos, bool insideImage);
    void toolChanged(inpaint::ui::CanvasView::ToolKind kind);
    void brushSettingsChanged(const inpaint::tools::BrushSettings& s);
    void compareChanged(bool showingOriginal);
    void statusMessage(const QString& text);

protected:
    bool event(QEvent* e) override;
    void paintEvent(QPaintEvent* e) override;
    void resizeEvent(QResizeEvent* e) override;
    void mousePressEvent(QMouseEvent* e) override;
    void mouseMoveEvent(QMouseEvent* e) override;
    void mouseReleaseEvent(QMouseEvent* e) override;
    void tabletEvent(QTabletEvent* e) override;
    void wheelEvent(QWheelEvent* e) override;
    void keyPressEvent(QKeyEvent* e) override;
    void keyReleaseEvent(QKeyEvent* e) override;
    void leaveEvent(QEvent* e) override;
    void focusOutEvent(QFocusEvent* e) override;

private:
    tools::Tool* currentTool();
    bool isBrushKind() const { return m_toolKind == ToolKind::Brush || m_toolKind == ToolKind::Eraser; }
    bool beginStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure, Qt::KeyboardModifiers mods = {});
    void reportSelectionTool();  // the selection tool's error or result, to the status bar
    void updateSelectionBand();  // repaints the rubber band / hint stroke, old and new extent
    QRect selectionBandWidgetRect() const;
    void continueStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure);
    void endStroke(const QPointF& widgetPos, qreal pressure, bool hasPressure);
    void setCursorPos(const QPointF& widgetPos, bool visible);
    QRect brushCursorRect(const QPointF& widgetPos) const;
    void applyView(const ViewTransform& t, bool keepFit = false);
    ViewTransform clampedView(ViewTransform t) const;
    void updateCursorShape();
    void onDocumentReset();
    void onImageChanged(const QRect& rect);
    void onLayerPixelsChanged(int index, const QRect& rect);
    void drawImage(QPainter& p, const QImage& source, ImagePyramid& pyramid, const QRect& exposed);
    void drawCheckerboard(QPainter& p, const QRect& area);

    document::Document* m_doc;
    ViewTransform m_view;
    bool m_fitMode = true;

    ToolKind m_toolKind = ToolKind::Brush;
    tools::BrushSettings m_brushSettings;
    std::unique_ptr<tools::BrushTool> m_brush;
    std::unique_ptr<tools::BrushTool> m_eraser;
    tools::SelectionSettings m_selectionSettings;
    std::unique_ptr<tools::GrabCutTool> m_grabCut;
    std::unique_ptr<tools::MagicWandTool> m_wand;
    QRect m_bandRect;  // widget pixels of the rubber band as last painted
    bool m_tabletStroke = false;

    bool m_spaceHeld = false;
    bool m_panning = false;
    QPointF m_panStart;
    QPointF m_panOffsetStart;

    QPointF m_cursorPos;
    bool m_cursorVisible = false;

    bool m_showOverlays = true;
    bool m_overlaysOverPreview = false;  // the person painted while a preview is shown
    QImage m_preview;
    bool m_previewIsStep = false;
    bool m_showOriginal = false;
    bool m_split = false;
    qreal m_splitFraction = 0.5;

    ImagePyramid m_basePyramid;
    ImagePyramid m_previewPyramid;
    PaintStats m_stats;
};

}  // namespace inpaint::ui
