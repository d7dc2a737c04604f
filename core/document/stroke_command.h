// StrokeCommand: one painted stroke on a mask layer, as before/after tiles. Pushed by
// StrokeTransaction::commit(); the pixels are already painted, so the first redo() is a
// no-op.
#pragma once

#include "core/document/stroke_transaction.h"

#include <QUndoCommand>

namespace inpaint::document {

class StrokeCommand : public QUndoCommand {
public:
    StrokeCommand(Document* doc, int layerIndex, std::vector<TilePatch> tiles, const QRect& bounds,
                  const QString& text);
    void redo() override;
    void undo() override;
    qint64 storedBytes() const;

private:
    void apply(bool after);
    Document* m_doc;
    int m_layer;
    std::vector<TilePatch> m_tiles;
    QRect m_bounds;
    bool m_firstRedo = true;
};

}  // namespace inpaint::document
