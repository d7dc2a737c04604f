// MainWindow: the editor. It owns the Document, the JobQueue and the GenerationController,
// builds the canvas, the panels and the menus and wires them together. The roles live in their
// own classes: the file work in DocumentFiles (document_files.h), the models in ModelCatalogue
// (model_catalogue.h), the recipe of saved and opened images in RecipeOffer (recipe_offer.h),
// the step previews in FrameHistory. The file and model methods below forward to them.
#pragma once

#include "core/jobs/backend.h"
#include "core/jobs/model_library.h"
#include "ui/frame_history.h"

#include <QHash>
#include <QImage>
#include <QMainWindow>
#include <memory>
#include <optional>

class QLabel;
class QMenu;
class QUndoStack;

namespace inpaint::document {
class Document;
}
namespace inpaint::jobs {
class JobQueue;
}

namespace inpaint::ui {

class BrushOptions;
class CanvasView;
class Dialogs;
class GenerationController;
class LayerPanel;
class ProgressPanel;
class PromptPanel;
class ResultBar;
struct ModelEntry;
class ResultsStrip;
class CompareWindow;
class DocumentFiles;
class ProjectFiles;
class ModelCatalogue;
class RecipeOffer;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    // Tests pass a fake backend factory; the default runs the real backends.
    explicit MainWindow(jobs::BackendFactory factory, QWidget* parent = nullptr);
    ~MainWindow() override;

    void setDialogs(std::unique_ptr<Dialogs> dialogs);
    Dialogs* dialogs() const { return m_dialogs.get(); }

    // File work; each returns false after telling the person why (or when they cancelled).
    bool openFile(const QString& path);     // asks about unsaved changes first
    bool openImage(const QImage& image, const QString& displayName);  // e.g. a pasted image
    bool pasteFromClipboard();
    bool save();
    bool saveAs();
    bool exportImage();
    bool exportAnimation();
    // Opens the compare window with the prompt panel's settings and the installed models.
    CompareWindow* showCompare();  // the pending result's step previews as an animated WebP
    bool importMask();
    bool exportMask();
    // True when the current document may be replaced or closed (asks if needed).
    bool maybeKeepChanges();

    void startInpaint();
    // Image > Extend Canvas: asks (Dialogs::extendCanvas), extends and pre-fills the picture, puts
    // the new area's mask in a layer of its own, and sets the region to Only masked (one undo step).
    void extendCanvas();

    document::Document* document() const { return m_doc; }
    jobs::JobQueue* jobQueue() const { return m_queue; }
    GenerationController* controller() const { return m_controller; }
    CanvasView* canvas() const { return m_canvas; }
    LayerPanel* layerPanel() const { return m_layers; }
    PromptPanel* promptPanel() const { return m_prompt; }
    ProgressPanel* progressPanel() const { return m_progress; }
    ResultBar* resultBar() const { return m_resultBar; }
    ResultsStrip* resultsStrip() const { return m_strip; }
    // Projects (.ora) and autosave (ui/project_files.h). The editor's main() turns autosave on and
    // offers to restore what a crashed session left; tests do the same with their own folder.
    ProjectFiles* projects() const { return m_projects; }
    bool saveProject();
    bool saveProjectAs();
    // `dir` empty: ProjectFiles::defaultAutosaveDir(); `seconds` <= 0: $INPAINT_AUTOSAVE_SECONDS or 120.
    bool enableAutosave(const QString& dir = {}, int seconds = 0);
    bool offerRestore();
    DocumentFiles* files() const { return m_files; }
    ModelCatalogue* modelCatalogue() const { return m_models; }
    RecipeOffer* recipeOffer() const { return m_recipe; }
    // Actions by object name ("open", "save", "undo", "brush", "inpaint", ...), for tests.
    QAction* action(const QString& name) const;
    QString displayName() const;

    // Models folders: QSettings "models/folders" (default: the XDG data folder), plus the folders
    // in $INPAINT_MODELS_PATH (colon-separated). Scanning runs off the UI thread.
    QStringList modelFolders() const;
    void setModelFolders(const QStringList& folders);  // remembers them and rescans
    void rescanModels();
    const QList<jobs::ModelInfo>& models() const;
    bool addModelsFolder();  // asks for a folder

    // Engine preferences (QSettings engine/device, engine/dtype, engine/preview), copied into
    // every request: device auto|cpu|cuda, dtype auto|fp32|fp16|bf16, preview auto|approximate|full|none.
    QString enginePreference(const QString& key) const;
    void setEnginePreference(const QString& key, const QString& value);

signals:
    void modelsScanned();

protected:
    void closeEvent(QCloseEvent* e) override;
    void dragEnterEvent(QDragEnterEvent* e) override;
    void dropEvent(QDropEvent* e) override;

private:
    void buildActions();
    void buildMenus();
    void buildToolBars();
    void buildDocks();
    void buildStatusBar();
    void connectSignals();
    void onModelsScanned();
    void updateTitle();
    void updateActions();
    void onPendingResultChanged();
    QAction* makeAction(const QString& name, const QString& icon, const QString& text, const QString& tip,
                        const QKeySequence& key = {});

    document::Document* m_doc = nullptr;
    jobs::JobQueue* m_queue = nullptr;
    GenerationController* m_controller = nullptr;
    std::unique_ptr<Dialogs> m_dialogs;
    ModelCatalogue* m_models = nullptr;
    RecipeOffer* m_recipe = nullptr;
    DocumentFiles* m_files = nullptr;
    ProjectFiles* m_projects = nullptr;

    QWidget* m_centre = nullptr;
    CanvasView* m_canvas = nullptr;
    ResultBar* m_resultBar = nullptr;
    ResultsStrip* m_strip = nullptr;
    CompareWindow* m_compare = nullptr;
    LayerPanel* m_layers = nullptr;
    PromptPanel* m_prompt = nullptr;
    ProgressPanel* m_progress = nullptr;
    BrushOptions* m_brushOptions = nullptr;
    QMenu* m_recentMenu = nullptr;
    QLabel* m_sizeLabel = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QLabel* m_posLabel = nullptr;
    QLabel* m_engineLabel = nullptr;
    // The prompt panel's settings with the engine preferences (a random seed is drawn at submit).
    jobs::InpaintRequest jobSettings() const;
    void updateEngineLabel();
    // Step previews per job id, for the denoising animation: scaled to at most 768 px and held
    // within 256 MB altogether (the oldest jobs' frames go first).
    FrameHistory m_frames{qint64(256) << 20, 768};
};

}  // namespace inpaint::ui
