// CompareSlotWidget: one slot of the compare window — its model (or classical engine), pipeline,
// scheduler, optional steps / guidance / strength, the Use and Cancel buttons, and its view.
#pragma once

#include "core/jobs/compare.h"
#include "ui/prompt_panel.h"  // ModelEntry

#include <QWidget>
#include <optional>

class QComboBox;
class QDoubleSpinBox;
class QPushButton;
class QSpinBox;

namespace inpaint::ui {

class SyncedImageView;

class CompareSlotWidget : public QWidget {
    Q_OBJECT
public:
    explicit CompareSlotWidget(int index, QWidget* parent = nullptr);

    // The usable models (entries with an error are left out) and the two classical engines; the
    // current choice stays when it is still listed.
    void setModels(const QList<ModelEntry>& models);
    // modelPath empty with a classical pipeline for the classical engine.
    void setSlot(const QString& modelPath, jobs::PipelineKind pipeline, const QString& scheduler);
    // The slot's own steps / guidance / strength (nullopt: the shared value).
    void setOverrides(std::optional<int> steps, std::optional<double> guidance, std::optional<double> strength);
    void setFill(bool fill) { m_fill = fill; }  // masked content "fill" (for a blend slot)
    jobs::CompareSlot slot() const;

    void setRunning(bool running);      // enables Cancel
    void setUsable(bool usable);        // enables Use
    SyncedImageView* view() const { return m_view; }

signals:
    void useRequested();
    void cancelRequested();
    void choiceChanged();  // model or pipeline changed

private:
    QComboBox* m_model;
    QComboBox* m_pipeline;
    QComboBox* m_scheduler;
    QSpinBox* m_steps;          // 0: the shared value
    QDoubleSpinBox* m_guidance; // below 0: the shared value
    QDoubleSpinBox* m_strength; // 0: the shared value
    QPushButton* m_use;
    QPushButton* m_cancel;
    SyncedImageView* m_view;
    bool m_fill = false;
};

}  // namespace inpaint::ui
