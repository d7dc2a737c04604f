// BrushTool: the brush and the eraser on the document's active mask layer. Each stroke is
// one StrokeTransaction, i.e. one undo step. Between input events the stroke is
// interpolated continuously (see brush_raster.h), so fast moves leave no gaps.
#pragma once

#include "core/tools/brush_raster.h"
#include "core/tools/tool.h"

#include <QRect>
#include <memory>

namespace inpaint::document {
class Document;
class StrokeTransaction;
}

namespace inpaint::tools {

struct BrushSettings {
    qreal size = 40.0;          // diameter in image pixels
    qreal hardness = 1.0;       // 1 = hard edge; lower values soften the rim (brushCoverage)
    bool pressureSize = true;   // tablet pressure scales the diameter
    qreal minPressureScale = 0.1;

    static constexpr qreal kMinSize = 1.0;
    static constexpr qreal kMaxSize = 2000.0;
};

class BrushTool : public Tool {
public:
    BrushTool(document::Document* doc, BrushMode mode);
    ~BrushTool() override;

    QString name() const override;
    BrushMode mode() const { return m_mode; }
    const BrushSettings& settings() const { return m_settings; }
    void setSettings(const BrushSettings& s);

    bool begin(const PointerInput& in) override;
    void motion(const PointerInput& in) override;
    void end(const PointerInput& in) override;
    void cancel() override;
    bool isActive() const override;

    // Radius in image pixels for an input (pressure applied when there is any).
    qreal radiusFor(const PointerInput& in) const;
    // Pixels examined by the last begin/motion/end call (what the view must repaint).
    QRect lastDirtyRect() const { return m_lastDirty; }

private:
    void paintSegment(const PointerInput& from, const PointerInput& to);

    document::Document* m_doc;
    BrushMode m_mode;
    BrushSettings m_settings;
    std::unique_ptr<document::StrokeTransaction> m_tx;
    PointerInput m_last;
    QRect m_lastDirty;
};

}  // namespace inpaint::tools
