// GenerationController: the UI side of one inpainting job, written top to bottom as a QCoro
// coroutine: snapshot the document into an immutable request, submit it to the JobQueue,
// co_await the job's result, and keep an Ok result as a *pending* result that the person
// applies (one undo step) or discards. Nothing touches the document until Apply, so a
// cancelled or failed job leaves image and mask exactly as they were.
//
// Step previews do not pass through here: jobStarted() hands out the job's JobHandle, whose
// progress() goes straight to the canvas and the progress panel.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QHash>
#include <QObject>
#include <QRect>
#include <QSet>
#include <coroutine>
#include <optional>

#include <qcoro/qcorotask.h>

namespace inpaint::document {
class Document;
}
namespace inpaint::jobs {
class JobHandle;
class JobQueue;
}

namespace inpaint::ui {

struct PendingResult {
    jobs::InpaintResult result;
    jobs::InpaintRequest settings;  // what produced it (image and mask left out)
    QRect region;                   // what it may change: the mask's box plus grow and feather
    quint64 docSerial = 0;          // the document it belongs to
    quint64 imageState = 0;         // the base pixels it was computed from
};

class GenerationController : public QObject {
    Q_OBJECT
public:
    GenerationController(document::Document* doc, jobs::JobQueue* queue, QObject* parent = nullptr);
    // Resumes every generate() still waiting for its job with "no result", so each coroutine
    // ends (and frees its frame) while this object is still whole; the jobs are cancelled.
    ~GenerationController() override;

    // Runs one job with `settings` (prompts, pipeline, seed, ...) on the document's current
    // image and combined mask. Returns when the job has finished, failed or been cancelled.
    QCoro::Task<> generate(jobs::InpaintRequest settings);

    void cancel();  // every job this controller started
    bool isBusy() const { return !m_running.isEmpty(); }
    int runningJobs() const { return int(m_running.size()); }

    bool hasPendingResult() const { return m_pending.has_value(); }
    const PendingResult* pendingResult() const { return m_pending ? &*m_pending : nullptr; }
    bool applyPending();    // one undo step; false (and a problem() message) when it cannot
    void discardPending();
    // Makes an earlier result (e.g. from the results strip) the pending one again.
    void setPending(const PendingResult& result);
    // Emitted once per successful job with the new pending result (the strip keeps them all).
    Q_SIGNAL void resultReady(const inpaint::ui::PendingResult& result);

signals:
    void busyChanged(bool busy);
    // The job was submitted: its handle (for progress and previews) and its recipe, seed drawn.
    void jobStarted(inpaint::jobs::JobHandle* job, const inpaint::jobs::InpaintRequest& settings);
    void jobFinished(const inpaint::jobs::InpaintResult& result);
    void pendingResultChanged();
    void applied(const inpaint::jobs::InpaintRequest& settings);  // the recipe of the applied result
    void message(const QString& text);  // for the status bar
    void problem(const QString& text);  // something the person must read

private:
    class JobFinished;  // the awaitable generate() suspends on
    struct Waiting {
        std::coroutine_handle<> coroutine;
        std::optional<jobs::InpaintResult>* result;
    };
    void resume(jobs::JobHandle* job, std::optional<jobs::InpaintResult> result);

    document::Document* m_doc;
    jobs::JobQueue* m_queue;
    QSet<jobs::JobHandle*> m_running;
    QHash<jobs::JobHandle*, Waiting> m_waiting;  // suspended generate() calls, by job
    std::optional<PendingResult> m_pending;
};

}  // namespace inpaint::ui
