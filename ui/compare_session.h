// CompareSession: one comparison run, widget-free. It holds the run's shared request (image,
// mask, prompts, one resolved seed), submits each slot through JobQueue::submit (one after
// another on the worker), keeps each slot's request, step frames and result from its JobHandle,
// cancels one slot or all, and reports per-slot steps and results and the end of the run.
// Its job handles are its children: destroying the session cancels what is left.
#pragma once

#include "core/jobs/compare.h"
#include "ui/frame_history.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QHash>

namespace inpaint::jobs {
class JobHandle;
class JobQueue;
}  // namespace inpaint::jobs

namespace inpaint::ui {

class CompareSession : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxSlots = 4;

    explicit CompareSession(jobs::JobQueue* queue, QObject* parent = nullptr);
    ~CompareSession() override;

    // The request a slot runs: jobs::slotRequest() plus the slot's "fill" masked content.
    static jobs::InpaintRequest slotRequest(const jobs::InpaintRequest& shared, const jobs::CompareSlot& slot);

    // Starts a run (cancelling the previous one): `shared` carries the image and mask; its seed is
    // resolved once for every slot. `serial` and `imageState` name the document state it came from.
    // Every slot's frames and result are reset; slots past `slotList` stay empty.
    void start(const jobs::InpaintRequest& shared, const QList<jobs::CompareSlot>& slotList, quint64 serial,
               quint64 imageState);
    void cancelAll();
    void cancelSlot(int i);
    bool isRunning() const { return !m_jobs.isEmpty(); }

    const jobs::InpaintRequest& runShared() const { return m_runShared; }  // image and mask included
    quint64 runSerial() const { return m_runSerial; }
    quint64 runImageState() const { return m_runImageState; }
    int slotCount() const { return int(m_slots.size()); }  // always kMaxSlots
    const jobs::InpaintRequest& request(int i) const { return m_slots.at(i)->request; }  // without image and mask
    const jobs::InpaintResult& result(int i) const { return m_slots.at(i)->result; }
    int stepsRun(int i) const { return m_slots.at(i)->stepsRun; }
    int longestRun() const;  // the most steps any slot has run
    // What slot `i` shows at `step`: its result when `atEnd` and it succeeded, else the kept frame
    // nearest to the step (at the image's size), else the run's image (also for i out of range).
    QImage shownImage(int i, int step, bool atEnd) const;

signals:
    void slotStep(int slot, int step, int total);  // after a step with a preview
    void slotFinished(int slot, const inpaint::jobs::InpaintResult& result);
    void finished();  // every slot of the run is done (ok, failed or cancelled)

private:
    struct Slot {
        QPointer<jobs::JobHandle> job;
        // Step previews, scaled to at most 1024 px and held within 128 MB per slot (thinned past it).
        FrameHistory frames{qint64(128) << 20, 1024};
        int stepsRun = 0;  // the slot's step count (frames may hold fewer after thinning)
        jobs::InpaintResult result;
        jobs::InpaintRequest request;
    };
    void onStep(int i, int step, int total, const QImage& preview);
    void onFinished(int i, const jobs::InpaintResult& r);

    jobs::JobQueue* m_queue;
    QList<Slot*> m_slots;
    jobs::InpaintRequest m_runShared;
    quint64 m_runSerial = 0, m_runImageState = 0;
    QHash<quint64, int> m_jobs;  // running or queued job -> slot
};

}  // namespace inpaint::ui
