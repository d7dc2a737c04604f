// StrokeTransaction and StrokeCommand (see stroke_transaction.h, stroke_command.h).
#include "core/document/stroke_transaction.h"

#include "core/document/document.h"
#include "core/document/pixel_patch.h"
#include "core/document/stroke_command.h"

#include <QUndoStack>
#include <cstring>

namespace inpaint::document {

StrokeTransaction::StrokeTransaction(Document* doc, int layerIndex, const QString& text)
    : m_doc(doc), m_layer(layerIndex), m_pixels(&doc->layerPixelsForWrite(layerIndex)),
      m_text(text) {
    Q_ASSERT(doc->activeStroke() == nullptr);
    m_tilesX = (m_pixels->width() + kTileSize - 1) / kTileSize;
    m_tilesY = (m_pixels->height() + kTileSize - 1) / kTileSize;
    m_tileSlot.assign(size_t(m_tilesX) * size_t(m_tilesY), -1);
    doc->setActiveStroke(this);
}

StrokeTransaction::~StrokeTransaction() {
    if (m_open) rollback();
}

void StrokeTransaction::aboutToWrite(const QRect& rect) {
    const QRect r = rect & m_pixels->rect();
    if (r.isEmpty()) return;
    const int tx0 = r.left() / kTileSize, tx1 = r.right() / kTileSize;
    const int ty0 = r.top() / kTileSize, ty1 = r.bottom() / kTileSize;
    for (int ty = ty0; ty <= ty1; ++ty) {
        for (int tx = tx0; tx <= tx1; ++tx) {
            int& slot = m_tileSlot[size_t(ty) * m_tilesX + tx];
            if (slot >= 0) continue;
            const QRect tile(tx * kTileSize, ty * kTileSize, kTileSize, kTileSize);
            TilePatch p;
            p.at = tile.topLeft();
            p.before = copyPatch(*m_pixels, tile);
            slot = int(m_saved.size());
            m_saved.push_back(std::move(p));
        }
    }
}

void StrokeTransaction::written(const QRect& rect) {
    const QRect r = rect & m_pixels->rect();
    if (r.isEmpty()) return;
    m_dirty |= r;
    m_doc->emitLayerPixelsChanged(m_layer, r);
}

bool StrokeTransaction::commit() {
    if (!m_open) return false;
    m_open = false;
    m_doc->setActiveStroke(nullptr);
    std::vector<TilePatch> changed;
    QRect bounds;
    for (TilePatch& p : m_saved) {
        QImage after = copyPatch(*m_pixels, QRect(p.at, p.before.size()));
        if (samePixels(after, p.before)) continue;  // e.g. the eraser over empty pixels
        bounds |= QRect(p.at, p.before.size());
        p.after = std::move(after);
        changed.push_back(std::move(p));
    }
    m_saved.clear();
    if (changed.empty()) return false;
    m_doc->undoStack()->push(new StrokeCommand(m_doc, m_layer, std::move(changed), bounds, m_text));
    return true;
}

void StrokeTransaction::rollback() {
    if (!m_open) return;
    m_open = false;
    m_doc->setActiveStroke(nullptr);
    QRect bounds;
    for (const TilePatch& p : m_saved) bounds |= writePatch(*m_pixels, p.before, p.at);
    m_saved.clear();
    if (!bounds.isEmpty()) m_doc->emitLayerPixelsChanged(m_layer, bounds);
}

void StrokeTransaction::abandon() {
    if (!m_open) return;
    m_open = false;
    m_saved.clear();
    m_pixels = nullptr;
    m_doc->setActiveStroke(nullptr);
}

StrokeCommand::StrokeCommand(Document* doc, int layerIndex, std::vector<TilePatch> tiles,
                             const QRect& bounds, const QString& text)
    : QUndoCommand(text), m_doc(doc), m_layer(layerIndex), m_tiles(std::move(tiles)),
      m_bounds(bounds) {}

void StrokeCommand::apply(bool after) {
    QImage& px = m_doc->layerPixelsForWrite(m_layer);
    for (const TilePatch& p : m_tiles) writePatch(px, after ? p.after : p.before, p.at);
    m_doc->emitLayerPixelsChanged(m_layer, m_bounds);
}

void StrokeCommand::redo() {
    if (m_firstRedo) {  // painted live already
        m_firstRedo = false;
        return;
    }
    apply(true);
}

void StrokeCommand::undo() { apply(false); }

qint64 StrokeCommand::storedBytes() const {
    qint64 n = 0;
    for (const TilePatch& p : m_tiles) n += p.before.sizeInBytes() + p.after.sizeInBytes();
    return n;
}

}  // namespace inpaint::document
