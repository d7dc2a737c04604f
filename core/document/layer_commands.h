// Undo commands for layer operations and for applying a result to the base image. Each
// user action is one command; pixel commands keep only the rectangle they change.
// Indices are safe to store: the undo stack replays commands in strict order, so the
// document looks exactly the same when a command is undone as right after it ran.
#pragma once

#include "core/document/document.h"
#include "core/document/mask_layer.h"

#include <QUndoCommand>
#include <QVariant>
#include <optional>

namespace inpaint::document {

class Document;

class AddLayerCommand : public QUndoCommand {
public:
    AddLayerCommand(Document* doc, int index, MaskLayer layer, const QString& text);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    int m_index;
    MaskLayer m_layer;
};

class RemoveLayerCommand : public QUndoCommand {
public:
    RemoveLayerCommand(Document* doc, int index);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    int m_index;
    MaskLayer m_layer;  // held while removed (shares pixels, no copy)
    bool m_wasActive = false;
};

class MoveLayerCommand : public QUndoCommand {
public:
    MoveLayerCommand(Document* doc, int from, int to);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    int m_from, m_to;
};

// Name, visibility or colour: the old and new value of one property.
class LayerPropertyCommand : public QUndoCommand {
public:
    enum class Property { Name, Visible, Color };
    LayerPropertyCommand(Document* doc, int index, Property property, const QVariant& value);
    void redo() override;
    void undo() override;
private:
    void set(const QVariant& value);
    Document* m_doc;
    int m_index;
    Property m_property;
    QVariant m_old, m_new;
};

// Replaces the pixels of one layer inside a rectangle. `after` is either a patch or a
// constant (clear / fill), so a fill of an empty 8000x6000 layer stores only the
// 'before' rectangle of pixels that were not already 255.
class LayerPixelsCommand : public QUndoCommand {
public:
    LayerPixelsCommand(Document* doc, int index, const QRect& rect, QImage before,
                       QImage after, std::optional<uchar> afterValue, const QString& text);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    int m_index;
    QRect m_rect;
    QImage m_before, m_after;
    std::optional<uchar> m_afterValue;
};

// Inverting twice is the identity, so this stores no pixels at all.
class InvertLayerCommand : public QUndoCommand {
public:
    InvertLayerCommand(Document* doc, int index);
    void redo() override;
    void undo() override { redo(); }
private:
    Document* m_doc;
    int m_index;
};

// Applies an inpainting result: before/after patches of the base image over one region.
class ApplyResultCommand : public QUndoCommand {
public:
    ApplyResultCommand(Document* doc, const QRect& region, QImage before, QImage after,
                       quint64 stateBefore, quint64 stateAfter, const QString& text);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    QPoint m_at;
    QImage m_before, m_after;
    quint64 m_stateBefore, m_stateAfter;
};

// Swaps the whole canvas (image, layers, active layer, image state): a resize such as Extend
// Canvas. Both states are kept whole (the layers are one byte a pixel).
class CanvasCommand : public QUndoCommand {
public:
    CanvasCommand(Document* doc, Document::CanvasState before, Document::CanvasState after, const QString& text);
    void redo() override;
    void undo() override;
private:
    Document* m_doc;
    Document::CanvasState m_before, m_after;
};

}  // namespace inpaint::document
