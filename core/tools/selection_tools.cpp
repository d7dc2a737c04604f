// GrabCutTool and MagicWandTool (see selection_tools.h).
#include "core/tools/selection_tools.h"

#include "core/document/document.h"
#include "core/document/pixel_patch.h"

#include <QCoreApplication>
#include <QPainter>
#include <cmath>

namespace inpaint::tools {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("SelectionTools", text); }

qint64 countSelected(const QImage& gray8) {
    qint64 n = 0;
    for (int y = 0; y < gray8.height(); ++y) {
        const uchar* p = gray8.constScanLine(y);
        for (int x = 0; x < gray8.width(); ++x) n += p[x] != 0;
    }
    return n;
}

// The active layer when the tool may edit it, else -1 with the reason in `error`.
int editableLayer(const document::Document* doc, QString* error) {
    if (!doc || doc->isNull()) {
        *error = tr("Open an image first.");
        return -1;
    }
    const int layer = doc->activeLayerIndex();
    if (layer < 0) *error = tr("There is no mask layer to select into: add one in the Layers panel.");
    return layer;
}

QString modeVerb(imaging::SelectionMode mode) {
    switch (mode) {
    case imaging::SelectionMode::Add: return tr("added");
    case imaging::SelectionMode::Subtract: return tr("subtracted");
    case imaging::SelectionMode::Replace: break;
    }
    return tr("selected");
}
}  // namespace

// --- GrabCutTool ----------------------------------------------------------------------------

GrabCutTool::GrabCutTool(document::Document* doc) : m_doc(doc) {}

QString GrabCutTool::name() const { return QCoreApplication::translate("GrabCutTool", "Select Object"); }

QRect GrabCutTool::pixelRect(const QPointF& a, const QPointF& b) {
    const int x0 = int(std::floor(std::min(a.x(), b.x()))), x1 = int(std::floor(std::max(a.x(), b.x())));
    const int y0 = int(std::floor(std::min(a.y(), b.y()))), y1 = int(std::floor(std::max(a.y(), b.y())));
    return QRect(QPoint(x0, y0), QPoint(x1, y1));
}

QRectF GrabCutTool::rubberBand() const {
    if (!m_dragging || m_dragKind != DragKind::Rectangle) return {};
    return QRectF(pixelRect(m_start, m_current));
}

bool GrabCutTool::canRefine() const {
    if (m_session.result.isNull() || !m_doc || m_doc->isNull()) return false;
    const int index = m_doc->indexOfLayer(m_session.layerId);
    return index >= 0 && index == m_doc->activeLayerIndex() &&
           document::samePixels(m_doc->layer(index).pixels, m_session.result);
}

bool GrabCutTool::begin(const PointerInput& in) {
    cancel();
    m_error.clear();
    m_message.clear();
    if (editableLayer(m_doc, &m_error) < 0) return false;
    if (m_dragKind != DragKind::Rectangle && !canRefine()) {
        m_error = tr("Drag a rectangle around the object first: strokes refine the selection it made.");
        return false;
    }
    m_dragging = true;
    m_start = m_current = in.pos;
    m_stroke = QPolygonF{in.pos};
    return true;
}

void GrabCutTool::motion(const PointerInput& in) {
    if (!m_dragging) return;
    m_current = in.pos;
    if (m_dragKind != DragKind::Rectangle) m_stroke << in.pos;
}

void GrabCutTool::end(const PointerInput& in) {
    if (!m_dragging) return;
    motion(in);
    m_dragging = false;
    if (m_dragKind == DragKind::Rectangle) select(pixelRect(m_start, m_current));
    else refine();
}

void GrabCutTool::cancel() {
    m_dragging = false;
    m_stroke.clear();
}

bool GrabCutTool::select(const QRect& rect) {
    const int layer = editableLayer(m_doc, &m_error);
    if (layer < 0) return false;
    const QImage sel = imaging::grabCutSelect(m_doc->image(), rect, {}, m_settings.grabCutIterations, &m_error);
    if (sel.isNull()) return false;
    const QImage base = m_doc->layer(layer).pixels;
    const QImage combined = imaging::combineSelection(base, sel, m_mode);
    const QString name = m_doc->layer(layer).name;
    if (!m_doc->setLayerPixels(layer, combined, tr("Select object on “%1”").arg(name)))
        m_message = tr("The selection leaves “%1” as it was.").arg(name);
    else
        m_message = tr("GrabCut: %L1 pixels %2 on “%3”.").arg(countSelected(sel)).arg(modeVerb(m_mode), name);
    m_session = {m_doc->layer(layer).id, rect & m_doc->rect(), m_mode, base, combined, {}};
    return true;
}

bool GrabCutTool::refine() {
    const int layer = editableLayer(m_doc, &m_error);
    if (layer < 0) return false;
    if (!canRefine()) {
        m_error = tr("Drag a rectangle around the object first: strokes refine the selection it made.");
        return false;
    }
    QImage hints = m_session.hints;
    if (hints.isNull()) {
        hints = QImage(m_doc->size(), QImage::Format_Grayscale8);
        hints.fill(imaging::kHintNone);
    } else {
        hints = hints.copy();  // the session keeps the old strokes if this one fails
    }
    {
        QPainter p(&hints);
        const uchar v = m_dragKind == DragKind::MarkObject ? imaging::kHintForeground : imaging::kHintBackground;
        QPen pen(QColor(v, v, v), std::max<qreal>(1.0, m_settings.hintStrokeWidth), Qt::SolidLine, Qt::RoundCap,
                 Qt::RoundJoin);
        p.setPen(pen);
        if (m_stroke.size() == 1) p.drawPoint(m_stroke.first());
        else p.drawPolyline(m_stroke);
    }
    m_stroke.clear();
    const QImage sel =
        imaging::grabCutSelect(m_doc->image(), m_session.rect, hints, m_settings.grabCutIterations, &m_error);
    if (sel.isNull()) return false;
    const QImage combined = imaging::combineSelection(m_session.base, sel, m_session.mode);
    const QString name = m_doc->layer(layer).name;
    const bool object = m_dragKind == DragKind::MarkObject;
    if (m_doc->setLayerPixels(layer, combined, tr("Refine selection on “%1”").arg(name)))
        m_message = (object ? tr("GrabCut refined with an object stroke: %L1 pixels selected.")
                            : tr("GrabCut refined with a background stroke: %L1 pixels selected."))
                        .arg(countSelected(sel));
    else
        m_message = object ? tr("The object stroke leaves the selection as it was.")
                           : tr("The background stroke leaves the selection as it was.");
    m_session.hints = hints;
    m_session.result = combined;
    return true;
}

// --- MagicWandTool --------------------------------------------------------------------------

MagicWandTool::MagicWandTool(document::Document* doc) : m_doc(doc) {}

QString MagicWandTool::name() const { return QCoreApplication::translate("MagicWandTool", "Magic Wand"); }

bool MagicWandTool::begin(const PointerInput& in) {
    m_error.clear();
    m_message.clear();
    const int layer = editableLayer(m_doc, &m_error);
    if (layer < 0) return false;
    const QPoint seed(int(std::floor(in.pos.x())), int(std::floor(in.pos.y())));
    const QImage sel = imaging::magicWandSelect(m_doc->image(), seed, m_settings.wandTolerance, m_settings.wandChannel,
                                                m_settings.wandContiguous, &m_error);
    if (sel.isNull()) return false;
    const QImage combined = imaging::combineSelection(m_doc->layer(layer).pixels, sel, m_mode);
    const QString name = m_doc->layer(layer).name;
    if (!m_doc->setLayerPixels(layer, combined, tr("Magic wand on “%1”").arg(name))) {
        m_message = tr("The selection leaves “%1” as it was.").arg(name);
        return false;
    }
    m_message = tr("Magic wand: %L1 pixels %2 on “%3” (tolerance %4).")
                    .arg(countSelected(sel))
                    .arg(modeVerb(m_mode), name)
                    .arg(m_settings.wandTolerance);
    return true;
}

}  // namespace inpaint::tools
