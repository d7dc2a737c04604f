// ProjectFiles: the editor's projects (OpenRaster .ora, core/document/ora_project.h) and autosave.
//
// A project holds the picture, every mask layer and the kept results with their recipes. Saving
// encodes on a worker thread (the window stays responsive) and writes through a temp file and a
// rename. Open and Save of a project go through DocumentFiles (Open…, the recent files, a drop,
// the command line, Save), which calls the hooks this class gives it.
//
// Autosave: every `interval` seconds while something changed, and right after each applied result,
// the open work is written to <state>/inpaint-studio/autosave/session-N.ora, where <state> is
// $XDG_STATE_HOME (default ~/.local/state). Slot N belongs to this process for its life (a
// QLockFile beside it); a clean exit removes the file. A slot whose owner died (a crash, a kill)
// still has its .ora: the next start offers to restore it.
#pragma once

#include <QDateTime>
#include <QFutureWatcher>
#include <QLockFile>
#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <list>
#include <memory>

class QWidget;

namespace inpaint::document {
class Document;
struct Project;
}

namespace inpaint::ui {

class Dialogs;
class ResultsStrip;

class ProjectFiles : public QObject {
    Q_OBJECT
public:
    ProjectFiles(document::Document* doc, ResultsStrip* strip, Dialogs* dialogs, QWidget* window,
                 QObject* parent = nullptr);
    ~ProjectFiles() override;
    void setDialogs(Dialogs* dialogs) { m_dialogs = dialogs; }

    // Where the open project lives; empty when the document is not a saved project.
    QString projectPath() const { return m_projectPath; }

    // Replaces the document with the project at `path` (the caller asked about unsaved work);
    // false, with the reason told through Dialogs::error, and the open work untouched otherwise.
    bool openProject(const QString& path);
    // Save Project: to projectPath(), or asks where first. `wait`: return only when it is on disk
    // (the "keep changes?" question before quitting); otherwise it finishes in the background.
    bool saveProject(bool wait = false);
    bool saveProjectAs(bool wait = false);
    // Blocks until a background save or autosave has finished (tests, quitting).
    void waitForWrites();

    // --- autosave ---------------------------------------------------------------------------------
    static QString defaultAutosaveDir();
    // Takes a slot in `dir` and autosaves every `intervalSeconds` while something changed. False
    // (and autosave stays off) when the folder cannot be made or written.
    bool enableAutosave(const QString& dir, int intervalSeconds);
    bool autosaveEnabled() const { return m_lock != nullptr; }
    QString autosavePath() const { return m_autosavePath; }
    // Offers each autosave left by an editor that did not exit cleanly, newest first: Yes restores
    // it (the document becomes that unsaved work), No deletes it. True when one was restored.
    bool offerRestore();
    // Writes the autosave now if anything changed since the last one (in the background).
    void autosaveNow();
    // A clean exit: the autosave file goes and the slot is freed.
    void discardAutosave();
    int autosavesWritten() const { return m_autosaves; }
    // A job's result was kept in the results strip: the next tick autosaves it.
    void resultKept();

signals:
    void statusMessage(const QString& text, int timeoutMs);
    void projectPathChanged();

private:
    struct Write;
    document::Project snapshot() const;
    bool startWrite(const QString& path, bool isAutosave, bool wait);
    void onWriteFinished();
    bool finishWrite();  // reports m_current's outcome (m_lastError) and drops it
    void applyProject(const document::Project& project, bool unsaved);
    void markDirty();

    document::Document* m_doc;
    ResultsStrip* m_strip;
    Dialogs* m_dialogs;
    QWidget* m_window;
    QString m_projectPath;

    QFutureWatcher<QString>* m_watcher;  // result: "" or the error
    std::unique_ptr<Write> m_current;     // what the watcher is writing
    QString m_lastError;
    bool m_autosaveAgain = false;         // asked for while one was running

    std::unique_ptr<QLockFile> m_lock;  // our slot
    struct Orphan {
        std::unique_ptr<QLockFile> lock;  // taken from the editor that died
        QString path;
    };
    std::list<Orphan> m_orphans;  // newest first
    QString m_autosaveDir, m_autosavePath;
    QTimer m_timer;
    bool m_dirty = false;           // changed since the last autosave
    bool m_unsavedResults = false;  // results kept since the project was last saved or opened
    int m_autosaves = 0;
    quint64 m_nextResultId = (quint64(1) << 62);  // ids of restored results (never a queue's)
};

}  // namespace inpaint::ui
