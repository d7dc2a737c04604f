// The editor's demo drivers (see demo.h).
#include "app/editor/demo.h"

#include "core/jobs/job_handle.h"
#include "ui/compare_window.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/result_bar.h"

#include <QApplication>
#include <QCheckBox>
#include <QSlider>
#include <QTimer>
#include <algorithm>
#include <cstdio>

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

void startDemo(MainWindow& window, const DemoOptions& o) {
    const bool wantMask = o.mask || o.inpaint || o.midrunStep > 0 || o.compare;
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
        if (o.compare) {
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
        } else if (o.midrunStep > 0) {
            const int shotAt = o.midrunStep;
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
