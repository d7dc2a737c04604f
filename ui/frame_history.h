// FrameHistory: the step previews kept per job (for the denoising animation and compare's step
// slider), scaled to at most `maxSide` and held within a byte budget. When the budget is
// exceeded the oldest jobs' frames go first; a single job larger than the budget keeps its first
// and last frames and every other one between (repeatedly), so its animation stays whole.
#pragma once

#include <QHash>
#include <QImage>
#include <QList>

namespace inpaint::ui {

class FrameHistory {
public:
    FrameHistory(qint64 budgetBytes, int maxSide);

    // Step 1 starts the job's frames afresh. Null frames are ignored.
    void add(quint64 job, int step, const QImage& frame);
    QList<QImage> frames(quint64 job) const { return m_frames.value(job); }
    int count(quint64 job) const { return int(m_frames.value(job).size()); }
    void remove(quint64 job);
    void clear();

    qint64 bytes() const { return m_bytes; }
    qint64 budgetBytes() const { return m_budget; }
    int maxSide() const { return m_maxSide; }
    static qint64 bytesOf(const QImage& image) { return image.isNull() ? 0 : qint64(image.sizeInBytes()); }

private:
    void enforceBudget(quint64 newest);

    qint64 m_budget;
    int m_maxSide;
    qint64 m_bytes = 0;
    QList<quint64> m_order;  // oldest first
    QHash<quint64, QList<QImage>> m_frames;
};

}  // namespace inpaint::ui
