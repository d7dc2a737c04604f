// BrushTool (see brush_tool.h).
#include "core/tools/brush_tool.h"

#include "core/document/document.h"
#include "core/document/stroke_transaction.h"

#include <QCoreApplication>
#include <algorithm>

namespace inpaint::tools {

BrushTool::BrushTool(document::Document* doc, BrushMode mode) : m_doc(doc), m_mode(mode) {}

BrushTool::~BrushTool() = default;

QString BrushTool::name() const {
    return m_mode == BrushMode::Paint ? QCoreApplication::translate("BrushTool", "Brush")
                                      : QCoreApplication::translate("BrushTool", "Eraser");
}

void BrushTool::setSettings(const BrushSettings& s) {
    m_settings = s;
    m_settings.size = std::clamp(s.size, BrushSettings::kMinSize, BrushSettings::kMaxSize);
    m_settings.hardness = std::clamp(s.hardness, 0.0, 1.0);
    m_settings.minPressureScale = std::clamp(s.minPressureScale, 0.01, 1.0);
}

qreal BrushTool::radiusFor(const PointerInput& in) const {
    qreal scale = 1.0;
    if (in.hasPressure && m_settings.pressureSize)
        scale = std::max(m_settings.minPressureScale, std::clamp(in.pressure, 0.0, 1.0));
    return std::max<qreal>(0.5, m_settings.size * 0.5 * scale);
}

bool BrushTool::isActive() const { return m_tx && m_tx->isOpen(); }

bool BrushTool::begin(const PointerInput& in) {
    cancel();
    m_lastDirty = {};
    const int layer = m_doc->activeLayerIndex();
    if (m_doc->isNull() || layer < 0) return false;
    m_doc->commitActiveStroke();  // another tool's stroke, if any, ends here
    const QString text = m_mode == BrushMode::Paint
        ? QCoreApplication::translate("BrushTool", "Brush stroke on “%1”").arg(m_doc->layer(layer).name)
        : QCoreApplication::translate("BrushTool", "Eraser stroke on “%1”").arg(m_doc->layer(layer).name);
    m_tx = std::make_unique<document::StrokeTransaction>(m_doc, layer, text);
    m_last = in;
    paintSegment(in, in);  // a click paints one disc
    return true;
}

void BrushTool::motion(const PointerInput& in) {
    if (!isActive()) return;
    paintSegment(m_last, in);
    m_last = in;
}

void BrushTool::end(const PointerInput& in) {
    if (!isActive()) {
        m_tx.reset();
        return;
    }
    if (in.pos != m_last.pos) paintSegment(m_last, in);
    m_tx->commit();
    m_tx.reset();
}

void BrushTool::cancel() {
    if (m_tx && m_tx->isOpen()) m_tx->rollback();
    m_tx.reset();
}

void BrushTool::paintSegment(const PointerInput& from, const PointerInput& to) {
    BrushSegment s;
    s.from = from.pos;
    s.to = to.pos;
    s.fromRadius = radiusFor(from);
    s.toRadius = radiusFor(to);
    QImage& px = m_tx->pixels();
    const QRect box = segmentBounds(s, px.rect());
    m_lastDirty = box;
    if (box.isEmpty()) return;
    m_tx->aboutToWrite(box);
    rasterSegment(px, s, m_settings.hardness, m_mode, box);
    m_tx->written(box);
}

}  // namespace inpaint::tools
