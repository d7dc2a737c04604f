// inpaint-studio: the editor. Links the UI and core only (no torch in this process's
// code paths today). Usage: inpaint-studio [IMAGE] [--demo-mask] [--demo-inpaint] [--demo-select]
// [--split F] [--screenshot OUT.png] [--size WxH]. The demo flags exist for scripts/screenshot.sh
// (app/editor/demo.h runs them).
#include "app/editor/demo.h"
#include "core/jobs/engine_info.h"
#include "ui/main_window.h"
#include "ui/theme.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QTimer>
#include <algorithm>

using inpaint::ui::MainWindow;

int main(int argc, char** argv) {
    inpaint::jobs::restartForBlasCore(argv);  // before any thread: may run this program again
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
    const QCommandLineOption demoOutpaint(QStringLiteral("demo-outpaint"),
                                          QStringLiteral("Extend the canvas 200 px to the right (edge pre-fill), run the first "
                                                         "installed model on the new area for 30 steps and take the screenshot "
                                                         "after step N."),
                                          QStringLiteral("N"));
    const QCommandLineOption demoSelect(QStringLiteral("demo-select"),
                                        QStringLiteral("Select the cup of the sample photo with Select Object (GrabCut: a "
                                                       "rectangle, then object strokes), a stroke over the spoon in progress."));
    const QCommandLineOption demoCompare(QStringLiteral("demo-compare"),
                                         QStringLiteral("Paint the demo mask, run the object-removal comparison of the "
                                                        "installed models and save a picture of the compare window."));
    cli.addOptions({demoMask, demoInpaint, demoMidrun, demoOutpaint, demoSelect, demoCompare, split, screenshot, size});
    cli.process(app);

    MainWindow window;
    if (cli.isSet(size)) {
        const QStringList wh = cli.value(size).split(QLatin1Char('x'));
        if (wh.size() == 2) window.resize(wh[0].toInt(), wh[1].toInt());
    }
    window.show();

    const QStringList args = cli.positionalArguments();
    // Autosave (and the offer to restore what a crashed session left) is for real sessions, not
    // for the screenshot runs of scripts/screenshot.sh.
    const bool autosave = !cli.isSet(screenshot) && qEnvironmentVariable("INPAINT_AUTOSAVE") != QLatin1String("off");
    if (autosave) window.enableAutosave();
    // Open once the window has its size, so the image is fitted to the real canvas.
    QTimer::singleShot(0, &window, [&window, autosave, path = args.value(0)] {
        if (autosave && window.offerRestore()) return;  // the restored work, not the file named
        if (!path.isEmpty()) window.openFile(path);
    });

    inpaint::editor::DemoOptions demo;
    demo.mask = cli.isSet(demoMask);
    demo.inpaint = cli.isSet(demoInpaint);
    if (cli.isSet(demoMidrun)) demo.midrunStep = std::max(1, cli.value(demoMidrun).toInt());
    if (cli.isSet(demoOutpaint)) demo.outpaintStep = std::max(1, cli.value(demoOutpaint).toInt());
    demo.select = cli.isSet(demoSelect);
    demo.compare = cli.isSet(demoCompare);
    demo.splitAt = cli.isSet(split) ? cli.value(split).toDouble() : -1.0;
    demo.screenshotPath = cli.value(screenshot);
    inpaint::editor::startDemo(window, demo);
    return app.exec();
}
