// PromptPanel: the settings of an inpainting job: pipeline, model, classical radius,
// prompt and negative prompt, LoRAs with their weights and the VAE, scheduler, steps, guidance,
// strength and seed, and the Inpaint button. Classical pipelines are the default and need no model; the neural
// controls stay visible but disabled, with a note, while no model is installed.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QList>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QGroupBox;
class QLineEdit;
class QTableWidget;

namespace inpaint::ui {

struct ModelEntry {
    QString name;  // shown in the picker
    QString path;  // a diffusers folder
    QString description;
    QString error;  // why it cannot be used; such entries are listed but cannot be picked
    bool inpainting = false;  // a 9-channel inpainting UNet (inpaint-unet), else blend
    QString latentShape;      // "4ch/8x": latent channels and VAE scale (compare mode's noise note)
    QString family;           // "SD 1.x", "SD 2.x", "SDXL"; empty: unknown
    int nativeSize = 0;       // long side of an only-masked region (512 SD 1.x, 1024 SDXL)
    // What pickers show: "name · SDXL" (the family when known).
    QString label() const { return family.isEmpty() ? name : name + QStringLiteral(" · ") + family; }
};

class PromptPanel : public QWidget {
    Q_OBJECT
public:
    explicit PromptPanel(QWidget* parent = nullptr);

    // The models the picker offers; an empty list shows "No model installed".
    void setModels(const QList<ModelEntry>& models);
    // The LoRA files the "Add LoRA" picker offers and the VAE files / folders the VAE picker
    // offers (besides the model's own VAE). The VAE choice is remembered per model.
    void setAddOns(const QStringList& loras, const QStringList& vaes);
    bool hasModels() const;  // at least one usable model

    // Everything but the image and mask; no side effects. With Random checked the request asks
    // for a random seed (randomSeed): JobQueue::submit draws it and showSeedUsed() displays it,
    // so the recipe of every job is reproducible.
    jobs::InpaintRequest settings() const;
    quint64 seed() const;                // the seed box's value (any 64-bit seed)
    void showSeedUsed(quint64 seed);     // the seed a submitted job runs with
    // Loads a recipe back into the controls (e.g. from a result).
    void setSettings(const jobs::InpaintRequest& s);

    // "Remove object": empty prompt, a negative prompt against new objects, and the best engine
    // installed (an inpainting model; else blend with a Telea pre-fill; else classical).
    void applyObjectRemovalPreset();
    // "Fast": LCM, 4 steps, guidance 1 (no CFG pass). An LCM model runs as is; otherwise an LCM-LoRA
    // from the LoRA list (a name containing "lcm") is added, and without one fastNote() says the
    // model needs it. Returns the note.
    QString applyFastPreset();
    QString fastNote() const;

    jobs::PipelineKind pipeline() const;
    void setPipeline(jobs::PipelineKind kind);
    void setRegion(jobs::RegionMode region);
    QPushButton* inpaintButton() const { return m_inpaint; }
    QString noteText() const;
    bool neuralControlsEnabled() const;

signals:
    void inpaintRequested();

private:
    void updateEnabled();
    void matchPipelineToModel();
    void addLoraRow(const QString& file, double weight);
    void setVae(const QString& pathOrName);
    void restoreModelVae();
    void rememberModelVae();

    QList<ModelEntry> m_models;
    bool m_hadModels = false;
    QComboBox* m_pipeline;
    QComboBox* m_model;
    QSpinBox* m_radius;
    QLabel* m_radiusLabel;
    QLabel* m_note;
    QGroupBox* m_promptGroup;
    QGroupBox* m_samplingGroup;
    QPlainTextEdit* m_prompt;
    QPlainTextEdit* m_negative;
    QComboBox* m_scheduler;
    QSpinBox* m_steps;
    QDoubleSpinBox* m_guidance;
    QDoubleSpinBox* m_strength;
    QLineEdit* m_seed;
    QCheckBox* m_randomSeed;
    QPushButton* m_inpaint;
    QPushButton* m_removePreset;
    QPushButton* m_fastPreset;
    QLabel* m_fastNote;
    QGroupBox* m_maskGroup;
    QSpinBox* m_maskGrow;
    QSpinBox* m_maskBlur;
    QComboBox* m_region;
    QSpinBox* m_regionPadding;
    QComboBox* m_maskedContent;
    QCheckBox* m_pasteBack;
    QCheckBox* m_softInpaint;
    QLabel* m_pasteBackWarning;
    QGroupBox* m_addOnGroup;
    QComboBox* m_vae;
    QComboBox* m_addLora;
    QTableWidget* m_loras;
};

}  // namespace inpaint::ui
