// CompareSession (see compare_session.h).
#include "ui/compare_session.h"

#include "core/imaging/compare_views.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"

#include <algorithm>

namespace inpaint::ui {

CompareSession::CompareSession(jobs::JobQueue* queue, QObject* parent) : QObject(parent), m_queue(queue) {
    for (int i = 0; i < kMaxSlots; ++i) m_slots << new Slot;
}

CompareSession::~CompareSession() {
    // The job handles are children of this session: their destructors raise the jobs' cancel
    // flags. Nothing here touches the queue, which may already be gone at quit.
    qDeleteAll(m_slots);
}

jobs::InpaintRequest CompareSession::slotRequest(const jobs::InpaintRequest& shared, const jobs::CompareSlot& slot) {
    jobs::InpaintRequest r = jobs::slotRequest(shared, slot);
    if (slot.fill && r.pipeline == jobs::PipelineKind::Blend) r.maskedContent = jobs::MaskedContent::Fill;
    return r;
}

void CompareSession::start(const jobs::InpaintRequest& shared, const QList<jobs::CompareSlot>& slotList, quint64 serial,
                           quint64 imageState) {
    cancelAll();
    m_runShared = shared;
    m_runSerial = serial;
    m_runImageState = imageState;
    m_runShared.resolveSeed();  // one seed for every slot
    for (int i = 0; i < m_slots.size(); ++i) {
        Slot* s = m_slots[i];
        s->frames.clear();
        s->stepsRun = 0;
        s->result = jobs::InpaintResult();
        s->job = nullptr;
        if (i >= slotList.size()) continue;
        jobs::InpaintRequest r = slotRequest(m_runShared, slotList[i]);
        r.image = m_runShared.image;
        r.mask = m_runShared.mask;
        s->request = r;
        s->request.image = {};
        s->request.mask = {};
        s->job = m_queue->submit(r, this);
        m_jobs.insert(s->job->id(), i);
        connect(s->job, &jobs::JobHandle::progress, this,
                [this, i](int step, int total, const QImage& preview) { onStep(i, step, total, preview); });
        connect(s->job, &jobs::JobHandle::finished, this, [this, i](const jobs::InpaintResult& r) { onFinished(i, r); });
    }
}

void CompareSession::cancelAll() {
    for (Slot* s : std::as_const(m_slots))
        if (s->job) s->job->cancel();
}

void CompareSession::cancelSlot(int i) {
    if (i >= 0 && i < m_slots.size() && m_slots[i]->job) m_slots[i]->job->cancel();
}

int CompareSession::longestRun() const {
    int longest = 0;
    for (const Slot* s : m_slots) longest = std::max(longest, s->stepsRun);
    return longest;
}

void CompareSession::onStep(int i, int step, int total, const QImage& preview) {
    if (i < 0 || i >= m_slots.size() || preview.isNull()) return;
    Slot* s = m_slots[i];
    s->frames.add(0, step, preview);
    s->stepsRun = step;
    emit slotStep(i, step, total);
}

void CompareSession::onFinished(int i, const jobs::InpaintResult& r) {
    if (!m_jobs.remove(r.jobId) || i < 0 || i >= m_slots.size()) return;
    Slot* s = m_slots[i];
    s->job = nullptr;
    s->result = r;
    emit slotFinished(i, r);
    if (m_jobs.isEmpty()) emit finished();
}

QImage CompareSession::shownImage(int i, int step, bool atEnd) const {
    if (i < 0 || i >= m_slots.size()) return m_runShared.image;
    const Slot* s = m_slots[i];
    QImage img;
    if (atEnd && s->result.ok()) img = s->result.image;
    else if (const int k = imaging::keptFrameIndex(step, s->stepsRun, s->frames.count(0)); k >= 0) {
        img = s->frames.frames(0).at(k);
        // Kept frames are scaled down; the views work in the photo's pixel coordinates.
        if (img.size() != m_runShared.image.size())
            img = img.scaled(m_runShared.image.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    }
    return img.isNull() ? m_runShared.image : img;
}

}  // namespace inpaint::ui
