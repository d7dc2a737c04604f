// inpaint-studio: the editor. Links the UI and core only (no torch in this process's
// code paths today). Usage: inpaint-studio [IMAGE] [--demo-mask] [--demo-inpaint]
// [--split F] [--screenshot OUT.png] [--size WxH]. The demo flags exist for scripts/screenshot.sh.
#include "core/document/document.h"
#include "ui/canvas_view.h"
#include "ui/generation_controller.h"
#include "core/jobs/job_queue.h"
#include "ui/compare_window.h"
#include "core/jobs/job_handle.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/result_bar.h"
#include "ui/theme.h"

#include <QApplication>
#include <QCheckBox>
#include <QSlider>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>
#include <cstdio>

using inpaint::ui::MainWindow;

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("inpaint-studio"));
    QApplication::setOrganizationName(QStringLiteral("InpaintStudio"));
    QApplication::setApplicationDisplayName(QStringLiteral("Inpaint Studio"));
    QApplication::setApplicationVersion(QStringLiteral(INPAINT_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    inpaint::ui::applyDarkTheme(app);

    QCommandLineParser cli;
    cli.setApplicationDescription(QStringLiteral("Paint a mask over part of a photo and fill it in."));
    cli.addHelpOption();
    cli.addVersionOption();
    cli.addPositionalArgument(QStringLiteral("image"), QStringLiteral("An image to open."), QStringLiteral("[image]"));
    const QCommandLineOption demoMask(QStringLiteral("demo-mask"), QStringLiteral("Paint a demo mask (the spoon of the sample photo)."));
    const QCommandLineOption demoInpaint(QStringLiteral("demo-inpaint"),
                                         QStringLiteral("Paint the demo mask and run the classical engine on it."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Save a picture of the window to FILE and quit."), QStringLiteral("FILE"));
    const QCommandLineOption split(QStringLiteral("split"),
                                   QStringLiteral("With --demo-inpaint: show the result in split view, line at F (0..1)."),
                                   QStringLiteral("F"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size, e.g. 1360x860."), QStringLiteral("WxH"));
    const QCommandLineOption demoMidrun(QStringLiteral("demo-midrun"),
                                        QStringLiteral("Paint the demo mask, run the first installed model for 30 steps "
                                                       "and take the screenshot after step N (a job mid-run)."),
                                        QStringLiteral("N"));
    const QCommandLineOption demoCompare(QStringLiteral("demo-compare"),
                                         QStringLiteral("Paint the demo mask, run the object-removal comparison of the "
                                                        "installed models and save a picture of the compare window."));
    cli.addOptions({demoMask, demoInpaint, demoMidrun, demoCompare, split, screenshot, size});
    cli.process(app);

    MainWindow window;
    if (cli.isSet(size)) {
        const QStringList wh = cli.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    }
    window.show();

    const QStringList args = cli.positionalArguments();
    if (!args.isEmpty()) {
        // Open once the window has its size, so the image is fitted to the real canvas.
        QTimer::singleShot(0, &window, [&window, path = args.first()] { window.openFile(path); });
    }

    const bool wantMask = cli.isSet(demoMask) || cli.isSet(demoInpaint) || cli.isSet(demoMidrun) || cli.isSet(demoCompare);
    const QString shotPath = cli.value(screenshot);
    const double splitAt = cli.isSet(split) ? cli.value(split).toDouble() : -1.0;
    auto takeShot = [&window, shotPath, splitAt] {
        if (splitAt >= 0.0 && window.controller()->hasPendingResult()) {
            window.resultBar()->splitCheck()->setChecked(true);
            window.resultBar()->splitSlider()->setValue(int(splitAt * 1000));
        }
        if (shotPath.isEmpty()) return;
        // Let pending repaints and layout settle, then render the window ourselves: this works
        // the same under xvfb, a real display or the offscreen platform.
        QTimer::singleShot(400, &window, [&window, shotPath] {
            const bool ok = window.grab().save(shotPath);
            std::fprintf(ok ? stdout : stderr, ok ? "screenshot: %s\n" : "screenshot: could not write %s\n",
                         qPrintable(shotPath));
            QApplication::exit(ok ? 0 : 1);
        });
    };

    QTimer::singleShot(50, &window, [&] {
        if (wantMask) window.paintDemoMask();
        if (cli.isSet(demoCompare)) {
            auto run = [&window, shotPath] {
                inpaint::jobs::InpaintRequest r = window.promptPanel()->settings();
                r.steps = 12;
                r.region = inpaint::jobs::RegionMode::Masked;
                window.promptPanel()->setSettings(r);
                inpaint::ui::CompareWindow* c = window.showCompare();
                c->applyObjectRemovalPreset();
                QObject::connect(c, &inpaint::ui::CompareWindow::finished, c, [c, shotPath] {
                    c->stepSlider()->setValue(c->stepSlider()->maximum() / 2);
                    QTimer::singleShot(400, c, [c, shotPath] {
                        const bool ok = c->grab().save(shotPath);
                        std::fprintf(ok ? stdout : stderr, ok ? "screenshot: %s\n" : "screenshot: could not write %s\n",
                                     qPrintable(shotPath));
                        QApplication::exit(ok ? 0 : 1);
                    });
                });
                c->run();
            };
            if (window.models().isEmpty())
                QObject::connect(&window, &MainWindow::modelsScanned, &window, run, Qt::SingleShotConnection);
            else
                run();
        } else if (cli.isSet(demoMidrun)) {
            const int shotAt = std::max(1, cli.value(demoMidrun).toInt());
            auto run = [&window, shotAt, takeShot] {
                inpaint::jobs::InpaintRequest r = window.promptPanel()->settings();
                r.steps = 30;
                r.scheduler = QStringLiteral("euler-a");
                r.prompt = QStringLiteral("a wooden table top");
                r.region = inpaint::jobs::RegionMode::Masked;  // the model's own size around the mask
                window.promptPanel()->setSettings(r);
                QObject::connect(window.controller(), &inpaint::ui::GenerationController::jobStarted, &window,
                                 [takeShot, shotAt](inpaint::jobs::JobHandle* job, const inpaint::jobs::InpaintRequest&) {
                                     QObject::connect(job, &inpaint::jobs::JobHandle::progress, job,
                                                      [takeShot, shotAt](int step, int, const QImage&) {
                                                          if (step == shotAt) takeShot();
                                                      });
                                 });
                QObject::connect(window.controller(), &inpaint::ui::GenerationController::problem, &window, takeShot,
                                 Qt::SingleShotConnection);
                window.startInpaint();
            };
            if (window.models().isEmpty())
                QObject::connect(&window, &MainWindow::modelsScanned, &window, run, Qt::SingleShotConnection);
            else
                run();
        } else if (cli.isSet(demoInpaint)) {
            QObject::connect(window.controller(), &inpaint::ui::GenerationController::pendingResultChanged, &window,
                             takeShot, Qt::SingleShotConnection);
            QObject::connect(window.controller(), &inpaint::ui::GenerationController::problem, &window, takeShot,
                             Qt::SingleShotConnection);
            window.startInpaint();
        } else {
            takeShot();
        }
    });
    return app.exec();
}
