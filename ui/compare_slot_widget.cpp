// CompareSlotWidget (see compare_slot_widget.h).
#include "ui/compare_slot_widget.h"

#include "core/jobs/engine_info.h"
#include "ui/synced_image_view.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace inpaint::ui {

using jobs::PipelineKind;

namespace {
const QString kClassicalTelea = QStringLiteral("classical-telea");
const QString kClassicalNS = QStringLiteral("classical-ns");
}  // namespace

CompareSlotWidget::CompareSlotWidget(int index, QWidget* parent) : QWidget(parent) {
    m_model = new QComboBox(this);
    m_pipeline = new QComboBox(this);
    for (PipelineKind k : {PipelineKind::Auto, PipelineKind::Blend, PipelineKind::InpaintUnet})
        m_pipeline->addItem(jobs::pipelineName(k), int(k));
    m_scheduler = new QComboBox(this);
    for (const QString& n : jobs::schedulerNames()) m_scheduler->addItem(n, n);
    m_steps = new QSpinBox(this);
    m_steps->setRange(0, 150);
    m_steps->setSpecialValueText(tr("steps"));
    m_steps->setToolTip(tr("This slot's steps (\"steps\": the shared value)"));
    m_guidance = new QDoubleSpinBox(this);
    m_guidance->setRange(-0.5, 30.0);
    m_guidance->setSingleStep(0.5);
    m_guidance->setValue(-0.5);
    m_guidance->setSpecialValueText(tr("cfg"));
    m_guidance->setToolTip(tr("This slot's guidance (\"cfg\": the shared value)"));
    m_strength = new QDoubleSpinBox(this);
    m_strength->setRange(0.0, 1.0);
    m_strength->setSingleStep(0.05);
    m_strength->setSpecialValueText(tr("strength"));
    m_strength->setToolTip(tr("This slot's strength (\"strength\": the shared value)"));
    m_use = new QPushButton(tr("Use"), this);
    m_use->setToolTip(tr("Send this result to the results strip of the image"));
    m_use->setEnabled(false);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    m_view = new SyncedImageView(this);
    m_view->setObjectName(QStringLiteral("slotView%1").arg(index + 1));
    auto* row = new QHBoxLayout;
    row->addWidget(m_model, 2);
    row->addWidget(m_pipeline, 1);
    row->addWidget(m_scheduler, 1);
    row->addWidget(m_steps);
    row->addWidget(m_guidance);
    row->addWidget(m_strength);
    row->addWidget(m_use);
    row->addWidget(m_cancel);
    auto* col = new QVBoxLayout(this);
    col->setContentsMargins(0, 0, 0, 0);
    col->addLayout(row);
    col->addWidget(m_view, 1);

    connect(m_use, &QPushButton::clicked, this, &CompareSlotWidget::useRequested);
    connect(m_cancel, &QPushButton::clicked, this, &CompareSlotWidget::cancelRequested);
    connect(m_model, &QComboBox::currentIndexChanged, this, &CompareSlotWidget::choiceChanged);
    connect(m_pipeline, &QComboBox::currentIndexChanged, this, &CompareSlotWidget::choiceChanged);
}

void CompareSlotWidget::setModels(const QList<ModelEntry>& models) {
    const QString previous = m_model->currentData().toString();
    m_model->clear();
    for (const ModelEntry& m : models)
        if (m.error.isEmpty()) m_model->addItem(m.label(), m.path);
    m_model->addItem(tr("Classical · Telea"), kClassicalTelea);
    m_model->addItem(tr("Classical · Navier–Stokes"), kClassicalNS);
    if (const int i = m_model->findData(previous); i >= 0) m_model->setCurrentIndex(i);
}

void CompareSlotWidget::setSlot(const QString& modelPath, PipelineKind pipeline, const QString& scheduler) {
    if (jobs::isClassical(pipeline)) {
        m_model->setCurrentIndex(m_model->findData(pipeline == PipelineKind::ClassicalNS ? kClassicalNS : kClassicalTelea));
    } else {
        m_model->setCurrentIndex(m_model->findData(modelPath));
        m_pipeline->setCurrentIndex(m_pipeline->findData(int(pipeline)));
    }
    m_scheduler->setCurrentIndex(m_scheduler->findData(scheduler));
}

void CompareSlotWidget::setOverrides(std::optional<int> steps, std::optional<double> guidance,
                                     std::optional<double> strength) {
    m_steps->setValue(steps.value_or(0));
    m_guidance->setValue(guidance.value_or(-0.5));
    m_strength->setValue(strength.value_or(0.0));
}

jobs::CompareSlot CompareSlotWidget::slot() const {
    jobs::CompareSlot c;
    c.fill = m_fill;
    const QString data = m_model->currentData().toString();
    if (data == kClassicalTelea || data == kClassicalNS) {
        c.pipeline = data == kClassicalNS ? PipelineKind::ClassicalNS : PipelineKind::ClassicalTelea;
    } else {
        c.modelPath = data;
        c.pipeline = PipelineKind(m_pipeline->currentData().toInt());
        c.scheduler = m_scheduler->currentData().toString();
        if (m_steps->value() > 0) c.steps = m_steps->value();
        if (m_guidance->value() >= 0.0) c.guidance = m_guidance->value();
        if (m_strength->value() > 0.0) c.strength = m_strength->value();
    }
    return c;
}

void CompareSlotWidget::setRunning(bool running) { m_cancel->setEnabled(running); }
void CompareSlotWidget::setUsable(bool usable) { m_use->setEnabled(usable); }

}  // namespace inpaint::ui
