// The editor's demo drivers, for scripts/screenshot.sh and demos: a fixed mask over the spoon
// of the sample photo, and runs that end in a screenshot of the window (or the compare window).
#pragma once

#include "core/document/document.h"
#include "core/tools/brush_tool.h"

#include <QString>
#include <initializer_list>

namespace inpaint::ui {
class MainWindow;
}

namespace inpaint::editor {

// Paints a fixed mask over the spoon of resources/samples/coffee.png (600x400), scaled for
// other image sizes. Header-only so the GUI tests can use it without linking the app.
inline void paintDemoMask(document::Document* doc) {
    if (!doc || doc->isNull()) return;
    const qreal sx = doc->size().width() / 600.0, sy = doc->size().height() / 400.0;
    tools::BrushTool brush(doc, tools::BrushMode::Paint);
    tools::BrushSettings s;
    auto stroke = [&](qreal size, std::initializer_list<QPointF> pts) {
        s.size = size * sx;
        brush.setSettings(s);
        auto it = pts.begin();
        brush.begin({QPointF(it->x() * sx, it->y() * sy)});
        for (++it; it != pts.end(); ++it) brush.motion({QPointF(it->x() * sx, it->y() * sy)});
        brush.end({QPointF((pts.end() - 1)->x() * sx, (pts.end() - 1)->y() * sy)});
    };
    stroke(38, {{414, 68}, {409, 100}, {401, 140}, {393, 180}, {385, 215}, {377, 245}});
    stroke(76, {{352, 270}, {362, 287}, {370, 300}});
}

struct DemoOptions {
    bool mask = false;       // --demo-mask (implied by the others)
    bool inpaint = false;    // --demo-inpaint: the classical engine on the demo mask
    int midrunStep = 0;      // --demo-midrun N: the first model, 30 steps, screenshot after step N
    int outpaintStep = 0;    // --demo-outpaint N: Extend Canvas (200 px right, edge pre-fill), then as midrun
    bool select = false;     // --demo-select: the cup selected with Select Object (GrabCut rectangle + object strokes)
    bool compare = false;    // --demo-compare: the object-removal comparison, screenshot of that window
    double splitAt = -1.0;   // --split F: the result in split view, line at F (0..1)
    QString screenshotPath;  // --screenshot FILE: save a picture and quit
};

// Schedules the demo on the window's event loop (call after show()).
void startDemo(ui::MainWindow& window, const DemoOptions& options);

}  // namespace inpaint::editor
