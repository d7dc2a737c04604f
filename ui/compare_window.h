// CompareWindow: the same image, mask, prompt, negative prompt and seed through 2 to 4 slots (a
// model + pipeline + scheduler each), run one after another on the worker through the editor's job
// queue. A grid of views with synchronised zoom and pan shows each slot with its label (model,
// pipeline, scheduler, seconds per step); a step slider scrubs every slot to the same step; a
// difference view shows |slot - slot 1| as a heatmap; the sheet (original, mask, slots) exports as
// a PNG with the recipe; any slot's result can be sent to the results strip.
//
// The window keeps the layout and the wiring: each slot's controls and view are a
// CompareSlotWidget (compare_slot_widget.h), the run itself is a widget-free CompareSession
// (compare_session.h), and the split/difference images come from core/imaging/compare_views.h.
#pragma once

#include "core/jobs/compare.h"
#include "ui/prompt_panel.h"

#include <optional>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QSlider;
class QGridLayout;

namespace inpaint::document {
class Document;
}
namespace inpaint::jobs {
class JobQueue;
}

namespace inpaint::ui {

class CompareSession;
class CompareSlotWidget;
class Dialogs;
class SyncedImageView;

class CompareWindow : public QWidget {
    Q_OBJECT
public:
    CompareWindow(document::Document* doc, jobs::JobQueue* queue, Dialogs* dialogs, QWidget* parent = nullptr);
    ~CompareWindow() override;

    void setModels(const QList<ModelEntry>& models);
    void setSharedSettings(const jobs::InpaintRequest& settings);  // prompt, seed, steps, ...

    int slotCount() const;
    void setSlotCount(int n);  // 2..4
    // modelPath empty with a classical pipeline for the classical engine.
    void setSlot(int i, const QString& modelPath, jobs::PipelineKind pipeline, const QString& scheduler = QStringLiteral("default"));
    // A slot's own steps / guidance / strength (nullopt: the shared value).
    void setSlotOverrides(int i, std::optional<int> steps, std::optional<double> guidance = {},
                          std::optional<double> strength = {});
    jobs::CompareSlot slotAt(int i) const;

    // Presets from the seed article: "object removal" (ordinary model through blend with original
    // and with fill, the inpainting model through inpaint-unet, the classical engine) and "same
    // model, every scheduler" (the first usable model with up to 4 schedulers).
    void applyObjectRemovalPreset();
    void applySchedulerPreset();

    bool run();      // false (with a message) when there is no image or mask
    void cancelAll();
    void cancelSlot(int i);
    bool isRunning() const;

    SyncedImageView* view(int i) const;
    QSlider* stepSlider() const { return m_stepSlider; }
    QCheckBox* differenceCheck() const { return m_difference; }
    // A/B split: one view, `a` left of the split line and `b` right of it; -1 is the original.
    void setSplit(bool on, int a = 0, int b = -1, double position = 0.5);
    SyncedImageView* splitView() const { return m_abView; }
    const jobs::InpaintResult& result(int i) const;
    QString noiseNote() const;
    // The document state the last run was made from (results only fit that image).
    quint64 runSerial() const;
    quint64 runImageState() const;
    CompareSession* session() const { return m_session; }
    bool exportSheet(const QString& path, QString* error) const;
    bool exportSheet();  // asks for the file

signals:
    void finished();  // every slot of a run is done (ok, failed or cancelled)
    void useResult(const inpaint::jobs::InpaintResult& result, const inpaint::jobs::InpaintRequest& settings);

private:
    void onStep(int slot, int step, int total);
    void onFinished(int slot, const jobs::InpaintResult& r);
    void refreshViews();
    void updateNoiseNote();
    jobs::InpaintRequest slotRequest(int i) const;

    document::Document* m_doc;
    jobs::JobQueue* m_queue;
    Dialogs* m_dialogs;
    QList<ModelEntry> m_models;
    jobs::InpaintRequest m_shared;
    CompareSession* m_session;  // the last run (its shared request holds the image and mask)
    QList<CompareSlotWidget*> m_slots;
    QGridLayout* m_grid;
    QComboBox* m_count;
    QSlider* m_stepSlider;
    QCheckBox* m_difference;
    QLabel* m_note;
    QCheckBox* m_ab;
    QComboBox *m_abA, *m_abB;
    QSlider* m_abSplit;
    SyncedImageView* m_abView;
    QImage shownImage(int slot) const;  // what a slot shows at the current step (-1: the original)
    QLabel* m_status;
    QPushButton *m_run, *m_cancel, *m_export;
};

}  // namespace inpaint::ui
