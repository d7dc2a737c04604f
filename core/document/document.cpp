// Document: base image, mask layers, undo stack (see document.h).
#include "core/document/document.h"

#include "core/document/layer_commands.h"
#include "core/document/pixel_patch.h"
#include "core/document/stroke_transaction.h"
#include "core/imaging/outpaint.h"

#include <QUndoStack>
#include <algorithm>

namespace inpaint::document {

namespace {
// Distinct, saturated colours that read well over photographs.
const QColor kLayerColors[] = {
    QColor(255, 48, 48), QColor(40, 120, 255), QColor(40, 200, 80), QColor(255, 200, 0),
    QColor(220, 60, 220), QColor(0, 210, 210), QColor(255, 130, 30), QColor(150, 90, 255),
};

QImage emptyMask(QSize size) {
    QImage m(size, QImage::Format_Grayscale8);
    m.fill(0);
    return m;
}
}  // namespace

Document::Document(QObject* parent) : QObject(parent), m_undo(new QUndoStack(this)) {
    connect(m_undo, &QUndoStack::cleanChanged, this, [this] { updateModified(); });
    connect(m_undo, &QUndoStack::indexChanged, this, [this] { updateModified(); });
}

Document::~Document() {
    // A stroke still open belongs to a tool that may outlive us: close it so it never
    // touches this document again.
    if (m_activeStroke) m_activeStroke->abandon();
}

void Document::commitActiveStroke() {
    if (m_activeStroke) m_activeStroke->commit();
}

void Document::reset(const QImage& image, const QString& sourcePath) {
    if (m_activeStroke) m_activeStroke->abandon();
    m_undo->clear();
    m_image = image;
    m_layers.clear();
    m_sourcePath = sourcePath;
    m_savePath.clear();
    ++m_serial;
    m_imageState = 0;
    m_savedImageState = 0;
    if (!m_image.isNull()) {
        MaskLayer l;
        l.id = nextId();
        l.name = tr("Mask 1");
        l.color = kLayerColors[0];
        l.pixels = emptyMask(m_image.size());
        m_layers.push_back(l);
        m_activeId = l.id;
    } else {
        m_activeId = 0;
    }
    m_undo->setClean();
    emit documentReset();
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
    updateModified();
}

void Document::resetToProject(const QImage& image, const QVector<MaskLayer>& layers, int activeIndex,
                              qreal overlayOpacity, const QString& sourcePath, bool unsaved) {
    reset(image, sourcePath);  // one empty layer, signals sent
    if (m_image.isNull() || layers.isEmpty()) return;
    QVector<MaskLayer> fresh;
    for (MaskLayer l : layers) {
        if (l.pixels.size() != m_image.size()) continue;  // the caller checked; never a wrong size
        l.id = nextId();
        l.pixels = l.pixels.convertToFormat(QImage::Format_Grayscale8);
        fresh.push_back(l);
    }
    if (fresh.isEmpty()) return;
    m_layers = fresh;
    m_activeId = m_layers[std::clamp(activeIndex, 0, int(m_layers.size()) - 1)].id;
    m_overlayOpacity = std::clamp(overlayOpacity, 0.0, 1.0);
    if (unsaved) m_savedImageState = ~quint64(0);  // no saved state matches
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
    emit overlayOpacityChanged(m_overlayOpacity);
    for (int i = 0; i < m_layers.size(); ++i) emit layerPixelsChanged(i, m_image.rect());
    updateModified();
}

void Document::markClean() {
    m_savedImageState = m_imageState;
    m_undo->setClean();
    updateModified();
}

void Document::markSaved(const QString& path) {
    m_savePath = path;
    m_savedImageState = m_imageState;
    m_undo->setClean();
    updateModified();
}

int Document::indexOfLayer(quint64 id) const {
    for (int i = 0; i < m_layers.size(); ++i)
        if (m_layers[i].id == id) return i;
    return -1;
}

int Document::activeLayerIndex() const { return indexOfLayer(m_activeId); }

void Document::setActiveLayerIndex(int index) {
    if (index < 0 || index >= m_layers.size()) return;
    if (m_layers[index].id == m_activeId) return;
    m_activeId = m_layers[index].id;
    emit activeLayerChanged(index);
}

void Document::setOverlayOpacity(qreal opacity) {
    opacity = std::clamp(opacity, 0.0, 1.0);
    if (qFuzzyCompare(opacity, m_overlayOpacity)) return;
    m_overlayOpacity = opacity;
    emit overlayOpacityChanged(opacity);
}

QImage Document::combinedMask() const {
    if (isNull()) return {};
    QImage out = emptyMask(m_image.size());
    const int w = out.width();
    for (const MaskLayer& l : m_layers) {
        if (!l.visible) continue;
        for (int y = 0; y < out.height(); ++y) {
            const uchar* src = l.pixels.constScanLine(y);
            uchar* dst = out.scanLine(y);
            for (int x = 0; x < w; ++x) dst[x] = std::max(dst[x], src[x]);
        }
    }
    return out;
}

bool Document::hasVisibleMask() const {
    for (const MaskLayer& l : m_layers) {
        if (l.visible && !nonZeroBounds(l.pixels).isEmpty()) return true;
    }
    return false;
}

bool Document::isModified() const { return isImageModified() || !m_undo->isClean(); }

void Document::updateModified() {
    const bool m = isModified();
    const bool im = isImageModified();
    if (m != m_lastModified) {
        m_lastModified = m;
        emit modifiedChanged(m);
    }
    if (im != m_lastImageModified) {
        m_lastImageModified = im;
        emit imageModifiedChanged(im);
    }
}

QColor Document::nextLayerColor() const {
    // The first palette colour no layer uses yet; cycle when all are taken.
    for (const QColor& c : kLayerColors) {
        if (std::none_of(m_layers.begin(), m_layers.end(),
                         [&](const MaskLayer& l) { return l.color == c; }))
            return c;
    }
    return kLayerColors[m_layers.size() % std::size(kLayerColors)];
}

QString Document::nextLayerName() const {
    for (int n = 1;; ++n) {
        const QString name = tr("Mask %1").arg(n);
        if (std::none_of(m_layers.begin(), m_layers.end(),
                         [&](const MaskLayer& l) { return l.name == name; }))
            return name;
    }
}

int Document::addLayer(const QString& name) {
    return addLayerWithPixels(name, {});
}

int Document::addLayerWithPixels(const QString& name, const QImage& mask) {
    commitActiveStroke();
    if (isNull()) return -1;
    MaskLayer l;
    l.id = nextId();
    l.name = name.isEmpty() ? nextLayerName() : name;
    l.color = nextLayerColor();
    if (!mask.isNull() && mask.size() == m_image.size())
        l.pixels = mask.convertToFormat(QImage::Format_Grayscale8);
    else
        l.pixels = emptyMask(m_image.size());
    const int index = activeLayerIndex() + 1;  // right above the active layer
    const QString text = mask.isNull() ? tr("Add layer “%1”").arg(l.name)
                                       : tr("Import mask “%1”").arg(l.name);
    m_undo->push(new AddLayerCommand(this, std::clamp(index, 0, layerCount()), l, text));
    return activeLayerIndex();
}

void Document::removeLayer(int index) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount()) return;
    m_undo->push(new RemoveLayerCommand(this, index));
}

void Document::renameLayer(int index, const QString& name) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount() || name.isEmpty() || m_layers[index].name == name) return;
    m_undo->push(new LayerPropertyCommand(this, index, LayerPropertyCommand::Property::Name, name));
}

void Document::moveLayer(int from, int to) {
    commitActiveStroke();
    if (from < 0 || from >= layerCount() || to < 0 || to >= layerCount() || from == to) return;
    m_undo->push(new MoveLayerCommand(this, from, to));
}

void Document::setLayerVisible(int index, bool visible) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount() || m_layers[index].visible == visible) return;
    m_undo->push(new LayerPropertyCommand(this, index, LayerPropertyCommand::Property::Visible, visible));
}

void Document::setLayerColor(int index, const QColor& color) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount() || !color.isValid() || m_layers[index].color == color) return;
    m_undo->push(new LayerPropertyCommand(this, index, LayerPropertyCommand::Property::Color, color));
}

void Document::clearLayer(int index) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount()) return;
    const QImage& px = m_layers[index].pixels;
    const QRect r = nonZeroBounds(px);
    if (r.isEmpty()) return;  // nothing to clear: no empty undo step
    m_undo->push(new LayerPixelsCommand(this, index, r, copyPatch(px, r), {}, uchar(0),
                                        tr("Clear layer “%1”").arg(m_layers[index].name)));
}

void Document::fillLayer(int index) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount()) return;
    const QImage& px = m_layers[index].pixels;
    const QRect r = boundsNotEqual(px, 255);
    if (r.isEmpty()) return;
    m_undo->push(new LayerPixelsCommand(this, index, r, copyPatch(px, r), {}, uchar(255),
                                        tr("Fill layer “%1”").arg(m_layers[index].name)));
}

void Document::invertLayer(int index) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount()) return;
    m_undo->push(new InvertLayerCommand(this, index));
}

bool Document::setLayerPixels(int index, const QImage& pixels, const QString& text) {
    commitActiveStroke();
    if (index < 0 || index >= layerCount() || pixels.size() != m_image.size()) return false;
    const QImage next = pixels.convertToFormat(QImage::Format_Grayscale8);
    const QImage& px = m_layers[index].pixels;
    // Bounding rectangle of the pixels that differ.
    int x0 = px.width(), y0 = px.height(), x1 = -1, y1 = -1;
    for (int y = 0; y < px.height(); ++y) {
        const uchar* a = px.constScanLine(y);
        const uchar* b = next.constScanLine(y);
        int first = -1, last = -1;
        for (int x = 0; x < px.width(); ++x)
            if (a[x] != b[x]) {
                if (first < 0) first = x;
                last = x;
            }
        if (first < 0) continue;
        x0 = std::min(x0, first);
        x1 = std::max(x1, last);
        y0 = std::min(y0, y);
        y1 = y;
    }
    if (x1 < 0) return false;  // nothing changes: no empty undo step
    const QRect r(QPoint(x0, y0), QPoint(x1, y1));
    m_undo->push(new LayerPixelsCommand(this, index, r, copyPatch(px, r), copyPatch(next, r), std::nullopt, text));
    return true;
}

void Document::applyResult(const QImage& result, const QRect& region, const QString& text) {
    commitActiveStroke();
    if (isNull() || result.size() != m_image.size() || result.format() != m_image.format()) return;
    const QRect r = region & m_image.rect();
    if (r.isEmpty()) return;
    const quint64 after = nextId();
    m_undo->push(new ApplyResultCommand(this, r, copyPatch(m_image, r), copyPatch(result, r),
                                        m_imageState, after, text));
}

bool Document::resizeCanvas(const QImage& image, const QPoint& offset, const QImage& layerMask,
                            const QString& layerName, const QString& text) {
    commitActiveStroke();
    if (isNull() || image.isNull() || layerMask.size() != image.size()) return false;
    if (!QRect(QPoint(0, 0), image.size()).contains(QRect(offset, m_image.size()))) return false;
    const imaging::CanvasExtension grown{offset.x(), image.width() - m_image.width() - offset.x(), offset.y(),
                                         image.height() - m_image.height() - offset.y()};
    CanvasState after;
    after.image = image;
    for (const MaskLayer& l : m_layers) {
        MaskLayer padded = l;
        padded.visible = false;
        padded.pixels = imaging::extendMask(l.pixels, grown);
        if (padded.pixels.isNull()) return false;
        after.layers.push_back(padded);
    }
    MaskLayer added;
    added.id = nextId();
    added.name = layerName.isEmpty() ? nextLayerName() : layerName;
    added.color = nextLayerColor();
    added.pixels = layerMask.format() == QImage::Format_Grayscale8 ? layerMask
                                                                    : layerMask.convertToFormat(QImage::Format_Grayscale8);
    after.layers.push_back(added);
    after.activeId = added.id;
    after.imageState = nextId();
    m_undo->push(new CanvasCommand(this, canvasState(), std::move(after), text));
    return true;
}

// --- raw edits ------------------------------------------------------------------------

void Document::setCanvasRaw(const CanvasState& state) {
    if (m_activeStroke) m_activeStroke->abandon();
    m_image = state.image;
    m_layers = state.layers;
    m_activeId = state.activeId;
    m_imageState = state.imageState;
    emit canvasResized();
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
    updateModified();
}

QImage& Document::layerPixelsForWrite(int index) {
    QImage& px = m_layers[index].pixels;
    px.detach();
    return px;
}

void Document::emitLayerPixelsChanged(int index, const QRect& rect) {
    emit layerPixelsChanged(index, rect);
}

void Document::insertLayerRaw(int index, const MaskLayer& layer) {
    m_layers.insert(index, layer);
    if (m_activeId == 0) m_activeId = layer.id;
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
}

MaskLayer Document::takeLayerRaw(int index) {
    MaskLayer l = m_layers.takeAt(index);
    if (l.id == m_activeId) {
        // Keep a layer active: the one that took its place, else the one below.
        const int next = std::min(index, layerCount() - 1);
        m_activeId = next >= 0 ? m_layers[next].id : 0;
    }
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
    return l;
}

void Document::moveLayerRaw(int from, int to) {
    m_layers.move(from, to);
    emit layersChanged();
    emit activeLayerChanged(activeLayerIndex());
}

void Document::setLayerNameRaw(int index, const QString& name) {
    m_layers[index].name = name;
    emit layersChanged();
}

void Document::setLayerVisibleRaw(int index, bool visible) {
    m_layers[index].visible = visible;
    emit layersChanged();
    emit layerPixelsChanged(index, m_image.rect());  // the overlay appears or disappears
}

void Document::setLayerColorRaw(int index, const QColor& color) {
    m_layers[index].color = color;
    emit layersChanged();
    emit layerPixelsChanged(index, m_image.rect());
}

void Document::writeImagePatchRaw(const QImage& patch, const QPoint& at, quint64 newImageState) {
    const QRect r = writePatch(m_image, patch, at);
    m_imageState = newImageState;
    emit imageChanged(r);
    updateModified();
}

}  // namespace inpaint::document
