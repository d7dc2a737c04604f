// Selection tools on the active mask layer, without widgets: GrabCutTool (drag a rectangle
// around an object; then, optionally, object / background strokes that refine it) and
// MagicWandTool (click). Each finished drag or click is one undo step
// (Document::setLayerPixels); a failure (an empty rectangle, a click off the image) changes
// nothing and leaves its reason in lastError() for the status bar.
//
// The selection meets the layer as SelectionMode says (selection.h: a plain drag replaces,
// Shift adds, Alt/Ctrl subtracts); the canvas sets the mode from the modifiers at the press.
// GrabCut runs on the GUI thread: its work area is capped at kGrabCutWorkSide pixels, which
// keeps it to a fraction of a second.
#pragma once

#include "core/imaging/selection.h"
#include "core/tools/tool.h"

#include <QImage>
#include <QPolygonF>
#include <QRectF>

namespace inpaint::document {
class Document;
}

namespace inpaint::tools {

struct SelectionSettings {
    int grabCutIterations = imaging::kGrabCutDefaultIterations;
    qreal hintStrokeWidth = 12.0;  // image pixels
    int wandTolerance = 32;        // 0..255, inclusive
    imaging::WandChannel wandChannel = imaging::WandChannel::Composite;
    bool wandContiguous = true;
};

class GrabCutTool : public Tool {
public:
    // What a drag draws: the rectangle, or a stroke that marks object / background inside the
    // last rectangle's selection (refining it: the same step's base, a new undo step).
    enum class DragKind { Rectangle, MarkObject, MarkBackground };

    explicit GrabCutTool(document::Document* doc);

    QString name() const override;
    void setSettings(const SelectionSettings& s) { m_settings = s; }
    const SelectionSettings& settings() const { return m_settings; }
    void setMode(imaging::SelectionMode mode) { m_mode = mode; }
    imaging::SelectionMode mode() const { return m_mode; }
    void setDragKind(DragKind kind) { m_dragKind = kind; }
    DragKind dragKind() const { return m_dragKind; }

    bool begin(const PointerInput& in) override;
    void motion(const PointerInput& in) override;
    void end(const PointerInput& in) override;
    void cancel() override;
    bool isActive() const override { return m_dragging; }

    // While a rectangle is dragged: its extent in image coordinates (whole pixels), else empty.
    QRectF rubberBand() const;
    // While a stroke is dragged: its points in image coordinates.
    QPolygonF strokePoints() const { return m_dragging && m_dragKind != DragKind::Rectangle ? m_stroke : QPolygonF(); }
    // True when strokes can refine a selection (the last rectangle's result is still on its layer).
    bool canRefine() const;
    QString lastError() const { return m_error; }
    QString lastMessage() const { return m_message; }  // what the last successful drag did

    // The pixel rectangle a drag from a to b covers (both corners' pixels included).
    static QRect pixelRect(const QPointF& a, const QPointF& b);

private:
    bool select(const QRect& rect);
    bool refine();

    document::Document* m_doc;
    SelectionSettings m_settings;
    imaging::SelectionMode m_mode = imaging::SelectionMode::Replace;
    DragKind m_dragKind = DragKind::Rectangle;
    bool m_dragging = false;
    QPointF m_start, m_current;
    QPolygonF m_stroke;
    QString m_error, m_message;

    // The last rectangle selection, which strokes refine.
    struct Session {
        quint64 layerId = 0;
        QRect rect;
        imaging::SelectionMode mode = imaging::SelectionMode::Replace;
        QImage base;    // the layer before the rectangle
        QImage result;  // the layer after the last selection or refinement
        QImage hints;   // Grayscale8, selection.h's encoding
    } m_session;
};

class MagicWandTool : public Tool {
public:
    explicit MagicWandTool(document::Document* doc);

    QString name() const override;
    void setSettings(const SelectionSettings& s) { m_settings = s; }
    const SelectionSettings& settings() const { return m_settings; }
    void setMode(imaging::SelectionMode mode) { m_mode = mode; }

    // The click does the work: returns true when it selected something (one undo step).
    bool begin(const PointerInput& in) override;
    void motion(const PointerInput&) override {}
    void end(const PointerInput&) override {}
    void cancel() override {}
    bool isActive() const override { return false; }
    QString lastError() const { return m_error; }
    QString lastMessage() const { return m_message; }

private:
    document::Document* m_doc;
    SelectionSettings m_settings;
    imaging::SelectionMode m_mode = imaging::SelectionMode::Replace;
    QString m_error, m_message;
};

}  // namespace inpaint::tools
