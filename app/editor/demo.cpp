// The editor's demo drivers (see demo.h).
#include "app/editor/demo.h"

#include "core/jobs/job_handle.h"
#include "ui/canvas_view.h"
#include "ui/compare_window.h"
#include "ui/dialogs.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/result_bar.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QMouseEvent>
#include <QSlider>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <memory>

namespace inpaint::editor {

using ui::MainWindow;

namespace {
void reportShot(bool ok, const QString& path) {
    std::fprintf(ok ? stdout : stderr, ok ? "screenshot: %s\n" : "screenshot: could not write %s\n", qPrintable(path));
    QApplication::exit(ok ? 0 : 1);
}

// Runs `run` once the models are scanned (at once when they already are).
template <typename F>
void whenModelsKnown(MainWindow& window, F run) {
    if (window.models().isEmpty())
        QObject::connect(&window, &MainWindow::modelsScanned, &window, run, Qt::SingleShotConnection);
    else
        run();
}
}  // namespace

namespace {
// Select Object as a person would use it on resources/samples/coffee.png (scaled for other
// sizes): a rectangle around the cup (GrabCut takes the white rim and the coffee, but the red
// body looks like the red saucer), then Drag: Mark object and two strokes over the body and the
// handle, which refine it; a third stroke over the spoon is left in progress, so the picture
// shows the mask, the tool and its options, and a stroke being drawn. The layer is cyan so the
// overlay shows on the red cup.
void runSelectDemo(MainWindow& window) {
    ui::CanvasView* canvas = window.canvas();
    document::Document* doc = window.document();
    if (!canvas || !doc || doc->isNull() || doc->activeLayerIndex() < 0) return;
    doc->setLayerColor(doc->activeLayerIndex(), QColor(0, 210, 210));
    window.action(QStringLiteral("selectRect"))->trigger();
    const qreal sx = doc->size().width() / 600.0, sy = doc->size().height() / 400.0;
    auto send = [canvas, sx, sy](QEvent::Type type, QPointF imagePt, Qt::MouseButtons buttons) {
        const QPointF p = canvas->imageToWidget(QPointF(imagePt.x() * sx, imagePt.y() * sy));
        QMouseEvent e(type, p, canvas->mapToGlobal(p), type == QEvent::MouseMove ? Qt::NoButton : Qt::LeftButton,
                      buttons, Qt::NoModifier);
        QCoreApplication::sendEvent(canvas, &e);
    };
    auto drag = [&send](std::initializer_list<QPointF> pts, bool release) {
        send(QEvent::MouseButtonPress, *pts.begin(), Qt::LeftButton);
        for (const QPointF& p : pts) send(QEvent::MouseMove, p, Qt::LeftButton);
        if (release) send(QEvent::MouseButtonRelease, *(pts.end() - 1), Qt::NoButton);
    };
    drag({{166, 12}, {300, 200}, {414, 312}}, true);
    if (auto* kind = window.findChild<QComboBox*>(QStringLiteral("grabCutDrag"))) kind->setCurrentIndex(1);  // Mark object
    drag({{192, 215}, {240, 240}, {300, 250}, {360, 240}, {392, 212}}, true);
    drag({{212, 250}, {222, 275}, {225, 292}}, true);
    drag({{362, 300}, {368, 270}, {378, 235}, {388, 190}}, false);
}

// The demo's answer to Extend Canvas (the other questions as the real dialogs ask them).
class ExtendRightDialogs : public ui::Dialogs {
public:
    std::optional<ExtendCanvasChoice> extendCanvas(QWidget*, QSize current) override {
        ExtendCanvasChoice c;
        c.extension.right = std::max(64, current.width() / 3);
        c.prefill = imaging::Prefill::Edge;
        c.overlap = 16;
        return c;
    }
};
}  // namespace

void startDemo(MainWindow& window, const DemoOptions& o) {
    const bool wantMask = (o.mask || o.inpaint || o.midrunStep > 0 || o.compare) && o.outpaintStep <= 0;
    const QString shotPath = o.screenshotPath;
    const double splitAt = o.splitAt;
    auto takeShot = [&window, shotPath, splitAt] {
        if (splitAt >= 0.0 && window.controller()->hasPendingResult()) {
            window.resultBar()->splitCheck()->setChecked(true);
            window.resultBar()->splitSlider()->setValue(int(splitAt * 1000));
        }
        if (shotPath.isEmpty()) return;
        // Let pending repaints and layout settle, then render the window ourselves: this works
        // the same under xvfb, a real display or the offscreen platform.
        QTimer::singleShot(400, &window, [&window, shotPath] { reportShot(window.grab().save(shotPath), shotPath); });
    };

    QTimer::singleShot(50, &window, [&window, o, wantMask, shotPath, takeShot] {
        if (wantMask) paintDemoMask(window.document());
        if (o.select) {
            runSelectDemo(window);
            takeShot();
        } else if (o.compare) {
            whenModelsKnown(window, [&window, shotPath] {
                jobs::InpaintRequest r = window.promptPanel()->settings();
                r.steps = 12;
                r.region = jobs::RegionMode::Masked;
                window.promptPanel()->setSettings(r);
                ui::CompareWindow* c = window.showCompare();
                c->applyObjectRemovalPreset();
                QObject::connect(c, &ui::CompareWindow::finished, c, [c, shotPath] {
                    c->stepSlider()->setValue(c->stepSlider()->maximum() / 2);
                    QTimer::singleShot(400, c, [c, shotPath] { reportShot(c->grab().save(shotPath), shotPath); });
                });
                c->run();
            });
        } else if (o.midrunStep > 0 || o.outpaintStep > 0) {
            const int shotAt = o.outpaintStep > 0 ? o.outpaintStep : o.midrunStep;
            if (o.outpaintStep > 0) {
                // Image ▸ Extend Canvas as a person would answer it: 200 px on the right, edge pre-fill.
                window.setDialogs(std::make_unique<ExtendRightDialogs>());
                window.action(QStringLiteral("extendCanvas"))->trigger();
            }
            whenModelsKnown(window, [&window, shotAt, takeShot] {
                jobs::InpaintRequest r = window.promptPanel()->settings();
                r.steps = 30;
                r.scheduler = QStringLiteral("euler-a");
                r.prompt = QStringLiteral("a wooden table top");
                r.region = jobs::RegionMode::Masked;  // the model's own size around the mask
                window.promptPanel()->setSettings(r);
                QObject::connect(window.controller(), &ui::GenerationController::jobStarted, &window,
                                 [takeShot, shotAt](jobs::JobHandle* job, const jobs::InpaintRequest&) {
                                     QObject::connect(job, &jobs::JobHandle::progress, job,
                                                      [takeShot, shotAt](int step, int, const QImage&) {
                                                          if (step == shotAt) takeShot();
                                                      });
                                 });
                QObject::connect(window.controller(), &ui::GenerationController::problem, &window, takeShot,
                                 Qt::SingleShotConnection);
                window.startInpaint();
            });
        } else if (o.inpaint) {
            QObject::connect(window.controller(), &ui::GenerationController::pendingResultChanged, &window, takeShot,
                             Qt::SingleShotConnection);
            QObject::connect(window.controller(), &ui::GenerationController::problem, &window, takeShot,
                             Qt::SingleShotConnection);
            window.startInpaint();
        } else {
            takeShot();
        }
    });
}

}  // namespace inpaint::editor
