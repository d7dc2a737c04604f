// JobHandle (see job_handle.h).
#include "core/jobs/job_handle.h"

namespace inpaint::jobs {

JobHandle::JobHandle(InpaintRequest request, CancelFlag flag, QObject* parent)
    : QObject(parent), m_request(std::move(request)), m_flag(std::move(flag))
{
}

JobHandle::~JobHandle()
{
    if (!m_finished) m_flag->store(true);
}

void JobHandle::cancel()
{
    m_flag->store(true);
}

void JobHandle::finish(const InpaintResult& result)
{
    if (m_finished) return;
    m_finished = true;
    emit finished(result);
    deleteLater();
}

}  // namespace inpaint::jobs
