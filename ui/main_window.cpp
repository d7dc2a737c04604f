// MainWindow (see main_window.h).
#include "ui/main_window.h"

#include "core/document/document.h"
#include "core/imaging/image_io.h"
#include "core/jobs/job_queue.h"
#include "core/jobs/engine_info.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/recipe.h"
#include "ui/brush_options.h"
#include "ui/selection_options.h"
#include "ui/canvas_view.h"
#include "ui/dialogs.h"
#include "ui/document_files.h"
#include "ui/project_files.h"
#include "ui/model_catalogue.h"
#include "ui/recipe_offer.h"
#include "ui/generation_controller.h"
#include "ui/layer_panel.h"
#include "ui/progress_panel.h"
#include "ui/prompt_panel.h"
#include "ui/result_bar.h"
#include "ui/results_strip.h"
#include "ui/compare_window.h"
#include "core/imaging/animation.h"
#include "core/imaging/heatmap.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileInfo>
#include <QImageReader>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QRandomGenerator>
#include <algorithm>
#include <limits>
#include <QScrollArea>
#include <QSettings>
#include <QShortcut>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

namespace inpaint::ui {

MainWindow::MainWindow(QWidget* parent) : MainWindow(jobs::defaultBackendFactory(), parent) {}

MainWindow::MainWindow(jobs::BackendFactory factory, QWidget* parent)
    : QMainWindow(parent), m_dialogs(std::make_unique<Dialogs>()) {
    setObjectName(QStringLiteral("mainWindow"));
    m_doc = new document::Document(this);
    m_queue = new jobs::JobQueue(std::move(factory), this);
    m_controller = new GenerationController(m_doc, m_queue, this);

    m_centre = new QWidget(this);
    m_resultBar = new ResultBar(m_centre);
    m_resultBar->hide();
    m_canvas = new CanvasView(m_doc, m_centre);
    m_canvas->setObjectName(QStringLiteral("canvas"));
    auto* cl = new QVBoxLayout(m_centre);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->setSpacing(0);
    cl->addWidget(m_resultBar);
    cl->addWidget(m_canvas, 1);
    setCentralWidget(m_centre);

    m_layers = new LayerPanel(m_doc, m_dialogs.get(), this);
    m_prompt = new PromptPanel(this);
    m_progress = new ProgressPanel(this);
    m_strip = new ResultsStrip(this);
    m_brushOptions = new BrushOptions(this);
    m_brushOptions->setSettings(m_canvas->brushSettings());

    m_models = new ModelCatalogue(this);
    m_recipe = new RecipeOffer(m_prompt, m_models, m_dialogs.get(), this, this);
    m_files = new DocumentFiles(m_doc, m_dialogs.get(), this, [this] { return m_recipe->text(m_doc->size()); }, this);
    m_projects = new ProjectFiles(m_doc, m_strip, m_dialogs.get(), this, this);
    m_files->setProjectHooks({[this](const QString& path) { return m_projects->openProject(path); },
                              [this] { return m_projects->saveProject(/*wait=*/true); },
                              [this] { return m_projects->projectPath(); }});

    buildActions();
    buildMenus();
    buildToolBars();
    buildDocks();
    buildStatusBar();
    connectSignals();
    setAcceptDrops(true);
    resize(1360, 860);
    updateTitle();
    updateActions();
    m_models->rescan();
}

MainWindow::~MainWindow() {
    // Children would go in creation order (document, queue, controller, ..., compare window), so
    // the queue would die before the windows that hold its jobs. Tear down explicitly: first what
    // holds job handles (their destructors only raise flags), then the queue, which cancels what
    // is left and joins the worker thread, and only then the document and the widgets.
    delete m_compare;
    m_compare = nullptr;
    m_controller->cancel();
    delete m_controller;
    m_controller = nullptr;
    delete m_queue;
    m_queue = nullptr;
    // The document is a child and outlives ~MainWindow's body: its undo stack's clear() emits
    // undoTextChanged into lambdas on this (by then only a QWidget; UBSan reports the call). Nothing
    // should react to a document that is being destroyed.
    m_doc->undoStack()->disconnect();
    m_doc->disconnect();
}

void MainWindow::setDialogs(std::unique_ptr<Dialogs> dialogs) {
    m_dialogs = std::move(dialogs);
    m_layers->setDialogs(m_dialogs.get());
    m_files->setDialogs(m_dialogs.get());
    m_projects->setDialogs(m_dialogs.get());
    m_recipe->setDialogs(m_dialogs.get());
}

QAction* MainWindow::makeAction(const QString& name, const QString& icon, const QString& text, const QString& tip,
                                const QKeySequence& key) {
    auto* a = new QAction(this);
    a->setObjectName(name);
    a->setText(text);
    if (!icon.isEmpty()) a->setIcon(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)));
    if (!key.isEmpty()) a->setShortcut(key);
    a->setToolTip(key.isEmpty() ? tip : QStringLiteral("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
    a->setStatusTip(tip);
    addAction(a);  // shortcuts work wherever the focus is in the window
    return a;
}

// --- roles (file work, model catalogue, recipe) -------------------------------------------------

bool MainWindow::openFile(const QString& path) { return m_files->openFile(path); }
bool MainWindow::openImage(const QImage& image, const QString& name) { return m_files->openImage(image, name); }
bool MainWindow::pasteFromClipboard() { return m_files->pasteFromClipboard(); }
bool MainWindow::save() { return m_files->save(); }
bool MainWindow::saveAs() { return m_files->saveAs(); }
bool MainWindow::exportImage() { return m_files->exportImage(); }
bool MainWindow::saveProject() { return m_projects->saveProject(); }
bool MainWindow::saveProjectAs() { return m_projects->saveProjectAs(); }

bool MainWindow::enableAutosave(const QString& dir, int seconds) {
    if (seconds <= 0) {
        bool ok = false;
        seconds = qEnvironmentVariableIntValue("INPAINT_AUTOSAVE_SECONDS", &ok);
        if (!ok || seconds <= 0) seconds = 120;
    }
    return m_projects->enableAutosave(dir.isEmpty() ? ProjectFiles::defaultAutosaveDir() : dir, seconds);
}

bool MainWindow::offerRestore() { return m_projects->offerRestore(); }
bool MainWindow::importMask() { return m_files->importMask(); }
bool MainWindow::exportMask() { return m_files->exportMask(); }
bool MainWindow::maybeKeepChanges() { return m_files->maybeKeepChanges(); }
QString MainWindow::displayName() const { return m_files->displayName(); }

QStringList MainWindow::modelFolders() const { return m_models->folders(); }
void MainWindow::setModelFolders(const QStringList& folders) { m_models->setFolders(folders); }
void MainWindow::rescanModels() { m_models->rescan(); }
const QList<jobs::ModelInfo>& MainWindow::models() const { return m_models->models(); }

bool MainWindow::addModelsFolder() {
    const QString dir = m_dialogs->existingDirectory(this, tr("Add a Models Folder"), jobs::defaultModelsFolder());
    if (dir.isEmpty()) return false;
    m_models->addFolder(dir);
    return true;
}

void MainWindow::onModelsScanned() {
    const QList<jobs::ModelInfo>& models = m_models->models();
    const int broken = m_models->brokenCount();
    m_prompt->setModels(m_models->entries());
    m_prompt->setAddOns(m_models->addOns().loras, m_models->addOns().vaes);
    const int usable = int(models.size()) - broken;
    if (!models.isEmpty())
        statusBar()->showMessage(broken ? tr("%n model(s) ready, %1 cannot be loaded (see the model list)", "", usable).arg(broken)
                                        : tr("%n model(s) ready", "", usable),
                                 8000);
    emit modelsScanned();
}

QAction* MainWindow::action(const QString& name) const { return findChild<QAction*>(name); }

void MainWindow::buildActions() {
    // File
    connect(makeAction("open", "open", tr("&Open…"), tr("Open an image"), QKeySequence::Open),
            &QAction::triggered, m_files, &DocumentFiles::openWithDialog);
    connect(makeAction("paste", "paste", tr("&Paste Image"), tr("Open the image on the clipboard"), QKeySequence::Paste),
            &QAction::triggered, m_files, &DocumentFiles::pasteFromClipboard);
    connect(makeAction("save", "save", tr("&Save"), tr("Save the image (the first save asks where)"), QKeySequence::Save),
            &QAction::triggered, m_files, &DocumentFiles::save);
    connect(makeAction("saveAs", "save-as", tr("Save &As…"), tr("Save the image under a new name"), QKeySequence::SaveAs),
            &QAction::triggered, m_files, &DocumentFiles::saveAs);
    connect(makeAction("saveProject", "save", tr("Save &Project"),
                       tr("Save the image, the mask layers and the kept results as an OpenRaster project (.ora)"),
                       QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_S)),
            &QAction::triggered, this, &MainWindow::saveProject);
    connect(makeAction("saveProjectAs", "save-as", tr("Save Project A&s…"), tr("Save the project under a new name")),
            &QAction::triggered, this, &MainWindow::saveProjectAs);
    connect(makeAction("export", "export", tr("&Export Image…"), tr("Write a copy of the image (PNG, JPEG, WebP, TIFF, BMP)"),
                       QKeySequence(Qt::CTRL | Qt::Key_E)),
            &QAction::triggered, m_files, &DocumentFiles::exportImage);
    connect(makeAction("exportAnimation", QString(), tr("Export &Denoising Animation…"),
                       tr("Write the shown result's step previews as an animated WebP")),
            &QAction::triggered, this, &MainWindow::exportAnimation);
    connect(makeAction("compare", QString(), tr("C&ompare Models…"),
                       tr("Run the same image, mask, prompt and seed through 2 to 4 models or pipelines")),
            &QAction::triggered, this, &MainWindow::showCompare);
    connect(makeAction("quit", QString(), tr("&Quit"), tr("Close Inpaint Studio"), QKeySequence::Quit),
            &QAction::triggered, this, &QWidget::close);

    // Edit
    QAction* undo = makeAction("undo", "undo", tr("&Undo"), tr("Undo the last stroke or operation"), QKeySequence::Undo);
    QAction* redo = makeAction("redo", "redo", tr("&Redo"), tr("Redo"), QKeySequence::Redo);
    connect(undo, &QAction::triggered, this, [this] {
        m_doc->commitActiveStroke();
        m_doc->undoStack()->undo();
    });
    connect(redo, &QAction::triggered, this, [this] {
        m_doc->commitActiveStroke();
        m_doc->undoStack()->redo();
    });

    // Tools
    QAction* brush = makeAction("brush", "brush", tr("&Brush"), tr("Paint the mask"), QKeySequence(Qt::Key_B));
    QAction* eraser = makeAction("eraser", "eraser", tr("&Eraser"), tr("Erase the mask"), QKeySequence(Qt::Key_E));
    brush->setCheckable(true);
    eraser->setCheckable(true);
    brush->setChecked(true);
    auto* toolGroup = new QActionGroup(this);
    toolGroup->addAction(brush);
    toolGroup->addAction(eraser);
    connect(brush, &QAction::triggered, this, [this] { m_canvas->setToolKind(CanvasView::ToolKind::Brush); });
    connect(eraser, &QAction::triggered, this, [this] { m_canvas->setToolKind(CanvasView::ToolKind::Eraser); });
    QAction* selectRect = makeAction("selectRect", "select-rect", tr("&Select Object"),
                                     tr("Drag a rectangle around an object to select it into the mask (GrabCut); "
                                        "Shift adds, Alt or Ctrl subtracts"),
                                     QKeySequence(Qt::Key_R));
    QAction* magicWand = makeAction("magicWand", "magic-wand", tr("Magic &Wand"),
                                    tr("Click to select similar pixels into the mask; Shift adds, Alt or Ctrl subtracts"),
                                    QKeySequence(Qt::Key_W));
    for (QAction* a : {selectRect, magicWand}) {
        a->setCheckable(true);
        toolGroup->addAction(a);
    }
    connect(selectRect, &QAction::triggered, this, [this] { m_canvas->setToolKind(CanvasView::ToolKind::Select); });
    connect(magicWand, &QAction::triggered, this, [this] { m_canvas->setToolKind(CanvasView::ToolKind::Wand); });
    connect(makeAction("brushSmaller", QString(), tr("S&maller Brush"), tr("Make the brush smaller"),
                       QKeySequence(Qt::Key_BracketLeft)),
            &QAction::triggered, m_canvas, &CanvasView::shrinkBrush);
    connect(makeAction("brushBigger", QString(), tr("B&igger Brush"), tr("Make the brush bigger"),
                       QKeySequence(Qt::Key_BracketRight)),
            &QAction::triggered, m_canvas, &CanvasView::growBrush);

    // View
    QAction* zoomIn = makeAction("zoomIn", "zoom-in", tr("Zoom &In"), tr("Zoom in"), QKeySequence(Qt::CTRL | Qt::Key_Equal));
    zoomIn->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Equal), QKeySequence::ZoomIn});
    connect(zoomIn, &QAction::triggered, m_canvas, &CanvasView::zoomIn);
    connect(makeAction("zoomOut", "zoom-out", tr("Zoom &Out"), tr("Zoom out"), QKeySequence(Qt::CTRL | Qt::Key_Minus)),
            &QAction::triggered, m_canvas, &CanvasView::zoomOut);
    connect(makeAction("zoomFit", "zoom-fit", tr("&Fit to Window"), tr("Show the whole image"), QKeySequence(Qt::CTRL | Qt::Key_0)),
            &QAction::triggered, m_canvas, &CanvasView::fitToWindow);
    connect(makeAction("zoom100", "zoom-100", tr("&Actual Size (100 %)"), tr("One image pixel per screen pixel"),
                       QKeySequence(Qt::CTRL | Qt::Key_1)),
            &QAction::triggered, m_canvas, &CanvasView::actualSize);
    QAction* showMask = makeAction("showMask", "visible", tr("Show &Mask Overlay"), tr("Show the coloured mask overlay"),
                                   QKeySequence(Qt::Key_M));
    showMask->setCheckable(true);
    showMask->setChecked(true);
    connect(showMask, &QAction::toggled, m_canvas, &CanvasView::setOverlaysShown);

    // Inpaint
    connect(makeAction("inpaint", "inpaint", tr("&Inpaint"), tr("Fill the masked area"), QKeySequence(Qt::CTRL | Qt::Key_Return)),
            &QAction::triggered, this, &MainWindow::startInpaint);
    connect(makeAction("cancel", "cancel", tr("&Cancel Job"), tr("Stop the running job (Esc on the canvas)")),
            &QAction::triggered, m_controller, &GenerationController::cancel);
    connect(makeAction("apply", "apply", tr("&Apply Result"), tr("Keep the result: one undo step (Return on the canvas)")),
            &QAction::triggered, m_controller, &GenerationController::applyPending);
    connect(makeAction("discard", "discard", tr("&Discard Result"), tr("Drop the result (Esc on the canvas)")),
            &QAction::triggered, m_controller, &GenerationController::discardPending);
    QAction* split = makeAction("split", "compare", tr("&Split View"), tr("Result left of the line, original right"),
                                QKeySequence(Qt::Key_S));
    split->setCheckable(true);
    connect(split, &QAction::toggled, m_resultBar->splitCheck(), &QAbstractButton::setChecked);
    connect(m_resultBar->splitCheck(), &QAbstractButton::toggled, split, &QAction::setChecked);

    // Return and Esc act on the result / job only while the canvas area has the focus, so
    // they never fight with text fields.
    auto* apply = new QShortcut(QKeySequence(Qt::Key_Return), m_centre, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(apply, &QShortcut::activated, this, [this] {
        if (m_controller->hasPendingResult()) m_controller->applyPending();
    });
    auto* esc = new QShortcut(QKeySequence(Qt::Key_Escape), m_centre, nullptr, nullptr, Qt::WidgetWithChildrenShortcut);
    connect(esc, &QShortcut::activated, this, [this] {
        if (m_controller->isBusy()) m_controller->cancel();
        else if (m_controller->hasPendingResult()) m_controller->discardPending();
    });

    connect(makeAction("extendCanvas", QString(), tr("&Extend Canvas…"),
                       tr("Add pixels on any side for the model to paint (outpainting)"),
                       QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_C)),
            &QAction::triggered, this, &MainWindow::extendCanvas);

    connect(makeAction("about", "", tr("&About Inpaint Studio"), tr("About this program")), &QAction::triggered, this, [this] {
        m_dialogs->information(this, tr("About Inpaint Studio"),
                               tr("Inpaint Studio %1\n\nPaint a mask over what should go, press Inpaint, and apply "
                                  "the result. Classical engines (OpenCV Telea and Navier–Stokes) run without a model.")
                                   .arg(QCoreApplication::applicationVersion()));
    });
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(action("open"));
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(action("paste"));
    file->addSeparator();
    file->addAction(action("save"));
    file->addAction(action("saveAs"));
    file->addAction(action("saveProject"));
    file->addAction(action("saveProjectAs"));
    file->addAction(action("export"));
    file->addAction(action("exportAnimation"));
    file->addSeparator();
    file->addAction(m_layers->importAction());
    file->addAction(m_layers->exportAction());
    file->addSeparator();
    file->addAction(action("quit"));
    m_files->setRecentMenu(m_recentMenu);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(action("undo"));
    edit->addAction(action("redo"));
    edit->addSeparator();
    edit->addAction(m_layers->clearAction());
    edit->addAction(m_layers->fillAction());
    edit->addAction(m_layers->invertAction());

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(action("zoomIn"));
    view->addAction(action("zoomOut"));
    view->addAction(action("zoomFit"));
    view->addAction(action("zoom100"));
    view->addSeparator();
    view->addAction(action("showMask"));
    view->addAction(action("split"));

    QMenu* imageMenu = menuBar()->addMenu(tr("&Image"));
    imageMenu->addAction(action("extendCanvas"));

    QMenu* layer = menuBar()->addMenu(tr("&Layer"));
    for (QAction* a : {m_layers->addAction(), m_layers->deleteAction(), m_layers->renameAction(),
                       m_layers->moveUpAction(), m_layers->moveDownAction(), m_layers->colorAction(),
                       m_layers->toggleVisibleAction()})
        layer->addAction(a);
    layer->addSeparator();
    layer->addAction(m_layers->clearAction());
    layer->addAction(m_layers->fillAction());
    layer->addAction(m_layers->invertAction());
    layer->addSeparator();
    layer->addAction(m_layers->importAction());
    layer->addAction(m_layers->exportAction());

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    tools->addAction(action("brush"));
    tools->addAction(action("eraser"));
    tools->addAction(action("selectRect"));
    tools->addAction(action("magicWand"));
    tools->addSeparator();
    tools->addAction(action("brushSmaller"));
    tools->addAction(action("brushBigger"));

    QMenu* models = menuBar()->addMenu(tr("&Models"));
    models->addAction(tr("&Add Models Folder…"), this, &MainWindow::addModelsFolder);
    models->addAction(tr("&Rescan Models"), m_models, &ModelCatalogue::rescan);
    models->addSeparator();
    struct Choice {
        QString key, title;
        QList<QPair<QString, QString>> values;
    };
    const QList<Choice> choices = {
        {QStringLiteral("device"), tr("&Device"),
         {{tr("Auto (CUDA when present)"), QStringLiteral("auto")}, {tr("CPU"), QStringLiteral("cpu")}, {tr("CUDA"), QStringLiteral("cuda")}}},
        {QStringLiteral("dtype"), tr("&Precision"),
         {{tr("Auto (fp16 on CUDA; bf16 on CPUs where it measures faster, else fp32)"), QStringLiteral("auto")}, {QStringLiteral("fp32"), QStringLiteral("fp32")},
          {QStringLiteral("fp16"), QStringLiteral("fp16")}, {QStringLiteral("bf16"), QStringLiteral("bf16")}}},
        {QStringLiteral("preview"), tr("Step &Previews"),
         {{tr("Auto (the tiny VAE when one is in the models folders, at half size on the CPU; else CUDA: full, "
              "CPU: approximate)"),
           QStringLiteral("auto")},
          {tr("Approximate (nearly free)"), QStringLiteral("approximate")},
          {tr("Tiny VAE (TAESD from the models folders)"), QStringLiteral("tiny")},
          {tr("Tiny VAE at half size (a quarter of its cost)"), QStringLiteral("tiny-half")},
          {tr("Full (VAE decode)"), QStringLiteral("full")}, {tr("Off"), QStringLiteral("none")}}},
        {QStringLiteral("vaeTiling"), tr("VAE &Tiling"),
         {{tr("Auto (images over 1024×1024 px)"), QStringLiteral("auto")},
          {tr("On (images over one tile)"), QStringLiteral("on")}, {tr("Off"), QStringLiteral("off")}}},
    };
    for (const Choice& c : choices) {
        QMenu* sub = models->addMenu(c.title);
        auto* group = new QActionGroup(sub);
        const QString current = enginePreference(c.key);
        for (const auto& [label, value] : c.values) {
            QAction* a = sub->addAction(label);
            a->setCheckable(true);
            a->setChecked(value == current);
            a->setObjectName(QStringLiteral("engine-%1-%2").arg(c.key, value));
            group->addAction(a);
            connect(a, &QAction::triggered, this, [this, key = c.key, value = value] { setEnginePreference(key, value); });
        }
    }

    QMenu* inpaint = menuBar()->addMenu(tr("&Inpaint"));
    inpaint->addAction(action("inpaint"));
    inpaint->addAction(action("compare"));
    inpaint->addAction(action("cancel"));
    inpaint->addSeparator();
    inpaint->addAction(action("apply"));
    inpaint->addAction(action("discard"));
    inpaint->addAction(action("split"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action("about"));
}

void MainWindow::buildToolBars() {
    QToolBar* main = addToolBar(tr("Main"));
    main->setObjectName(QStringLiteral("mainToolBar"));
    main->setIconSize(QSize(20, 20));
    main->setMovable(false);
    for (const char* n : std::initializer_list<const char*>{"open", "save", nullptr, "undo", "redo", nullptr, "brush", "eraser",
                                                                    "selectRect", "magicWand"}) {
        if (n) main->addAction(action(QString::fromLatin1(n)));
        else main->addSeparator();
    }
    QAction* brushOptions = main->addWidget(m_brushOptions);
    // The selection tools' options take the brush options' place while one of them is active.
    auto* selectionOptions = new SelectionOptions(main);
    selectionOptions->setSettings(m_canvas->selectionSettings());
    QAction* selectionOptionsAction = main->addWidget(selectionOptions);
    selectionOptionsAction->setVisible(false);
    connect(selectionOptions, &SelectionOptions::settingsChanged, m_canvas, &CanvasView::setSelectionSettings);
    connect(selectionOptions, &SelectionOptions::dragKindChanged, m_canvas, &CanvasView::setGrabCutDragKind);
    connect(m_canvas, &CanvasView::toolChanged, this, [brushOptions, selectionOptionsAction, selectionOptions](CanvasView::ToolKind k) {
        const bool selecting = k == CanvasView::ToolKind::Select || k == CanvasView::ToolKind::Wand;
        brushOptions->setVisible(!selecting);
        selectionOptionsAction->setVisible(selecting);
        selectionOptions->showGrabCut(k == CanvasView::ToolKind::Select);
    });
    main->addSeparator();
    for (const char* n : {"zoomOut", "zoomIn", "zoomFit", "zoom100"}) main->addAction(action(QString::fromLatin1(n)));
    auto* spacer = new QWidget(main);
    spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    main->addWidget(spacer);
    main->addAction(action("inpaint"));
    // The icons are SVG: without Qt's SVG plugin (Debian: libqt6svg6) show the words instead.
    const bool svg = QImageReader::supportedImageFormats().contains("svg");
    main->setToolButtonStyle(svg ? Qt::ToolButtonIconOnly : Qt::ToolButtonTextOnly);
}

void MainWindow::buildDocks() {
    setDockOptions(QMainWindow::AnimatedDocks);
    auto* layersDock = new QDockWidget(tr("Mask Layers"), this);
    layersDock->setObjectName(QStringLiteral("layersDock"));
    layersDock->setWidget(m_layers);
    layersDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, layersDock);

    // Settings scroll when the window is short; the Inpaint button and the progress stay visible.
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_prompt);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(m_prompt->sizeHint().width() + 16);
    auto* inpaintPage = new QWidget(this);
    auto* il = new QVBoxLayout(inpaintPage);
    il->setContentsMargins(0, 0, 0, 0);
    il->setSpacing(4);
    il->addWidget(scroll, 1);
    auto* buttonRow = new QHBoxLayout;
    buttonRow->setContentsMargins(6, 0, 6, 0);
    buttonRow->addWidget(m_prompt->inpaintButton());  // moves it out of the scrolled panel
    il->addLayout(buttonRow);
    il->addWidget(m_progress);
    auto* inpaintDock = new QDockWidget(tr("Inpaint"), this);
    inpaintDock->setObjectName(QStringLiteral("inpaintDock"));
    inpaintDock->setWidget(inpaintPage);
    inpaintDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    addDockWidget(Qt::RightDockWidgetArea, inpaintDock);
    resizeDocks({layersDock, inpaintDock}, {150, 700}, Qt::Vertical);

    auto* resultsDock = new QDockWidget(tr("Results"), this);
    resultsDock->setObjectName(QStringLiteral("resultsDock"));
    resultsDock->setWidget(m_strip);
    resultsDock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                             QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::BottomDockWidgetArea, resultsDock);
}

void MainWindow::buildStatusBar() {
    m_sizeLabel = new QLabel(this);
    m_zoomLabel = new QLabel(this);
    m_posLabel = new QLabel(this);
    m_zoomLabel->setMinimumWidth(m_zoomLabel->fontMetrics().horizontalAdvance(QStringLiteral("Zoom 6400 %")));
    m_posLabel->setMinimumWidth(m_posLabel->fontMetrics().horizontalAdvance(QStringLiteral("x 20000, y 20000")));
    m_sizeLabel->setToolTip(tr("Image size and pixel format"));
    m_zoomLabel->setToolTip(tr("Zoom (wheel, Ctrl+= / Ctrl+-, Ctrl+0 fit, Ctrl+1 100 %)"));
    m_posLabel->setToolTip(tr("Pointer position in image pixels"));
    statusBar()->addPermanentWidget(m_sizeLabel);
    statusBar()->addPermanentWidget(m_zoomLabel);
    statusBar()->addPermanentWidget(m_posLabel);
    m_engineLabel = new QLabel(this);
    m_engineLabel->setObjectName(QStringLiteral("engineLabel"));
    m_engineLabel->setToolTip(tr("Where the diffusion engine runs (Models ▸ Device / Precision)"));
    statusBar()->addPermanentWidget(m_engineLabel);
    connect(m_queue, &jobs::JobQueue::engineDescribed, m_engineLabel,
            [this](jobs::Device device, jobs::Precision dtype, const QString& text) {
                const jobs::InpaintRequest now = jobSettings();
                if (device == now.device && dtype == now.dtype) m_engineLabel->setText(text);  // not a stale answer
            });
    updateEngineLabel();
}

QString MainWindow::enginePreference(const QString& key) const {
    return QSettings().value(QStringLiteral("engine/") + key, QStringLiteral("auto")).toString();
}

void MainWindow::setEnginePreference(const QString& key, const QString& value) {
    QSettings().setValue(QStringLiteral("engine/") + key, value);
    updateEngineLabel();
}

void MainWindow::updateEngineLabel() {
    // The worker answers (engineDescribed): probing CUDA is a torch call, never made on this thread.
    const jobs::InpaintRequest r = jobSettings();
    m_queue->probeEngine(r.device, r.dtype);
}

void MainWindow::connectSignals() {
    // Roles -> window.
    auto showStatus = [this](const QString& t, int ms) { statusBar()->showMessage(t, ms); };
    connect(m_files, &DocumentFiles::statusMessage, this, showStatus);
    connect(m_recipe, &RecipeOffer::statusMessage, this, showStatus);
    connect(m_files, &DocumentFiles::aboutToReplace, m_recipe, &RecipeOffer::clear);
    connect(m_files, &DocumentFiles::fileOpened, m_recipe, [this](const QImage& image, const QString& fileName) {
        m_recipe->offer(image.text(QStringLiteral("parameters")), fileName);
    });
    connect(m_files, &DocumentFiles::saveTargetChanged, this, &MainWindow::updateTitle);
    connect(m_models, &ModelCatalogue::scanned, this, &MainWindow::onModelsScanned);

    // Document state -> window.
    auto showSize = [this] {
        if (m_doc->isNull()) m_sizeLabel->clear();
        else
            m_sizeLabel->setText(tr("%1 × %2 · %3")
                                     .arg(m_doc->size().width())
                                     .arg(m_doc->size().height())
                                     .arg(imaging::documentFormatName(m_doc->image().format())));
        m_zoomLabel->setText(m_doc->isNull() ? QString() : tr("Zoom %1 %").arg(m_canvas->zoom() * 100.0, 0, 'f', 0));
        updateTitle();
        updateActions();
    };
    connect(m_doc, &document::Document::documentReset, this, showSize);
    connect(m_doc, &document::Document::canvasResized, this, showSize);
    connect(m_doc, &document::Document::imageModifiedChanged, this, &MainWindow::updateTitle);
    connect(m_doc, &document::Document::layersChanged, this, &MainWindow::updateActions);
    QUndoStack* stack = m_doc->undoStack();
    connect(stack, &QUndoStack::canUndoChanged, action("undo"), &QAction::setEnabled);
    connect(stack, &QUndoStack::canRedoChanged, action("redo"), &QAction::setEnabled);
    connect(stack, &QUndoStack::undoTextChanged, this, [this](const QString& t) {
        action("undo")->setText(t.isEmpty() ? tr("&Undo") : tr("&Undo %1").arg(t));
    });
    connect(stack, &QUndoStack::redoTextChanged, this, [this](const QString& t) {
        action("redo")->setText(t.isEmpty() ? tr("&Redo") : tr("&Redo %1").arg(t));
    });

    // Canvas -> status bar and tool actions.
    connect(m_canvas, &CanvasView::zoomChanged, this, [this](qreal z) {
        m_zoomLabel->setText(tr("Zoom %1 %").arg(z * 100.0, 0, 'f', z < 0.1 ? 1 : 0));
    });
    connect(m_canvas, &CanvasView::cursorImagePosChanged, this, [this](const QPoint& p, bool inside) {
        m_posLabel->setText(inside ? tr("x %1, y %2").arg(p.x()).arg(p.y()) : QString());
    });
    connect(m_canvas, &CanvasView::statusMessage, this, [this](const QString& t) { statusBar()->showMessage(t, 6000); });
    connect(m_canvas, &CanvasView::toolChanged, this, [this](CanvasView::ToolKind k) {
        const char* names[] = {"brush", "eraser", "selectRect", "magicWand"};
        action(QString::fromLatin1(names[int(k)]))->setChecked(true);
    });
    connect(m_canvas, &CanvasView::brushSettingsChanged, m_brushOptions, &BrushOptions::setSettings);
    connect(m_brushOptions, &BrushOptions::settingsChanged, m_canvas, &CanvasView::setBrushSettings);

    // Layers panel file work.
    connect(m_layers, &LayerPanel::importMaskRequested, m_files, &DocumentFiles::importMask);
    connect(m_layers, &LayerPanel::exportMaskRequested, m_files, &DocumentFiles::exportMask);

    // Jobs.
    connect(m_prompt, &PromptPanel::inpaintRequested, this, &MainWindow::startInpaint);
    connect(m_progress, &ProgressPanel::cancelRequested, m_controller, &GenerationController::cancel);
    connect(m_controller, &GenerationController::jobStarted, this,
            [this](jobs::JobHandle* job, const jobs::InpaintRequest& settings) {
                const quint64 id = job->id();
                m_progress->jobQueued(id, settings);
                m_prompt->showSeedUsed(settings.seed);
                connect(job, &jobs::JobHandle::started, m_progress, [this, id] { m_progress->jobRunning(id); });
                connect(job, &jobs::JobHandle::status, m_progress, [this, id](const QString& t) { m_progress->status(id, t); });
                connect(job, &jobs::JobHandle::progress, this, [this, id](int step, int total, const QImage& preview) {
                    m_progress->stepDone(id, step, total);
                    // Kept (scaled down) for the denoising animation of this job's result.
                    m_frames.add(id, step, preview);
                    // A step preview of the whole image goes straight to the canvas.
                    if (!preview.isNull() && preview.size() == m_doc->size() && !m_controller->hasPendingResult())
                        m_canvas->setPreviewImage(preview, true);
                });
            });
    connect(m_controller, &GenerationController::jobFinished, m_progress, &ProgressPanel::jobFinished);
    connect(m_controller, &GenerationController::jobFinished, this, [this](const jobs::InpaintResult& r) {
        if (!r.ok() && !m_controller->hasPendingResult()) m_canvas->setPreviewImage({});  // drop step previews
    });
    connect(m_controller, &GenerationController::busyChanged, this, &MainWindow::updateActions);
    // Results strip.
    connect(m_controller, &GenerationController::resultReady, m_strip, &ResultsStrip::addResult);
    connect(m_controller, &GenerationController::resultReady, m_projects, &ProjectFiles::resultKept);
    connect(m_controller, &GenerationController::applied, m_projects, &ProjectFiles::autosaveNow);
    connect(m_projects, &ProjectFiles::projectPathChanged, this, &MainWindow::updateTitle);
    connect(m_projects, &ProjectFiles::statusMessage, this, [this](const QString& text, int ms) {
        if (text.isEmpty()) statusBar()->clearMessage();
        else statusBar()->showMessage(text, ms);
    });
    connect(m_doc, &document::Document::documentReset, m_strip, &ResultsStrip::clear);
    connect(m_doc, &document::Document::documentReset, this, [this] { m_frames.clear(); });
    connect(m_controller, &GenerationController::jobFinished, this, [this](const jobs::InpaintResult& r) {
        if (!r.ok()) m_frames.remove(r.jobId);  // frames of cancelled or failed jobs go
    });
    connect(m_strip, &ResultsStrip::selected, this, [this](const PendingResult& r) {
        if (r.docSerial == m_doc->serial()) m_controller->setPending(r);
    });
    connect(m_strip, &ResultsStrip::applyRequested, this, [this](const PendingResult& r) {
        m_controller->setPending(r);
        m_controller->applyPending();
    });
    connect(m_strip, &ResultsStrip::removed, this, [this](const PendingResult& r) {
        if (const PendingResult* p = m_controller->pendingResult(); p && p->result.jobId == r.result.jobId)
            m_controller->discardPending();
        m_frames.remove(r.result.jobId);
    });
    connect(m_strip, &ResultsStrip::rerunRequested, this, [this](jobs::InpaintRequest s, bool newSeed) {
        s.randomSeed = newSeed;  // drawn when the job is submitted
        m_prompt->setSettings(s);
        startInpaint();
    });
    connect(m_strip, &ResultsStrip::loadSettingsRequested, m_prompt, &PromptPanel::setSettings);
    connect(m_strip, &ResultsStrip::heatmapToggled, this, &MainWindow::onPendingResultChanged);
    connect(m_controller, &GenerationController::applied, this,
            [this](const jobs::InpaintRequest& settings) { m_recipe->setRecipe(settings); });
    connect(m_controller, &GenerationController::pendingResultChanged, this, &MainWindow::onPendingResultChanged);
    connect(m_controller, &GenerationController::message, this, [this](const QString& t) { statusBar()->showMessage(t, 8000); });
    connect(m_controller, &GenerationController::problem, this, [this](const QString& t) {
        statusBar()->showMessage(t, 8000);
        m_dialogs->information(this, tr("Inpaint"), t);
    });

    // Result bar.
    connect(m_resultBar, &ResultBar::applyRequested, m_controller, &GenerationController::applyPending);
    connect(m_resultBar, &ResultBar::discardRequested, m_controller, &GenerationController::discardPending);
    connect(m_resultBar, &ResultBar::splitToggled, m_canvas, &CanvasView::setSplitEnabled);
    connect(m_resultBar, &ResultBar::splitPositionChanged, m_canvas, &CanvasView::setSplitPosition);
}

void MainWindow::onPendingResultChanged() {
    if (const PendingResult* p = m_controller->pendingResult()) {
        imaging::ChangeStats stats;
        const QImage heat = m_strip->heatmapShown() ? imaging::changeHeatmap(m_doc->image(), p->result.image, &stats) : QImage();
        m_canvas->setPreviewImage(heat.isNull() ? p->result.image : heat);
        if (!heat.isNull())
            statusBar()->showMessage(tr("%L1 pixels changed, by up to %2 levels").arg(stats.changedPixels).arg(stats.maxDifference),
                                     6000);
        m_resultBar->setSummary(tr("Result ready · %1 · %2 s")
                                    .arg(jobs::pipelineName(p->settings.pipeline))
                                    .arg(p->result.seconds, 0, 'f', 2));
        m_resultBar->show();
        m_canvas->setFocus();
    } else {
        m_canvas->setPreviewImage({});
        m_resultBar->hide();
    }
    updateActions();
}

void MainWindow::updateActions() {
    const bool open = !m_doc->isNull();
    const bool pending = m_controller->hasPendingResult();
    for (const char* n : {"save", "saveAs", "export", "zoomIn", "zoomOut", "zoomFit", "zoom100", "inpaint", "extendCanvas"})
        action(QString::fromLatin1(n))->setEnabled(open);
    action("undo")->setEnabled(m_doc->undoStack()->canUndo());
    action("redo")->setEnabled(m_doc->undoStack()->canRedo());
    action("cancel")->setEnabled(m_controller->isBusy());
    action("apply")->setEnabled(pending);
    action("discard")->setEnabled(pending);
    action("split")->setEnabled(pending);
    const PendingResult* p = m_controller->pendingResult();
    action("exportAnimation")->setEnabled(p && m_frames.count(p->result.jobId) > 0);
    m_prompt->inpaintButton()->setEnabled(open);
}

void MainWindow::updateTitle() {
    if (m_doc->isNull()) {
        setWindowTitle(tr("Inpaint Studio"));
        setWindowModified(false);
        return;
    }
    setWindowTitle(tr("%1[*] — Inpaint Studio").arg(displayName()));
    setWindowModified(m_doc->isImageModified());
}

void MainWindow::extendCanvas() {
    if (m_doc->isNull()) return;
    const auto choice = m_dialogs->extendCanvas(this, m_doc->size());
    if (!choice) return;
    QString error;
    const auto extended = imaging::extendCanvas(m_doc->image(), choice->extension, choice->prefill, choice->overlap, &error,
                                                m_prompt->seed());
    if (!extended) {
        m_dialogs->error(this, tr("Extend Canvas"), error);
        return;
    }
    const QSize was = m_doc->size();
    if (!m_doc->resizeCanvas(extended->image, extended->oldRect.topLeft(), extended->mask, tr("Outpaint"),
                             tr("Extend Canvas"))) {
        m_dialogs->error(this, tr("Extend Canvas"), tr("The canvas could not be extended (out of memory)."));
        return;
    }
    m_prompt->setRegion(jobs::RegionMode::Masked);
    statusBar()->showMessage(tr("Canvas %1 × %2 → %3 × %4 px. The new area is masked in the layer \"Outpaint\" (the "
                                "other layers are hidden); press Inpaint.")
                                 .arg(was.width())
                                 .arg(was.height())
                                 .arg(m_doc->size().width())
                                 .arg(m_doc->size().height()),
                             10000);
}

// --- files -------------------------------------------------------------------------------

CompareWindow* MainWindow::showCompare() {
    if (!m_compare) {
        m_compare = new CompareWindow(m_doc, m_queue, m_dialogs.get(), this);
        connect(m_compare, &CompareWindow::useResult, this,
                [this](const jobs::InpaintResult& result, const jobs::InpaintRequest& settings) {
                    if (m_compare->runSerial() != m_doc->serial() || result.image.size() != m_doc->size()) {
                        m_dialogs->information(this, tr("Compare"), tr("That result was made for another image."));
                        return;
                    }
                    const PendingResult p{result, settings, m_doc->rect(), m_compare->runSerial(), m_compare->runImageState()};
                    m_strip->addResult(p);
                    m_projects->resultKept();
                    m_controller->setPending(p);
                });
    }
    m_compare->setModels(m_models->entries());
    m_compare->setSharedSettings(jobSettings());
    m_compare->show();
    m_compare->raise();
    return m_compare;
}

bool MainWindow::exportAnimation() {
    const PendingResult* p = m_controller->pendingResult();
    if (!p || m_frames.count(p->result.jobId) == 0) return false;
    // The last step's preview is the final image itself, so the animation ends on the result.
    const QList<QImage> frames = m_frames.frames(p->result.jobId);
    const QString path = m_dialogs->saveImageFile(this, tr("Export Denoising Animation"),
                                                  m_files->suggestedSavePath(QStringLiteral("-steps.webp")));
    if (path.isEmpty()) return false;
    QString error;
    if (!imaging::saveAnimatedWebp(frames, path, &error)) {
        m_dialogs->error(this, tr("Could not export the animation"), error);
        return false;
    }
    statusBar()->showMessage(tr("Wrote %1 frames to %2").arg(frames.size()).arg(QDir::toNativeSeparators(path)), 6000);
    return true;
}

// --- jobs -----------------------------------------------------------------------------------

void MainWindow::startInpaint() {
    if (m_doc->isNull()) return;
    if (m_controller->hasPendingResult()) m_controller->discardPending();  // a new run replaces it
    // Fire and forget: the coroutine owns its progress and reports through signals.
    m_controller->generate(jobSettings());
}

jobs::InpaintRequest MainWindow::jobSettings() const {
    jobs::InpaintRequest r = m_prompt->settings();
    // <lora:NAME> tags and embedding triggers are looked up in the models folders' loras/ and
    // embeddings/ (and beside the model).
    r.loraDirs = m_models->addOns().loraFolders;
    // A TAESD in the models folders decodes the step previews (the SDXL one, taesdxl, is not for
    // SD 1.x / 2.x models).
    for (const QString& tiny : m_models->addOns().tinyVaes)
        if (r.tinyVaePath.isEmpty() && !QFileInfo(tiny).fileName().contains(QLatin1String("xl"), Qt::CaseInsensitive))
            r.tinyVaePath = tiny;
    r.embeddingDirs = m_models->addOns().embeddingFolders;
    r.device = jobs::parse<jobs::Device>(enginePreference(QStringLiteral("device"))).value_or(jobs::Device::Auto);
    r.dtype = jobs::parse<jobs::Precision>(enginePreference(QStringLiteral("dtype"))).value_or(jobs::Precision::Auto);
    r.previewMode = jobs::parse<jobs::PreviewMode>(enginePreference(QStringLiteral("preview"))).value_or(jobs::PreviewMode::Auto);
    r.vaeTiling = jobs::parse<jobs::VaeTiling>(enginePreference(QStringLiteral("vaeTiling"))).value_or(jobs::VaeTiling::Auto);
    return r;
}

// --- window events -----------------------------------------------------------------------------

void MainWindow::closeEvent(QCloseEvent* e) {
    if (!m_files->maybeKeepChanges()) {
        e->ignore();
        return;
    }
    m_controller->cancel();
    m_projects->discardAutosave();  // a clean exit: nothing to restore next time
    e->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
    if (DocumentFiles::canOpen(e->mimeData())) e->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* e) {
    if (m_files->dropLater(e->mimeData())) e->acceptProposedAction();
}

}  // namespace inpaint::ui
