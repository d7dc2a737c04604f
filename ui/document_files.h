// DocumentFiles: the editor's file work on its Document — open (file, pasted or dropped image),
// save, save as, export, import/export mask, the recent-files menu, the last folder, the suggested
// paths and the "keep changes?" prompt. Questions go through Dialogs (parented to the window);
// status lines go out through statusMessage().
//
// Saving never overwrites the source silently: the first Save of an opened file goes to Save As
// (suggesting "<name>-inpainted.png" next to it); only a file the person chose in Save As becomes
// the target of later Saves. Export writes a copy and leaves the target and the unsaved state alone.
#pragma once

#include <QImage>
#include <QObject>
#include <QString>
#include <functional>

class QMenu;
class QMimeData;
class QWidget;

namespace inpaint::document {
class Document;
}

namespace inpaint::ui {

class Dialogs;

class DocumentFiles : public QObject {
    Q_OBJECT
public:
    // The recipe text (A1111 "parameters") written into saved images; empty for none.
    using RecipeProvider = std::function<QString()>;
    DocumentFiles(document::Document* doc, Dialogs* dialogs, QWidget* window, RecipeProvider recipe,
                  QObject* parent = nullptr);

    void setDialogs(Dialogs* dialogs) { m_dialogs = dialogs; }

    // Projects (.ora, ProjectFiles): opening a .ora by any route calls `open`; while `path` gives a
    // project file, Save and the "keep changes?" question save the project with `save` (which
    // returns when it is on disk).
    struct ProjectHooks {
        std::function<bool(const QString&)> open;
        std::function<bool()> save;
        std::function<QString()> path;
    };
    void setProjectHooks(ProjectHooks hooks) { m_project = std::move(hooks); }

    // Each returns false after telling the person why (or when they cancelled).
    bool openFile(const QString& path);  // asks about unsaved changes first
    bool openImage(const QImage& image, const QString& displayName);  // e.g. a pasted image
    bool openWithDialog();  // asks about unsaved changes, then for a file
    bool pasteFromClipboard();
    bool save();
    bool saveAs();
    bool exportImage();
    bool importMask();
    bool exportMask();
    // True when the current document may be replaced or closed (asks if needed).
    bool maybeKeepChanges();

    QString displayName() const;
    // "<folder of the source>/<base name><suffix>" (or the last folder and "pasted").
    QString suggestedSavePath(const QString& suffix) const;
    QString lastDir() const;
    void rememberDir(const QString& path);

    // The menu that lists the recent files (rebuilt whenever the list changes).
    void setRecentMenu(QMenu* menu);

    // Drag and drop: whether the data holds something to open, and opening it after the drop returns.
    static bool canOpen(const QMimeData* mime);
    bool dropLater(const QMimeData* mime);

signals:
    void statusMessage(const QString& text, int timeoutMs);
    void aboutToReplace();  // a new image replaces the document (the old recipe no longer applies)
    // A file was opened; `image` carries the file's text chunks (e.g. the recipe).
    void fileOpened(const QImage& image, const QString& fileName);
    void saveTargetChanged();  // the document's save path changed (window title)

private:
    bool writeImage(const QString& path, bool becomesSaveTarget);
    void addRecentFile(const QString& path);
    void rebuildRecentMenu();

    document::Document* m_doc;
    Dialogs* m_dialogs;
    QWidget* m_window;
    RecipeProvider m_recipe;
    QMenu* m_recentMenu = nullptr;
    QString m_pastedName;
    ProjectHooks m_project;
};

}  // namespace inpaint::ui
