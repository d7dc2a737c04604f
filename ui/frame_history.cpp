// FrameHistory (see frame_history.h).
#include "ui/frame_history.h"

#include <algorithm>

namespace inpaint::ui {

FrameHistory::FrameHistory(qint64 budgetBytes, int maxSide) : m_budget(std::max<qint64>(1, budgetBytes)), m_maxSide(maxSide) {}

void FrameHistory::add(quint64 job, int step, const QImage& frame)
{
    if (frame.isNull()) return;
    if (step <= 1) remove(job);
    const QImage kept = std::max(frame.width(), frame.height()) > m_maxSide
                            ? frame.scaled(m_maxSide, m_maxSide, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                            : frame;
    if (!m_frames.contains(job)) m_order.append(job);
    m_frames[job].append(kept);
    m_bytes += bytesOf(kept);
    enforceBudget(job);
}

void FrameHistory::remove(quint64 job)
{
    const auto it = m_frames.find(job);
    if (it == m_frames.end()) return;
    for (const QImage& f : *it) m_bytes -= bytesOf(f);
    m_frames.erase(it);
    m_order.removeAll(job);
}

void FrameHistory::clear()
{
    m_frames.clear();
    m_order.clear();
    m_bytes = 0;
}

void FrameHistory::enforceBudget(quint64 newest)
{
    while (m_bytes > m_budget && m_order.size() > 1) {
        const quint64 oldest = m_order.first() == newest ? m_order.at(1) : m_order.first();
        remove(oldest);
    }
    QList<QImage>& mine = m_frames[newest];
    while (m_bytes > m_budget && mine.size() > 2) {
        // Thin the one job out: drop every second frame between the first and the last.
        QList<QImage> thinned;
        for (int i = 0; i < mine.size(); ++i) {
            if (i == 0 || i == mine.size() - 1 || i % 2 == 0) thinned << mine[i];
            else m_bytes -= bytesOf(mine[i]);
        }
        mine = thinned;
    }
}

}  // namespace inpaint::ui
