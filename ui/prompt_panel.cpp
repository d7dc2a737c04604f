// PromptPanel (see prompt_panel.h).
#include "ui/prompt_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QSettings>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

namespace inpaint::ui {

using jobs::PipelineKind;

namespace {
constexpr int kNameRole = Qt::UserRole + 1;  // the model picker's plain model name

QPlainTextEdit* makeTextBox(const QString& placeholder, int lines, QWidget* parent) {
    auto* e = new QPlainTextEdit(parent);
    e->setPlaceholderText(placeholder);
    e->setTabChangesFocus(true);
    const int h = e->fontMetrics().lineSpacing() * lines + 12;
    e->setFixedHeight(h);
    return e;
}
}  // namespace

PromptPanel::PromptPanel(QWidget* parent) : QWidget(parent) {
    // --- engine ---
    auto* engine = new QGroupBox(tr("Engine"), this);
    m_pipeline = new QComboBox(engine);
    m_pipeline->addItem(tr("Classical · Telea"), int(PipelineKind::ClassicalTelea));
    m_pipeline->addItem(tr("Classical · Navier–Stokes"), int(PipelineKind::ClassicalNS));
    m_pipeline->addItem(tr("Blend (any SD model)"), int(PipelineKind::Blend));
    m_pipeline->addItem(tr("Inpaint UNet (inpainting model)"), int(PipelineKind::InpaintUnet));
    m_pipeline->setToolTip(tr("Classical engines fill the mask from its surroundings (OpenCV) and need no model.\n"
                              "Blend and Inpaint UNet run Stable Diffusion and need a model."));
    m_model = new QComboBox(engine);
    m_model->setObjectName(QStringLiteral("model"));
    m_model->setToolTip(tr("The Stable Diffusion model (a diffusers folder) for the neural pipelines"));
    m_radius = new QSpinBox(engine);
    m_radius->setRange(jobs::limits::kRadiusMin, jobs::limits::kRadiusMax);
    m_radius->setValue(5);
    m_radius->setSuffix(tr(" px"));
    m_radius->setToolTip(tr("How far around each missing pixel the classical engine looks"));
    m_note = new QLabel(engine);
    m_note->setWordWrap(true);
    m_note->setObjectName(QStringLiteral("modelNote"));
    auto* ef = new QFormLayout(engine);
    ef->addRow(tr("Pipeline"), m_pipeline);
    m_radiusLabel = new QLabel(tr("Radius"), engine);
    ef->addRow(m_radiusLabel, m_radius);
    ef->addRow(tr("Model"), m_model);
    ef->addRow(m_note);
    m_removePreset = new QPushButton(tr("Remove Object preset"), engine);
    m_removePreset->setObjectName(QStringLiteral("removeObjectPreset"));
    m_removePreset->setToolTip(tr("Empty prompt, a negative prompt against new objects, and the best engine you "
                                  "have: an inpainting model, else blend with a Telea pre-fill, else classical"));
    connect(m_removePreset, &QPushButton::clicked, this, &PromptPanel::applyObjectRemovalPreset);
    ef->addRow(m_removePreset);
    m_fastPreset = new QPushButton(tr("Fast preset (LCM, 4 steps)"), engine);
    m_fastPreset->setObjectName(QStringLiteral("fastPreset"));
    m_fastPreset->setToolTip(tr("LCM scheduler, 4 steps, guidance 1 (no unconditional pass): a result in 4 UNet calls. Needs an LCM model, "
                                "or an LCM-LoRA in the models folders' loras/ (added for you when there is one)"));
    connect(m_fastPreset, &QPushButton::clicked, this, &PromptPanel::applyFastPreset);
    ef->addRow(m_fastPreset);
    m_fastNote = new QLabel(engine);
    m_fastNote->setObjectName(QStringLiteral("fastNote"));
    m_fastNote->setWordWrap(true);
    m_fastNote->hide();
    ef->addRow(m_fastNote);

    // --- prompt ---
    m_promptGroup = new QGroupBox(tr("Prompt"), this);
    m_prompt = makeTextBox(tr("What should appear in the masked area (empty: remove the object)"), 2, m_promptGroup);
    m_negative = makeTextBox(tr("Negative prompt: what to avoid"), 1, m_promptGroup);
    auto* pl = new QVBoxLayout(m_promptGroup);
    pl->addWidget(m_prompt);
    pl->addWidget(m_negative);

    // --- LoRA and VAE ---
    m_addOnGroup = new QGroupBox(tr("LoRA and VAE"), this);
    m_addLora = new QComboBox(m_addOnGroup);
    m_addLora->setObjectName(QStringLiteral("addLora"));
    m_addLora->setToolTip(tr("LoRAs found in the models folders' loras/ folders. <lora:name:weight> in the prompt "
                             "works too."));
    m_loras = new QTableWidget(0, 3, m_addOnGroup);
    m_loras->setObjectName(QStringLiteral("loraTable"));
    m_loras->setHorizontalHeaderLabels({tr("LoRA"), tr("Weight"), QString()});
    m_loras->verticalHeader()->hide();
    m_loras->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_loras->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_loras->horizontalHeader()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_loras->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_loras->setSelectionMode(QAbstractItemView::NoSelection);
    m_loras->setMaximumHeight(m_loras->fontMetrics().lineSpacing() * 6 + 16);
    m_loras->hide();  // shown once a LoRA is added
    m_vae = new QComboBox(m_addOnGroup);
    m_vae->setObjectName(QStringLiteral("vae"));
    m_vae->setToolTip(tr("The VAE that encodes and decodes the image: the model's own, or one from the models "
                         "folders' vae/ folders (remembered per model)"));
    auto* af = new QFormLayout(m_addOnGroup);
    af->addRow(m_addLora);
    af->addRow(m_loras);
    af->addRow(tr("VAE"), m_vae);
    connect(m_addLora, &QComboBox::activated, this, [this](int i) {
        const QString file = m_addLora->itemData(i).toString();
        m_addLora->setCurrentIndex(0);
        if (!file.isEmpty()) addLoraRow(file, 1.0);
    });
    connect(m_vae, &QComboBox::activated, this, &PromptPanel::rememberModelVae);
    setAddOns({}, {});

    // --- sampling ---
    m_samplingGroup = new QGroupBox(tr("Sampling"), this);
    m_scheduler = new QComboBox(m_samplingGroup);
    m_scheduler->setObjectName(QStringLiteral("scheduler"));
    const QList<QPair<QString, QString>> schedulers = {
        {tr("Model default"), QStringLiteral("default")}, {QStringLiteral("DDIM"), QStringLiteral("ddim")},
        {QStringLiteral("PNDM"), QStringLiteral("pndm")}, {QStringLiteral("Euler"), QStringLiteral("euler")},
        {QStringLiteral("Euler a"), QStringLiteral("euler-a")},
        {QStringLiteral("DPM++ 2M"), QStringLiteral("dpmpp-2m")},
        {QStringLiteral("DPM++ 2M Karras"), QStringLiteral("dpmpp-2m-karras")},
        {QStringLiteral("LMS"), QStringLiteral("lms")},
        {tr("LCM (4–8 steps, LCM models and LoRAs)"), QStringLiteral("lcm")}};
    for (const auto& [label, id] : schedulers) m_scheduler->addItem(label, id);
    m_steps = new QSpinBox(m_samplingGroup);
    m_steps->setObjectName(QStringLiteral("steps"));
    m_steps->setRange(jobs::limits::kStepsMin, jobs::limits::kStepsMax);
    m_steps->setValue(30);
    m_steps->setToolTip(tr("Denoising steps: more is slower and usually finer"));
    m_guidance = new QDoubleSpinBox(m_samplingGroup);
    m_guidance->setRange(jobs::limits::kGuidanceMin, jobs::limits::kGuidanceMax);
    m_guidance->setSingleStep(0.5);
    m_guidance->setValue(7.5);
    m_guidance->setToolTip(tr("Classifier-free guidance: how closely to follow the prompt"));
    m_strength = new QDoubleSpinBox(m_samplingGroup);
    m_strength->setRange(0.01, jobs::limits::kStrengthMax);  // (0, 1] at the box's two decimals
    m_strength->setSingleStep(0.05);
    m_strength->setValue(1.0);
    m_strength->setToolTip(tr("How much of the masked area is re-imagined (1 = completely)"));
    // Every 64-bit seed (a spin box stops at 2^31 - 1 and would silently change restored recipes).
    m_seed = new QLineEdit(QStringLiteral("0"), m_samplingGroup);
    m_seed->setObjectName(QStringLiteral("seed"));
    m_seed->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,20}")), m_seed));
    m_seed->setToolTip(tr("The seed of the starting noise: the same seed and settings give the same image"));
    m_randomSeed = new QCheckBox(tr("Random"), m_samplingGroup);
    m_randomSeed->setChecked(true);
    m_randomSeed->setToolTip(tr("Draw a new seed for every job (the seed used is shown)"));
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(m_seed, 1);
    seedRow->addWidget(m_randomSeed);
    auto* sf = new QFormLayout(m_samplingGroup);
    sf->addRow(tr("Scheduler"), m_scheduler);
    sf->addRow(tr("Steps"), m_steps);
    sf->addRow(tr("Guidance"), m_guidance);
    sf->addRow(tr("Strength"), m_strength);
    sf->addRow(tr("Seed"), seedRow);

    // --- mask ---
    m_maskGroup = new QGroupBox(tr("Mask"), this);
    m_maskGrow = new QSpinBox(m_maskGroup);
    m_maskGrow->setRange(jobs::limits::kMaskGrowMin, jobs::limits::kMaskGrowMax);
    m_maskGrow->setSuffix(tr(" px"));
    m_maskGrow->setToolTip(tr("Grow (positive) or shrink (negative) the mask before inpainting"));
    m_maskBlur = new QSpinBox(m_maskGroup);
    m_maskBlur->setRange(int(jobs::limits::kMaskBlurMin), int(jobs::limits::kMaskBlurMax));
    m_maskBlur->setValue(4);
    m_maskBlur->setSuffix(tr(" px"));
    m_maskBlur->setToolTip(tr("Feather: how far outside the mask the result fades into the photo"));
    m_region = new QComboBox(m_maskGroup);
    m_region->addItem(tr("Whole image"), QVariant::fromValue(jobs::RegionMode::Whole));
    m_region->addItem(tr("Only masked"), QVariant::fromValue(jobs::RegionMode::Masked));
    m_region->setToolTip(tr("Only masked: work on a crop around the mask at the model's own size "
                            "(finer detail for small edits in large photos)"));
    m_regionPadding = new QSpinBox(m_maskGroup);
    m_regionPadding->setRange(jobs::limits::kRegionPaddingMin, jobs::limits::kRegionPaddingMax);
    m_regionPadding->setValue(32);
    m_regionPadding->setSuffix(tr(" px"));
    m_regionPadding->setToolTip(tr("Context around the mask in Only masked mode"));
    m_maskedContent = new QComboBox(m_maskGroup);
    m_maskedContent->addItem(tr("Original"), QVariant::fromValue(jobs::MaskedContent::Original));
    m_maskedContent->addItem(tr("Fill (Telea)"), QVariant::fromValue(jobs::MaskedContent::Fill));
    m_maskedContent->addItem(tr("Latent noise"), QVariant::fromValue(jobs::MaskedContent::LatentNoise));
    m_maskedContent->setToolTip(tr("Blend: what the masked area starts from. Fill pre-fills the hole from its "
                                   "surroundings, which helps ordinary models remove objects."));
    m_pasteBack = new QCheckBox(tr("Paste back (keep unmasked pixels)"), m_maskGroup);
    m_pasteBack->setChecked(true);
    m_pasteBackWarning = new QLabel(tr("Off: pixels outside the mask change too (the model re-draws the whole region)."),
                                    m_maskGroup);
    m_pasteBackWarning->setWordWrap(true);
    m_pasteBackWarning->setObjectName(QStringLiteral("pasteBackWarning"));
    m_pasteBackWarning->setVisible(false);
    m_softInpaint = new QCheckBox(tr("Soft inpainting"), m_maskGroup);
    m_softInpaint->setObjectName(QStringLiteral("softInpaint"));
    m_softInpaint->setToolTip(tr("The mask's grey levels (and its blur) say how much each pixel may change: "
                                 "soft edges blend into the picture (Differential Diffusion)."));
    auto* mf = new QFormLayout(m_maskGroup);
    mf->addRow(tr("Grow"), m_maskGrow);
    mf->addRow(tr("Blur"), m_maskBlur);
    mf->addRow(tr("Region"), m_region);
    mf->addRow(tr("Padding"), m_regionPadding);
    mf->addRow(tr("Content"), m_maskedContent);
    mf->addRow(m_softInpaint);
    mf->addRow(m_pasteBack);
    mf->addRow(m_pasteBackWarning);

    // --- run ---
    m_inpaint = new QPushButton(QIcon(QStringLiteral(":/icons/inpaint.svg")), tr("Inpaint"), this);
    m_inpaint->setObjectName(QStringLiteral("inpaintButton"));
    m_inpaint->setToolTip(tr("Fill the masked area (Ctrl+Return)"));
    m_inpaint->setMinimumHeight(34);
    m_inpaint->setDefault(true);
    connect(m_inpaint, &QPushButton::clicked, this, &PromptPanel::inpaintRequested);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(engine);
    layout->addWidget(m_promptGroup);
    layout->addWidget(m_addOnGroup);
    layout->addWidget(m_samplingGroup);
    layout->addWidget(m_maskGroup);
    layout->addWidget(m_inpaint);  // the main window may move it below its scroll area
    layout->addStretch(1);

    connect(m_pipeline, &QComboBox::currentIndexChanged, this, &PromptPanel::updateEnabled);
    connect(m_model, &QComboBox::currentIndexChanged, this, &PromptPanel::matchPipelineToModel);
    connect(m_model, &QComboBox::currentIndexChanged, this, &PromptPanel::restoreModelVae);
    connect(m_randomSeed, &QCheckBox::toggled, this, &PromptPanel::updateEnabled);
    connect(m_scheduler, &QComboBox::currentIndexChanged, this, [this] {
        if (m_scheduler->currentData().toString() != QLatin1String("lcm")) m_fastNote->hide();
    });
    connect(m_region, &QComboBox::currentIndexChanged, this, &PromptPanel::updateEnabled);
    connect(m_pasteBack, &QCheckBox::toggled, this, &PromptPanel::updateEnabled);
    setModels({});
}

void PromptPanel::setModels(const QList<ModelEntry>& models) {
    const QString previous = m_model->currentData().toString();
    m_models = models;
    m_model->clear();
    if (models.isEmpty()) {
        m_model->addItem(tr("No model installed"));
    } else {
        auto* items = qobject_cast<QStandardItemModel*>(m_model->model());
        for (const ModelEntry& m : models) {
            if (!m.error.isEmpty()) {
                m_model->addItem(tr("%1 (cannot load)").arg(m.name));
                m_model->setItemData(m_model->count() - 1, m.error, Qt::ToolTipRole);
                if (QStandardItem* item = items ? items->item(m_model->count() - 1) : nullptr) item->setEnabled(false);
                continue;
            }
            m_model->addItem(m.label(), m.path);
            m_model->setItemData(m_model->count() - 1, m.name, kNameRole);
            if (!m.description.isEmpty())
                m_model->setItemData(m_model->count() - 1, m.description, Qt::ToolTipRole);
        }
        // Keep the person's choice across rescans; otherwise the first usable model.
        int pick = m_model->findData(previous);
        for (int i = 0; pick < 0 && i < m_model->count(); ++i)
            if (m_model->itemData(i).isValid()) pick = i;
        if (pick >= 0) m_model->setCurrentIndex(pick);
    }
    const bool usable = hasModels();
    // Neural pipelines cannot be picked without a model.
    auto* model = qobject_cast<QStandardItemModel*>(m_pipeline->model());
    for (int i = 0; i < m_pipeline->count(); ++i) {
        const auto kind = PipelineKind(m_pipeline->itemData(i).toInt());
        if (jobs::isClassical(kind)) continue;
        if (QStandardItem* item = model ? model->item(i) : nullptr) {
            item->setEnabled(usable);
            item->setToolTip(usable ? QString() : tr("Needs a Stable Diffusion model; none is installed"));
        }
    }
    if (!usable && !jobs::isClassical(pipeline())) setPipeline(PipelineKind::ClassicalTelea);
    // The first time models appear, the neural pipeline becomes the default (classical is the
    // default only without a model).
    if (usable && !m_hadModels && jobs::isClassical(pipeline())) setPipeline(PipelineKind::Blend);
    m_hadModels = m_hadModels || usable;
    matchPipelineToModel();
    updateEnabled();
}

void PromptPanel::setAddOns(const QStringList& loras, const QStringList& vaes) {
    m_addLora->clear();
    m_addLora->addItem(loras.isEmpty() ? tr("No LoRA in the models folders (loras/)") : tr("Add LoRA…"));
    for (const QString& f : loras) {
        m_addLora->addItem(QFileInfo(f).completeBaseName(), f);
        m_addLora->setItemData(m_addLora->count() - 1, f, Qt::ToolTipRole);
    }
    m_addLora->setEnabled(!loras.isEmpty());
    const QString current = m_vae->currentData().toString();
    m_vae->clear();
    m_vae->addItem(tr("Model's own VAE"), QString());
    for (const QString& f : vaes) {
        m_vae->addItem(QFileInfo(f).fileName(), f);
        m_vae->setItemData(m_vae->count() - 1, f, Qt::ToolTipRole);
    }
    setVae(current);
    restoreModelVae();
}

void PromptPanel::addLoraRow(const QString& file, double weight) {
    // One row per file: adding it again only sets the weight.
    for (int row = 0; row < m_loras->rowCount(); ++row) {
        if (m_loras->item(row, 0)->data(Qt::UserRole).toString() != file) continue;
        if (auto* w = qobject_cast<QDoubleSpinBox*>(m_loras->cellWidget(row, 1))) w->setValue(weight);
        return;
    }
    const int row = m_loras->rowCount();
    m_loras->insertRow(row);
    auto* name = new QTableWidgetItem(QFileInfo(file).completeBaseName());
    name->setData(Qt::UserRole, file);
    name->setToolTip(file);
    m_loras->setItem(row, 0, name);
    auto* w = new QDoubleSpinBox(m_loras);
    w->setObjectName(QStringLiteral("loraWeight"));
    w->setRange(-jobs::limits::kLoraWeightMax, jobs::limits::kLoraWeightMax);
    w->setDecimals(2);
    w->setSingleStep(0.05);
    w->setValue(weight);
    w->setToolTip(tr("Multiplier of the LoRA (A1111's <lora:name:weight>)"));
    m_loras->setCellWidget(row, 1, w);
    auto* remove = new QToolButton(m_loras);
    remove->setObjectName(QStringLiteral("removeLora"));
    remove->setText(QStringLiteral("×"));
    remove->setToolTip(tr("Remove this LoRA"));
    connect(remove, &QToolButton::clicked, this, [this, remove] {
        for (int r = 0; r < m_loras->rowCount(); ++r)
            if (m_loras->cellWidget(r, 2) == remove) {
                m_loras->removeRow(r);
                m_loras->setVisible(m_loras->rowCount() > 0);
                return;
            }
    });
    m_loras->setCellWidget(row, 2, remove);
    m_loras->show();
}

void PromptPanel::setVae(const QString& pathOrName) {
    int i = m_vae->findData(pathOrName);
    for (int k = 1; i < 0 && k < m_vae->count(); ++k)  // a recipe names the file only
        if (QFileInfo(m_vae->itemData(k).toString()).fileName() == pathOrName) i = k;
    if (i < 0 && !pathOrName.isEmpty()) {  // not in the folders: keep it, it may still load
        m_vae->addItem(QFileInfo(pathOrName).fileName(), pathOrName);
        i = m_vae->count() - 1;
    }
    m_vae->setCurrentIndex(std::max(0, i));
}

namespace {
QString vaeKey(const QString& model) {
    return QStringLiteral("models/vae/") + QString::fromLatin1(QUrl::toPercentEncoding(model));
}
}  // namespace

void PromptPanel::restoreModelVae() {
    const QString model = m_model->currentData().toString();
    if (model.isEmpty()) return;
    const QString vae = QSettings().value(vaeKey(model)).toString();
    if (vae.isEmpty() || QFileInfo::exists(vae)) setVae(vae);
}

void PromptPanel::rememberModelVae() {
    const QString model = m_model->currentData().toString();
    if (!model.isEmpty()) QSettings().setValue(vaeKey(model), m_vae->currentData().toString());
}

QString PromptPanel::applyFastPreset() {
    m_scheduler->setCurrentIndex(m_scheduler->findData(QStringLiteral("lcm")));
    m_steps->setValue(4);
    m_guidance->setValue(1.0);
    const auto isLcm = [](const QString& name) { return name.contains(QLatin1String("lcm"), Qt::CaseInsensitive); };
    QString note;
    const QString modelName = m_model->currentData(kNameRole).toString();
    if (isLcm(modelName)) {
        note = tr("%1 is an LCM model: 4 steps are enough.").arg(modelName);
    } else {
        QString lora, file;
        for (int row = 0; row < m_loras->rowCount() && lora.isEmpty(); ++row)
            if (isLcm(m_loras->item(row, 0)->text())) lora = m_loras->item(row, 0)->text();
        for (int i = 1; i < m_addLora->count() && lora.isEmpty(); ++i)
            if (isLcm(m_addLora->itemText(i))) {
                lora = m_addLora->itemText(i);
                file = m_addLora->itemData(i).toString();
            }
        if (!file.isEmpty()) addLoraRow(file, 1.0);
        QString family;
        for (const ModelEntry& m : m_models)
            if (m.path == m_model->currentData().toString()) family = m.family;
        // The LCM-LoRA of the model's family (the SD 1.5 one does not fit SDXL, and the reverse).
        const QString example = family == QLatin1String("SDXL") ? QStringLiteral("lcm-lora-sdxl.safetensors")
                                                                : QStringLiteral("lcm-lora-sdv1-5.safetensors");
        note = lora.isEmpty()
                   ? tr("%1 is not an LCM model: it needs an LCM-LoRA (e.g. %2) in a loras/ "
                        "folder of the models folders; without one, 4 LCM steps give a blurred image.")
                         .arg(modelName, example)
                   : tr("Runs with the LCM-LoRA %1.").arg(lora);
    }
    m_fastNote->setText(note);
    m_fastNote->show();
    updateEnabled();
    return note;
}

QString PromptPanel::fastNote() const { return m_fastNote->isHidden() ? QString() : m_fastNote->text(); }

void PromptPanel::applyObjectRemovalPreset() {
    m_prompt->clear();
    m_negative->setPlainText(tr("object, person, animal, text, watermark, logo, frame, blurry, distorted, artifacts"));
    m_guidance->setValue(7.5);
    m_strength->setValue(1.0);
    const ModelEntry* inpainting = nullptr;
    const ModelEntry* ordinary = nullptr;
    for (const ModelEntry& m : m_models) {
        if (!m.error.isEmpty()) continue;
        if (m.inpainting && !inpainting) inpainting = &m;
        if (!m.inpainting && !ordinary) ordinary = &m;
    }
    if (inpainting) {
        m_model->setCurrentIndex(m_model->findData(inpainting->path));
        setPipeline(PipelineKind::InpaintUnet);
    } else if (ordinary) {
        m_model->setCurrentIndex(m_model->findData(ordinary->path));
        setPipeline(PipelineKind::Blend);
        m_maskedContent->setCurrentIndex(m_maskedContent->findData(QVariant::fromValue(jobs::MaskedContent::Fill)));
    } else {
        setPipeline(PipelineKind::ClassicalTelea);
    }
    updateEnabled();
}

void PromptPanel::matchPipelineToModel() {
    // A 9-channel model only runs inpaint-unet, a 4-channel one only blend.
    const QString path = m_model->currentData().toString();
    for (const ModelEntry& m : m_models) {
        if (m.path != path || !m.error.isEmpty()) continue;
        if (m.inpainting && pipeline() == PipelineKind::Blend) setPipeline(PipelineKind::InpaintUnet);
        if (!m.inpainting && pipeline() == PipelineKind::InpaintUnet) setPipeline(PipelineKind::Blend);
    }
}

bool PromptPanel::hasModels() const {
    for (const ModelEntry& m : m_models)
        if (m.error.isEmpty()) return true;
    return false;
}

PipelineKind PromptPanel::pipeline() const { return PipelineKind(m_pipeline->currentData().toInt()); }

void PromptPanel::setPipeline(PipelineKind kind) {
    const int i = m_pipeline->findData(int(kind));
    if (i >= 0) m_pipeline->setCurrentIndex(i);
}

bool PromptPanel::neuralControlsEnabled() const { return m_promptGroup->isEnabled(); }

QString PromptPanel::noteText() const { return m_note->text(); }

void PromptPanel::updateEnabled() {
    const bool classical = jobs::isClassical(pipeline());
    const bool neural = !classical && hasModels();
    m_radius->setEnabled(classical);
    m_radiusLabel->setEnabled(classical);
    m_model->setEnabled(hasModels() && !classical);
    m_fastPreset->setEnabled(neural);
    m_promptGroup->setEnabled(neural);
    m_addOnGroup->setEnabled(neural);
    m_samplingGroup->setEnabled(neural);
    m_seed->setEnabled(neural && !m_randomSeed->isChecked());
    m_region->setEnabled(neural);
    m_regionPadding->setEnabled(neural && m_region->currentData().value<jobs::RegionMode>() == jobs::RegionMode::Masked);
    m_maskedContent->setEnabled(neural && pipeline() == PipelineKind::Blend);
    m_pasteBack->setEnabled(neural);
    m_softInpaint->setEnabled(neural);
    m_pasteBackWarning->setVisible(neural && !m_pasteBack->isChecked());
    if (!hasModels()) {
        m_note->setText(tr("No model installed, so prompt and sampling are off. The classical engines "
                           "need none: they fill the mask from its surroundings."));
    } else if (classical) {
        m_note->setText(tr("The classical engines ignore the prompt; pick Blend or Inpaint UNet to use the model."));
    } else {
        m_note->clear();
    }
    m_note->setVisible(!m_note->text().isEmpty());
}

jobs::InpaintRequest PromptPanel::settings() const {
    jobs::InpaintRequest r;
    r.pipeline = pipeline();
    r.classicalRadius = m_radius->value();
    r.modelPath = hasModels() ? m_model->currentData().toString() : QString();
    r.prompt = m_prompt->toPlainText().trimmed();
    r.negativePrompt = m_negative->toPlainText().trimmed();
    r.scheduler = m_scheduler->currentData().toString();
    r.steps = m_steps->value();
    r.guidance = m_guidance->value();
    r.strength = m_strength->value();
    // No side effect: a random seed is drawn when the job is submitted (showSeedUsed shows it).
    r.randomSeed = m_randomSeed->isChecked();
    r.seed = seed();
    r.maskGrow = m_maskGrow->value();
    r.maskBlur = m_maskBlur->value();
    r.region = m_region->currentData().value<jobs::RegionMode>();
    r.regionPadding = m_regionPadding->value();
    r.maskedContent = m_maskedContent->currentData().value<jobs::MaskedContent>();
    r.pasteBack = m_pasteBack->isChecked();
    r.softInpaint = m_softInpaint->isChecked();
    for (int row = 0; row < m_loras->rowCount(); ++row) {
        const auto* w = qobject_cast<QDoubleSpinBox*>(m_loras->cellWidget(row, 1));
        r.loras.append({m_loras->item(row, 0)->data(Qt::UserRole).toString(), w ? w->value() : 1.0});
    }
    r.vaePath = m_vae->currentData().toString();
    return r;
}

void PromptPanel::setRegion(jobs::RegionMode region) {
    if (const int i = m_region->findData(QVariant::fromValue(region)); i >= 0) m_region->setCurrentIndex(i);
}

quint64 PromptPanel::seed() const {
    bool ok = false;
    const quint64 v = m_seed->text().toULongLong(&ok);  // > 2^64 - 1 or empty: not ok
    return ok ? v : 0;
}

void PromptPanel::showSeedUsed(quint64 seed) {
    m_seed->setText(QString::number(seed));
}

void PromptPanel::setSettings(const jobs::InpaintRequest& s) {
    setPipeline(s.pipeline);
    m_radius->setValue(s.classicalRadius);
    if (const int i = m_model->findData(s.modelPath); i >= 0) m_model->setCurrentIndex(i);
    m_prompt->setPlainText(s.prompt);
    m_negative->setPlainText(s.negativePrompt);
    if (const int i = m_scheduler->findData(s.scheduler); i >= 0) m_scheduler->setCurrentIndex(i);
    m_steps->setValue(s.steps);
    m_guidance->setValue(s.guidance);
    m_strength->setValue(s.strength);
    m_randomSeed->setChecked(s.randomSeed);
    m_seed->setText(QString::number(s.seed));
    m_maskGrow->setValue(s.maskGrow);
    m_maskBlur->setValue(int(std::lround(s.maskBlur)));
    if (const int i = m_region->findData(QVariant::fromValue(s.region)); i >= 0) m_region->setCurrentIndex(i);
    m_regionPadding->setValue(s.regionPadding);
    if (const int i = m_maskedContent->findData(QVariant::fromValue(s.maskedContent)); i >= 0)
        m_maskedContent->setCurrentIndex(i);
    m_pasteBack->setChecked(s.pasteBack);
    m_softInpaint->setChecked(s.softInpaint);
    m_loras->setRowCount(0);
    for (const jobs::LoraUse& l : s.loras) {
        QString file = l.file;
        if (!QFileInfo::exists(file))  // a recipe names the LoRA by its stem
            for (int i = 1; i < m_addLora->count(); ++i)
                if (m_addLora->itemText(i) == QFileInfo(file).completeBaseName()) file = m_addLora->itemData(i).toString();
        addLoraRow(file, l.weight);
    }
    m_loras->setVisible(m_loras->rowCount() > 0);
    setVae(s.vaePath);
    updateEnabled();
}

}  // namespace inpaint::ui
