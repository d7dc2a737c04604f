// Document: the image being edited, its mask layers and the undo stack that records
// every change to either. The base image stays in the format it was loaded in (8/16-bit,
// grey/RGB/RGBA) and is only ever changed by applying an inpainting result.
//
// Public edit functions push exactly one QUndoCommand each; strokes go through a
// StrokeTransaction (stroke_transaction.h) which pushes one command per stroke. The
// "raw" functions further down are what those commands call; they never touch the stack.
#pragma once

#include "core/document/mask_layer.h"

#include <QImage>
#include <QObject>
#include <QRect>
#include <QVector>

class QUndoStack;

namespace inpaint::document {

class StrokeTransaction;

class Document : public QObject {
    Q_OBJECT
public:
    explicit Document(QObject* parent = nullptr);
    ~Document() override;

    // Starts over with `image` (kept as is): one empty layer "Mask 1", an empty undo stack,
    // not modified. `sourcePath` is where the image came from (may be empty, e.g. a paste).
    void reset(const QImage& image, const QString& sourcePath = {});
    // Starts over with a saved project's picture and layers (ids are assigned anew; empty `layers`
    // gives one empty layer as reset() does). `unsaved`: the work is stored nowhere the person
    // chose (an autosave restored after a crash), so it counts as modified until saved.
    void resetToProject(const QImage& image, const QVector<MaskLayer>& layers, int activeIndex,
                        qreal overlayOpacity, const QString& sourcePath, bool unsaved);
    // Everything as it is now counts as saved (a project file holds it); the Save target stays.
    void markClean();
    bool isNull() const { return m_image.isNull(); }
    const QImage& image() const { return m_image; }
    QSize size() const { return m_image.size(); }
    QRect rect() const { return m_image.rect(); }
    bool hasAlpha() const { return m_image.hasAlphaChannel(); }

    // Where the image came from, and where Save writes (empty until the person chose a
    // target with Save As: Save never writes over the source without asking).
    QString sourcePath() const { return m_sourcePath; }
    QString savePath() const { return m_savePath; }
    // Records a successful save of the current image to `path` (becomes the Save target).
    void markSaved(const QString& path);

    // --- layers -------------------------------------------------------------------
    int layerCount() const { return int(m_layers.size()); }
    const MaskLayer& layer(int index) const { return m_layers.at(index); }
    int indexOfLayer(quint64 id) const;
    int activeLayerIndex() const;  // -1 when there are no layers
    void setActiveLayerIndex(int index);  // a view setting: not undoable
    qreal overlayOpacity() const { return m_overlayOpacity; }
    void setOverlayOpacity(qreal opacity);  // 0..1, not undoable

    // Union (per-pixel max) of the visible layers, Format_Grayscale8, image size. A new
    // image every call (never shares pixels with a layer, so painting never detaches).
    QImage combinedMask() const;
    bool hasVisibleMask() const;  // any visible layer has a non-zero pixel

    // --- undoable edits (one command each) ------------------------------------------
    int addLayer(const QString& name = {});                       // returns the new index
    int addLayerWithPixels(const QString& name, const QImage& mask); // e.g. an imported mask
    void removeLayer(int index);
    void renameLayer(int index, const QString& name);
    void moveLayer(int from, int to);
    void setLayerVisible(int index, bool visible);
    void setLayerColor(int index, const QColor& color);
    void clearLayer(int index);   // all 0
    void fillLayer(int index);    // all 255 (repaint everything)
    void invertLayer(int index);  // v -> 255 - v
    // Replaces a layer's pixels with `pixels` (Grayscale8 or convertible, the image's size): a
    // selection tool's result. One undo step that stores only the bounding rectangle of the
    // pixels that change (before and after). False, and no undo step, when nothing changes or
    // the index or size does not fit.
    bool setLayerPixels(int index, const QImage& pixels, const QString& text);
    // Replaces the base pixels inside `region` with `result`'s (same size and format as the
    // image). Only the region's before/after patches are stored.
    void applyResult(const QImage& result, const QRect& region, const QString& text);
    // A canvas of another size (outpainting's Extend Canvas): `image` replaces the base image, the
    // old picture sitting at `offset` in it; every layer is padded with 0 to the new size, and a
    // new layer `layerName` holding `layerMask` (new size) becomes the active one while the others
    // are hidden, so the next job repaints just it. One undo step. False (nothing changed) when a
    // size does not fit.
    bool resizeCanvas(const QImage& image, const QPoint& offset, const QImage& layerMask, const QString& layerName,
                      const QString& text);

    QUndoStack* undoStack() const { return m_undo; }
    // True when the base pixels differ from what was last loaded or saved.
    bool isImageModified() const { return m_imageState != m_savedImageState; }
    // True when anything (image or masks) changed since load/save.
    bool isModified() const;
    // Changes on every reset(): lets a job tell whether the document it started from is gone.
    quint64 serial() const { return m_serial; }
    // Identifies the current base pixels: 0 as loaded, else the id of the applied result on top.
    quint64 imageState() const { return m_imageState; }

    // A stroke in progress (at most one). The canvas ends it before other edits run.
    StrokeTransaction* activeStroke() const { return m_activeStroke; }
    // Ends an open stroke as one undo step (called before any other edit and by undo/redo).
    void commitActiveStroke();

    // --- raw edits: for undo commands and stroke transactions only ------------------
    QImage& layerPixelsForWrite(int index);  // detached pixels of the layer
    void emitLayerPixelsChanged(int index, const QRect& rect);
    void insertLayerRaw(int index, const MaskLayer& layer);
    MaskLayer takeLayerRaw(int index);
    void moveLayerRaw(int from, int to);
    void setLayerNameRaw(int index, const QString& name);
    void setLayerVisibleRaw(int index, bool visible);
    void setLayerColorRaw(int index, const QColor& color);
    void writeImagePatchRaw(const QImage& patch, const QPoint& at, quint64 newImageState);
    struct CanvasState {
        QImage image;
        QVector<MaskLayer> layers;
        quint64 activeId = 0;
        quint64 imageState = 0;
    };
    CanvasState canvasState() const { return {m_image, m_layers, m_activeId, m_imageState}; }
    void setCanvasRaw(const CanvasState& state);
    quint64 nextId() { return ++m_idCounter; }
    void setActiveStroke(StrokeTransaction* stroke) { m_activeStroke = stroke; }

signals:
    void documentReset();                     // a new image: everything changed
    void canvasResized();                     // the same document at another size (undoable)
    void imageChanged(const QRect& rect);     // base pixels changed inside rect
    void layerPixelsChanged(int index, const QRect& rect);
    void layersChanged();                     // count, order, name, colour or visibility
    void activeLayerChanged(int index);
    void overlayOpacityChanged(qreal opacity);
    void modifiedChanged(bool modified);
    void imageModifiedChanged(bool modified);

private:
    QColor nextLayerColor() const;
    QString nextLayerName() const;
    void updateModified();

    QImage m_image;
    QVector<MaskLayer> m_layers;
    quint64 m_activeId = 0;
    qreal m_overlayOpacity = 0.5;
    QString m_sourcePath;
    QString m_savePath;
    QUndoStack* m_undo = nullptr;
    quint64 m_serial = 0;
    quint64 m_idCounter = 0;
    quint64 m_imageState = 0;
    quint64 m_savedImageState = 0;
    bool m_lastModified = false;
    bool m_lastImageModified = false;
    StrokeTransaction* m_activeStroke = nullptr;
};

}  // namespace inpaint::document
