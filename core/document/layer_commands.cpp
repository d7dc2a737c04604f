// Undo commands for layer operations and result application (see layer_commands.h).
#include "core/document/layer_commands.h"

#include "core/document/document.h"
#include "core/document/pixel_patch.h"

#include <QCoreApplication>

namespace inpaint::document {

AddLayerCommand::AddLayerCommand(Document* doc, int index, MaskLayer layer, const QString& text)
    : QUndoCommand(text), m_doc(doc), m_index(index), m_layer(std::move(layer)) {}

void AddLayerCommand::redo() {
    m_doc->insertLayerRaw(m_index, m_layer);
    m_doc->setActiveLayerIndex(m_index);
}

void AddLayerCommand::undo() { m_layer = m_doc->takeLayerRaw(m_index); }

RemoveLayerCommand::RemoveLayerCommand(Document* doc, int index)
    : QUndoCommand(QCoreApplication::translate("Document", "Delete layer “%1”")
                       .arg(doc->layer(index).name)),
      m_doc(doc), m_index(index) {}

void RemoveLayerCommand::redo() {
    m_wasActive = m_doc->activeLayerIndex() == m_index;
    m_layer = m_doc->takeLayerRaw(m_index);
}

void RemoveLayerCommand::undo() {
    m_doc->insertLayerRaw(m_index, m_layer);
    if (m_wasActive) m_doc->setActiveLayerIndex(m_index);
    m_layer = MaskLayer{};
}

MoveLayerCommand::MoveLayerCommand(Document* doc, int from, int to)
    : QUndoCommand(QCoreApplication::translate("Document", "Move layer “%1”")
                       .arg(doc->layer(from).name)),
      m_doc(doc), m_from(from), m_to(to) {}

void MoveLayerCommand::redo() { m_doc->moveLayerRaw(m_from, m_to); }
void MoveLayerCommand::undo() { m_doc->moveLayerRaw(m_to, m_from); }

LayerPropertyCommand::LayerPropertyCommand(Document* doc, int index, Property property,
                                           const QVariant& value)
    : m_doc(doc), m_index(index), m_property(property), m_new(value) {
    const MaskLayer& l = doc->layer(index);
    switch (property) {
    case Property::Name:
        m_old = l.name;
        setText(QCoreApplication::translate("Document", "Rename layer “%1”").arg(l.name));
        break;
    case Property::Visible:
        m_old = l.visible;
        setText(value.toBool() ? QCoreApplication::translate("Document", "Show layer “%1”").arg(l.name)
                               : QCoreApplication::translate("Document", "Hide layer “%1”").arg(l.name));
        break;
    case Property::Color:
        m_old = l.color;
        setText(QCoreApplication::translate("Document", "Colour of layer “%1”").arg(l.name));
        break;
    }
}

void LayerPropertyCommand::set(const QVariant& value) {
    switch (m_property) {
    case Property::Name: m_doc->setLayerNameRaw(m_index, value.toString()); break;
    case Property::Visible: m_doc->setLayerVisibleRaw(m_index, value.toBool()); break;
    case Property::Color: m_doc->setLayerColorRaw(m_index, value.value<QColor>()); break;
    }
}

void LayerPropertyCommand::redo() { set(m_new); }
void LayerPropertyCommand::undo() { set(m_old); }

LayerPixelsCommand::LayerPixelsCommand(Document* doc, int index, const QRect& rect, QImage before,
                                       QImage after, std::optional<uchar> afterValue,
                                       const QString& text)
    : QUndoCommand(text), m_doc(doc), m_index(index), m_rect(rect), m_before(std::move(before)),
      m_after(std::move(after)), m_afterValue(afterValue) {}

void LayerPixelsCommand::redo() {
    QImage& px = m_doc->layerPixelsForWrite(m_index);
    if (m_afterValue) fillGray(px, m_rect, *m_afterValue);
    else writePatch(px, m_after, m_rect.topLeft());
    m_doc->emitLayerPixelsChanged(m_index, m_rect);
}

void LayerPixelsCommand::undo() {
    writePatch(m_doc->layerPixelsForWrite(m_index), m_before, m_rect.topLeft());
    m_doc->emitLayerPixelsChanged(m_index, m_rect);
}

InvertLayerCommand::InvertLayerCommand(Document* doc, int index)
    : QUndoCommand(QCoreApplication::translate("Document", "Invert layer “%1”")
                       .arg(doc->layer(index).name)),
      m_doc(doc), m_index(index) {}

void InvertLayerCommand::redo() {
    QImage& px = m_doc->layerPixelsForWrite(m_index);
    const int w = px.width();
    for (int y = 0; y < px.height(); ++y) {
        uchar* row = px.scanLine(y);
        for (int x = 0; x < w; ++x) row[x] = uchar(255 - row[x]);
    }
    m_doc->emitLayerPixelsChanged(m_index, px.rect());
}

ApplyResultCommand::ApplyResultCommand(Document* doc, const QRect& region, QImage before,
                                       QImage after, quint64 stateBefore, quint64 stateAfter,
                                       const QString& text)
    : QUndoCommand(text), m_doc(doc), m_at(region.topLeft()), m_before(std::move(before)),
      m_after(std::move(after)), m_stateBefore(stateBefore), m_stateAfter(stateAfter) {}

void ApplyResultCommand::redo() { m_doc->writeImagePatchRaw(m_after, m_at, m_stateAfter); }
void ApplyResultCommand::undo() { m_doc->writeImagePatchRaw(m_before, m_at, m_stateBefore); }

CanvasCommand::CanvasCommand(Document* doc, Document::CanvasState before, Document::CanvasState after,
                             const QString& text)
    : QUndoCommand(text), m_doc(doc), m_before(std::move(before)), m_after(std::move(after)) {}

void CanvasCommand::redo() { m_doc->setCanvasRaw(m_after); }
void CanvasCommand::undo() { m_doc->setCanvasRaw(m_before); }

}  // namespace inpaint::document
