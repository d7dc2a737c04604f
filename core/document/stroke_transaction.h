// StrokeTransaction: paints straight into a mask layer and records what changed so the
// whole stroke becomes one undo command (the idea of Krita's KisTransaction). Before a
// region is written for the first time in this stroke, the 64x64 tiles under it are
// copied; commit() turns the changed tiles into before/after pairs. A stroke across a
// 8000x6000 layer therefore stores only the tiles it touched, never the whole layer.
#pragma once

#include <QImage>
#include <QRect>
#include <QString>
#include <QVector>
#include <vector>

namespace inpaint::document {

class Document;

struct TilePatch {
    QPoint at;
    QImage before;
    QImage after;
};

class StrokeTransaction {
public:
    static constexpr int kTileSize = 64;

    // Starts a stroke on layer `layerIndex`. Only one stroke may be open per document.
    StrokeTransaction(Document* doc, int layerIndex, const QString& text);
    ~StrokeTransaction();  // rolls back when neither committed nor rolled back
    StrokeTransaction(const StrokeTransaction&) = delete;
    StrokeTransaction& operator=(const StrokeTransaction&) = delete;

    int layerIndex() const { return m_layer; }
    // The layer's pixels to paint into. Call aboutToWrite() for a region before writing it.
    QImage& pixels() { return *m_pixels; }
    void aboutToWrite(const QRect& rect);
    // Announces painted pixels (the canvas repaints just this rectangle).
    void written(const QRect& rect);
    QRect dirtyRect() const { return m_dirty; }
    bool isOpen() const { return m_open; }

    // Pushes one undo command holding the changed tiles; pushes nothing when no pixel
    // changed. Returns whether a command was pushed.
    bool commit();
    // Puts every touched tile back as it was.
    void rollback();
    // Closes without touching pixels or the stack (the document is being reset or destroyed).
    void abandon();

private:
    Document* m_doc;
    int m_layer;
    QImage* m_pixels;
    int m_tilesX = 0, m_tilesY = 0;
    std::vector<int> m_tileSlot;     // -1 = not saved yet, else index into m_saved
    std::vector<TilePatch> m_saved;  // 'before' of every touched tile
    QRect m_dirty;
    QString m_text;
    bool m_open = true;
};

}  // namespace inpaint::document
