// Records what the jobs a GenerationController starts report through their handles: every step
// (step, total, preview) and every result, in order. The GUI tests read these instead of a
// queue-wide signal (there is none: each job has its own JobHandle).
#pragma once

#include "core/jobs/job_handle.h"
#include "ui/generation_controller.h"

#include <QList>
#include <QObject>

struct RecordedStep {
    quint64 job = 0;
    int step = 0, total = 0;
    QImage preview;
};

class JobRecorder : public QObject {
public:
    explicit JobRecorder(inpaint::ui::GenerationController* ctl)
    {
        connect(ctl, &inpaint::ui::GenerationController::jobStarted, this, [this](inpaint::jobs::JobHandle* job) {
            const quint64 id = job->id();
            connect(job, &inpaint::jobs::JobHandle::progress, this, [this, id](int step, int total, const QImage& preview) {
                steps.append({id, step, total, preview});
            });
            connect(job, &inpaint::jobs::JobHandle::finished, this,
                    [this](const inpaint::jobs::InpaintResult& r) { results.append(r); });
        });
    }
    void clear()
    {
        steps.clear();
        results.clear();
    }
    QList<RecordedStep> steps;
    QList<inpaint::jobs::InpaintResult> results;
};
