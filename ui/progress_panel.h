// ProgressPanel: what the running job is doing (step i/N, seconds per step, time left) with
// a Cancel button, and how the last job ended. It listens to the JobQueue's signals; a
// job that reports no steps shows a busy bar.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QElapsedTimer>
#include <QHash>
#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace inpaint::ui {

class ProgressPanel : public QWidget {
    Q_OBJECT
public:
    explicit ProgressPanel(QWidget* parent = nullptr);

    // A job was submitted (it may wait behind another one).
    void jobQueued(quint64 jobId, const jobs::InpaintRequest& settings);
    // The worker began running it (JobQueue::started).
    void jobRunning(quint64 jobId);
    void stepDone(quint64 jobId, int step, int total);
    void status(quint64 jobId, const QString& text);  // e.g. model loading, before the first step
    void jobFinished(const jobs::InpaintResult& result);

    QPushButton* cancelButton() const { return m_cancel; }
    QString stateText() const;

signals:
    void cancelRequested();

private:
    QLabel* m_title;
    QLabel* m_detail;
    QProgressBar* m_bar;
    QPushButton* m_cancel;
    QElapsedTimer m_clock;
    double m_firstStepAt = 0.0;  // seconds from start to step 1 (model loading, encoding, step 1)
    quint64 m_job = 0;
    QHash<quint64, QString> m_names;  // submitted and not finished: job id -> pipeline name
};

}  // namespace inpaint::ui
