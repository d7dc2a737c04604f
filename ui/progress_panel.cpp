// ProgressPanel (see progress_panel.h).
#include "ui/progress_panel.h"

#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace inpaint::ui {

ProgressPanel::ProgressPanel(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel(tr("Ready"), this);
    QFont bold = m_title->font();
    bold.setBold(true);
    m_title->setFont(bold);
    m_detail = new QLabel(tr("Paint a mask, then press Inpaint."), this);
    m_detail->setWordWrap(true);
    m_detail->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_bar = new QProgressBar(this);
    m_bar->setRange(0, 1);
    m_bar->setValue(0);
    m_bar->setTextVisible(false);
    m_bar->setMaximumHeight(10);
    m_cancel = new QPushButton(QIcon(QStringLiteral(":/icons/cancel.svg")), tr("Cancel"), this);
    m_cancel->setToolTip(tr("Stop the running job; the image and mask stay as they are"));
    m_cancel->setEnabled(false);
    connect(m_cancel, &QPushButton::clicked, this, &ProgressPanel::cancelRequested);

    auto* row = new QHBoxLayout;
    row->addWidget(m_bar, 1);
    row->addWidget(m_cancel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 8);
    layout->addWidget(m_title);
    layout->addLayout(row);
    layout->addWidget(m_detail);
}

QString ProgressPanel::stateText() const { return m_title->text() + QLatin1Char('\n') + m_detail->text(); }

void ProgressPanel::jobQueued(quint64 jobId, const jobs::InpaintRequest& settings) {
    m_names.insert(jobId, jobs::pipelineName(settings.pipeline));
    m_cancel->setEnabled(true);
    if (m_job != 0) {
        m_detail->setText(tr("%n more job(s) waiting.", nullptr, int(m_names.size()) - 1));
    } else {
        m_title->setText(tr("Waiting for the worker…"));
        m_bar->setRange(0, 0);
    }
}

void ProgressPanel::jobRunning(quint64 jobId) {
    if (!m_names.contains(jobId)) return;
    m_job = jobId;
    m_clock.start();
    m_title->setText(tr("Inpainting with %1…").arg(m_names.value(jobId)));
    m_detail->setText(tr("Working on the worker thread; the window stays usable."));
    m_bar->setRange(0, 0);  // busy until the first step reports
    m_cancel->setEnabled(true);
}

void ProgressPanel::status(quint64 jobId, const QString& text) {
    if (jobId != m_job) return;
    m_bar->setRange(0, 0);  // busy
    m_detail->setText(text);
}

void ProgressPanel::stepDone(quint64 jobId, int step, int total) {
    if (jobId != m_job || total <= 0) return;
    m_bar->setRange(0, total);
    m_bar->setValue(step);
    // Seconds per step from step 1 on, so loading the model does not count as denoising.
    const double elapsed = m_clock.nsecsElapsed() / 1e9;
    if (step <= 1) m_firstStepAt = elapsed;
    const double perStep = step > 1 ? (elapsed - m_firstStepAt) / (step - 1) : elapsed;
    const double left = perStep * (total - step);
    m_detail->setText(tr("Step %1 / %2 · %3 s/step · about %4 s left")
                          .arg(step)
                          .arg(total)
                          .arg(perStep, 0, 'f', 2)
                          .arg(left, 0, 'f', 0));
}

void ProgressPanel::jobFinished(const jobs::InpaintResult& result) {
    m_names.remove(result.jobId);
    m_cancel->setEnabled(!m_names.isEmpty());
    if (result.jobId != m_job && m_job != 0) return;
    m_job = 0;
    m_bar->setRange(0, 1);
    switch (result.status) {
    case jobs::JobStatus::Ok:
        m_bar->setValue(1);
        m_title->setText(tr("Done in %1 s").arg(result.seconds, 0, 'f', 2));
        m_detail->setText(tr("Apply keeps the result, Discard drops it."));
        break;
    case jobs::JobStatus::Canceled:
        m_bar->setValue(0);
        m_title->setText(tr("Cancelled"));
        m_detail->setText(tr("The image and mask are unchanged."));
        break;
    case jobs::JobStatus::Failed:
        m_bar->setValue(0);
        m_title->setText(tr("Failed"));
        m_detail->setText(result.error);
        break;
    }
}

}  // namespace inpaint::ui
