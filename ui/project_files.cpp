// ProjectFiles (see project_files.h).
#include "ui/project_files.h"

#include "core/document/document.h"
#include "core/document/ora_project.h"
#include "core/jobs/recipe.h"
#include "ui/dialogs.h"
#include "ui/results_strip.h"

#include <QDir>
#include <QLocale>
#include <QMessageBox>
#include <QFileInfo>
#include <QPainter>
#include <QStandardPaths>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cstring>

namespace inpaint::ui {

struct ProjectFiles::Write {
    QString path;
    bool autosave = false;
    quint64 serial = 0;      // the document it was taken from
    int undoIndex = 0;       // and its state then: a save marks the document clean only if unchanged
    quint64 imageState = 0;
};

namespace {

QString sessionFile(const QString& dir, int n, const char* ext) {
    return QDir(dir).filePath(QStringLiteral("session-%1.%2").arg(n).arg(QLatin1String(ext)));
}

}  // namespace

ProjectFiles::ProjectFiles(document::Document* doc, ResultsStrip* strip, Dialogs* dialogs, QWidget* window,
                           QObject* parent)
    : QObject(parent), m_doc(doc), m_strip(strip), m_dialogs(dialogs), m_window(window),
      m_watcher(new QFutureWatcher<QString>(this)) {
    connect(m_watcher, &QFutureWatcher<QString>::finished, this, &ProjectFiles::onWriteFinished);
    connect(m_doc, &document::Document::documentReset, this, [this] {
        if (!m_projectPath.isEmpty()) {
            m_projectPath.clear();
            emit projectPathChanged();
        }
        m_unsavedResults = false;
        markDirty();
    });
    for (auto sig : {&document::Document::canvasResized, &document::Document::layersChanged})
        connect(m_doc, sig, this, &ProjectFiles::markDirty);
    connect(m_doc, &document::Document::imageChanged, this, &ProjectFiles::markDirty);
    connect(m_doc, &document::Document::layerPixelsChanged, this, &ProjectFiles::markDirty);
    connect(m_doc, &document::Document::overlayOpacityChanged, this, &ProjectFiles::markDirty);
    m_timer.setSingleShot(false);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (m_dirty) autosaveNow();
    });
}

ProjectFiles::~ProjectFiles() {
    // A write in flight finishes first (it holds copies of the pixels, not the document); the
    // lock file stays, so a crash-free but unclean end (no discardAutosave) keeps the autosave.
    m_watcher->waitForFinished();
}

void ProjectFiles::markDirty() { m_dirty = true; }

void ProjectFiles::resultKept() {
    m_unsavedResults = true;
    m_dirty = true;
}

document::Project ProjectFiles::snapshot() const {
    document::Project p = document::projectFromDocument(*m_doc);
    for (int row = 0; row < m_strip->count(); ++row) {
        const PendingResult& r = m_strip->result(row);
        const QRect region = r.region.intersected(m_doc->rect());
        if (r.docSerial != m_doc->serial() || region.isEmpty() || r.result.image.size() != m_doc->size()) continue;
        document::ProjectResult out;
        out.region = region;
        out.pixels = r.result.image.copy(region);
        jobs::InpaintRequest settings = r.settings;
        settings.seed = r.result.seed;
        out.recipe = jobs::formatParameters(settings, m_doc->size(), QFileInfo(settings.modelPath).fileName());
        out.modelPath = settings.modelPath;
        out.current = r.imageState == m_doc->imageState();
        p.results.push_back(out);
    }
    return p;
}

void ProjectFiles::applyProject(const document::Project& project, bool unsaved) {
    m_doc->resetToProject(project.image, project.layers, project.activeLayer, project.overlayOpacity,
                          project.sourcePath, unsaved);  // the strip clears itself on the reset
    for (int i = int(project.results.size()) - 1; i >= 0; --i) {  // oldest first: the strip prepends
        const document::ProjectResult& r = project.results[i];
        PendingResult p;
        jobs::parseParameters(r.recipe, &p.settings);
        p.settings.modelPath = r.modelPath;
        p.result.jobId = m_nextResultId++;
        p.result.status = jobs::JobStatus::Ok;
        p.result.seed = p.settings.seed;
        p.result.changed = r.region;
        // The result's pixels over the picture it was made from (outside its region they are
        // the picture's, as a job's result is).
        QImage full = m_doc->image().copy();
        {
            QImage region = r.pixels.convertToFormat(full.format());
            for (int y = 0; y < region.height(); ++y)
                std::memcpy(full.scanLine(r.region.y() + y) + qsizetype(r.region.x()) * full.depth() / 8,
                            region.constScanLine(y), qsizetype(region.width()) * full.depth() / 8);
        }
        p.result.image = full;
        p.region = r.region;
        p.docSerial = m_doc->serial();
        // One made from pixels that changed since cannot be applied (GenerationController says so).
        p.imageState = r.current ? m_doc->imageState() : ~quint64(0);
        m_strip->addResult(p);
    }
    m_dirty = unsaved;
    m_unsavedResults = unsaved && !project.results.isEmpty();
}

bool ProjectFiles::openProject(const QString& path) {
    QString error;
    const auto project = document::readOra(path, &error);
    if (!project) {
        m_dialogs->error(m_window, tr("Could not open the project"), error);
        return false;  // the open work stays as it was
    }
    applyProject(*project, false);
    m_projectPath = QFileInfo(path).absoluteFilePath();
    emit projectPathChanged();
    emit statusMessage(tr("Opened the project %1: %n mask layer(s)", "", int(project->layers.size()))
                               .arg(QFileInfo(path).fileName()) +
                           (project->results.isEmpty() ? QString() : tr(", %n kept result(s)", "", int(project->results.size()))),
                       8000);
    return true;
}

bool ProjectFiles::saveProject(bool wait) {
    if (m_doc->isNull()) return false;
    if (m_projectPath.isEmpty()) return saveProjectAs(wait);
    return startWrite(m_projectPath, false, wait);
}

bool ProjectFiles::saveProjectAs(bool wait) {
    if (m_doc->isNull()) return false;
    QString suggested = m_projectPath;
    if (suggested.isEmpty()) {
        const QFileInfo src(m_doc->sourcePath());
        suggested = m_doc->sourcePath().isEmpty()
                        ? QDir(QStandardPaths::writableLocation(QStandardPaths::PicturesLocation)).filePath(QStringLiteral("untitled.ora"))
                        : src.dir().filePath(src.completeBaseName() + QStringLiteral(".ora"));
    }
    QString path = m_dialogs->saveProjectFile(m_window, suggested);
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".ora");
    return startWrite(path, false, wait);
}

bool ProjectFiles::startWrite(const QString& path, bool isAutosave, bool wait) {
    m_doc->commitActiveStroke();
    if (m_current && m_watcher->isFinished()) onWriteFinished();  // its signal is still queued
    if (m_watcher->isRunning()) {
        if (isAutosave) {
            m_autosaveAgain = true;
            return true;
        }
        m_watcher->waitForFinished();
        onWriteFinished();
    }
    auto job = std::make_unique<Write>();
    job->path = path;
    job->autosave = isAutosave;
    job->serial = m_doc->serial();
    job->undoIndex = m_doc->undoStack()->index();
    job->imageState = m_doc->imageState();
    document::Project project = snapshot();
    if (!isAutosave) emit statusMessage(tr("Saving the project %1…").arg(QFileInfo(path).fileName()), 0);
    if (wait) {
        QString error;
        const bool ok = document::writeOra(path, project, &error);
        m_current = std::move(job);
        m_lastError = ok ? QString() : error;
        return finishWrite();
    }
    m_current = std::move(job);
    m_watcher->setFuture(QtConcurrent::run([project = std::move(project), path]() -> QString {
        QString error;
        return document::writeOra(path, project, &error) ? QString() : error;
    }));
    return true;
}

void ProjectFiles::onWriteFinished() {
    if (!m_current || !m_watcher->isFinished()) return;  // already handled (a wait), or none
    m_lastError = m_watcher->future().result();
    finishWrite();
}

bool ProjectFiles::finishWrite() {
    const std::unique_ptr<Write> job = std::move(m_current);
    if (!job) return false;
    const bool ok = m_lastError.isEmpty();
    if (job->autosave) {
        if (ok) {
            ++m_autosaves;
        } else {
            m_dirty = true;  // try again at the next tick
            emit statusMessage(tr("Autosave failed: %1").arg(m_lastError), 10000);
        }
    } else if (ok) {
        const bool unchanged = job->serial == m_doc->serial() && job->undoIndex == m_doc->undoStack()->index() &&
                               job->imageState == m_doc->imageState();
        if (job->serial == m_doc->serial()) {
            m_projectPath = QFileInfo(job->path).absoluteFilePath();
            if (unchanged) m_doc->markClean();
            m_unsavedResults = false;
            emit projectPathChanged();
        }
        emit statusMessage(tr("Saved the project %1").arg(QFileInfo(job->path).fileName()), 6000);
    } else {
        emit statusMessage(QString(), 0);
        m_dialogs->error(m_window, tr("Could not save the project"), m_lastError);
    }
    if (m_autosaveAgain) {
        m_autosaveAgain = false;
        QTimer::singleShot(0, this, &ProjectFiles::autosaveNow);
    }
    return ok;
}

void ProjectFiles::waitForWrites() {
    if (m_watcher->isRunning() || (m_current && !m_watcher->isFinished())) m_watcher->waitForFinished();
    onWriteFinished();
}

// --- autosave -------------------------------------------------------------------------------------

QString ProjectFiles::defaultAutosaveDir() {
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty() || !QDir::isAbsolutePath(state)) state = QDir::home().filePath(QStringLiteral(".local/state"));
    return QDir(state).filePath(QStringLiteral("inpaint-studio/autosave"));
}

bool ProjectFiles::enableAutosave(const QString& dir, int intervalSeconds) {
    if (m_lock) return true;
    if (!QDir().mkpath(dir)) {
        emit statusMessage(tr("Autosave is off: the folder %1 cannot be made.").arg(dir), 10000);
        return false;
    }
    m_autosaveDir = dir;
    // Autosaves whose editor is gone: their lock can be taken (QLockFile sees the dead pid).
    QDir d(dir);
    const QStringList oras = d.entryList({QStringLiteral("session-*.ora")}, QDir::Files, QDir::Time);
    for (const QString& name : oras) {
        bool ok = false;
        const int n = name.mid(8, name.size() - 12).toInt(&ok);
        if (!ok || n <= 0) continue;
        auto lock = std::make_unique<QLockFile>(sessionFile(dir, n, "lock"));
        lock->setStaleLockTime(0);  // stale only when its process is gone, never by age
        if (lock->tryLock(0)) m_orphans.push_back({std::move(lock), d.filePath(name)});
    }
    for (int n = 1; n <= 256; ++n) {
        const QString ora = sessionFile(dir, n, "ora");
        if (std::any_of(m_orphans.begin(), m_orphans.end(), [&](const Orphan& o) { return o.path == ora; })) continue;
        if (QFileInfo::exists(ora)) continue;  // a running editor's
        auto lock = std::make_unique<QLockFile>(sessionFile(dir, n, "lock"));
        lock->setStaleLockTime(0);
        if (!lock->tryLock(0)) continue;
        m_lock = std::move(lock);
        m_autosavePath = ora;
        break;
    }
    if (!m_lock) {
        emit statusMessage(tr("Autosave is off: no free slot in %1.").arg(dir), 10000);
        return false;
    }
    m_timer.start(std::max(1, intervalSeconds) * 1000);
    return true;
}

bool ProjectFiles::offerRestore() {
    bool restored = false;
    while (!m_orphans.empty()) {
        Orphan o = std::move(m_orphans.front());
        m_orphans.pop_front();
        if (restored) {  // one document at a time: the others wait for a later start
            o.lock->unlock();
            continue;
        }
        QString error;
        const auto project = document::readOra(o.path, &error);
        if (!project) {
            const QString aside = o.path + QStringLiteral(".broken");
            QFile::remove(aside);
            QFile::rename(o.path, aside);
            m_dialogs->error(m_window, tr("Could not restore the autosave"),
                             tr("%1\nIt was kept as %2.").arg(error, aside));
            o.lock->unlock();
            continue;
        }
        const QString when = QLocale().toString(QFileInfo(o.path).lastModified(), QLocale::ShortFormat);
        const QString name = project->sourcePath.isEmpty() ? tr("an image") : QFileInfo(project->sourcePath).fileName();
        const auto answer = m_dialogs->ask(
            m_window, tr("Restore unsaved work?"),
            tr("Inpaint Studio did not close normally. Restore the work autosaved at %1 (%2, %n mask layer(s)", "",
               int(project->layers.size()))
                    .arg(when, name) +
                (project->results.isEmpty() ? QString() : tr(", %n kept result(s)", "", int(project->results.size()))) +
                tr(")?\n\nNo deletes it."),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
        if (answer != QMessageBox::Yes) {
            QFile::remove(o.path);
            o.lock->unlock();
            continue;
        }
        applyProject(*project, true);
        // The restored work goes on in the slot that holds it, so it is never without a copy.
        if (m_lock) {
            m_lock->unlock();
            m_lock = std::move(o.lock);
            m_autosavePath = o.path;
        } else {
            o.lock->unlock();
        }
        m_dirty = false;
        restored = true;
        emit statusMessage(tr("Restored the autosaved work. Save it as a project (File ▸ Save Project) to keep it."), 10000);
    }
    return restored;
}

void ProjectFiles::autosaveNow() {
    if (!m_lock || m_doc->isNull()) return;
    if (m_watcher->isRunning()) {
        m_autosaveAgain = true;
        return;
    }
    m_dirty = false;
    if (!m_doc->isModified() && !m_unsavedResults) {
        // Nothing that is not stored elsewhere (a file just opened, a project just saved): no
        // autosave to offer after a crash.
        QFile::remove(m_autosavePath);
        return;
    }
    startWrite(m_autosavePath, true, false);
}

void ProjectFiles::discardAutosave() {
    m_timer.stop();
    m_autosaveAgain = false;
    m_watcher->waitForFinished();
    onWriteFinished();
    if (!m_lock) return;
    QFile::remove(m_autosavePath);
    m_lock->unlock();
    m_lock.reset();
    m_autosavePath.clear();
}

}  // namespace inpaint::ui
