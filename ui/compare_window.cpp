// CompareWindow (see compare_window.h).
#include "ui/compare_window.h"

#include "core/document/document.h"
#include "core/imaging/compare_sheet.h"
#include "core/imaging/heatmap.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/engine_info.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"
#include "core/jobs/recipe.h"
#include "ui/dialogs.h"
#include "ui/frame_history.h"
#include "ui/synced_image_view.h"

#include <QCheckBox>
#include <cmath>
#include <QComboBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSpinBox>
#include <QPainter>
#include <QPointer>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

namespace inpaint::ui {

using jobs::PipelineKind;

struct CompareWindow::Slot {
    QWidget* box = nullptr;
    QComboBox* model = nullptr;
    QComboBox* pipeline = nullptr;
    QComboBox* scheduler = nullptr;
    QSpinBox* steps = nullptr;          // 0: the shared value
    QDoubleSpinBox* guidance = nullptr; // below 0: the shared value
    QDoubleSpinBox* strength = nullptr; // 0: the shared value
    QPushButton* use = nullptr;
    QPushButton* cancel = nullptr;
    SyncedImageView* view = nullptr;
    QPointer<jobs::JobHandle> job;  // a child of the window: closing it cancels the job
    // Step previews, scaled to at most 1024 px and held within 128 MB per slot (thinned past it).
    FrameHistory frames{qint64(128) << 20, 1024};
    int stepsRun = 0;  // the slot's step count (frames may hold fewer after thinning)
    jobs::InpaintResult result;
    jobs::InpaintRequest request;
};

namespace {
constexpr int kMaxSlots = 4;
const QString kClassicalTelea = QStringLiteral("classical-telea");
const QString kClassicalNS = QStringLiteral("classical-ns");
}  // namespace

CompareWindow::CompareWindow(document::Document* doc, jobs::JobQueue* queue, Dialogs* dialogs, QWidget* parent)
    : QWidget(parent, Qt::Window), m_doc(doc), m_queue(queue), m_dialogs(dialogs) {
    setWindowTitle(tr("Compare Models"));
    setObjectName(QStringLiteral("compareWindow"));
    resize(1200, 800);

    m_count = new QComboBox(this);
    for (int n = 2; n <= kMaxSlots; ++n) m_count->addItem(tr("%n slot(s)", "", n), n);
    auto* removal = new QPushButton(tr("Object removal preset"), this);
    auto* schedulers = new QPushButton(tr("Every scheduler preset"), this);
    m_run = new QPushButton(tr("Run all"), this);
    m_cancel = new QPushButton(tr("Cancel all"), this);
    m_export = new QPushButton(tr("Export sheet…"), this);
    m_difference = new QCheckBox(tr("Difference to slot 1"), this);
    m_difference->setToolTip(tr("Show |slot − slot 1| as a heatmap (yellow: large change)"));
    m_stepSlider = new QSlider(Qt::Horizontal, this);
    m_stepSlider->setObjectName(QStringLiteral("stepSlider"));
    m_stepSlider->setRange(0, 0);
    m_stepSlider->setToolTip(tr("Scrub every slot to the same step (right end: the results)"));
    m_ab = new QCheckBox(tr("A/B split"), this);
    m_abA = new QComboBox(this);
    m_abB = new QComboBox(this);
    for (QComboBox* b : {m_abA, m_abB}) {
        b->addItem(tr("Original"), -1);
        for (int i = 0; i < kMaxSlots; ++i) b->addItem(tr("Slot %1").arg(i + 1), i);
    }
    m_abA->setCurrentIndex(1);
    m_abSplit = new QSlider(Qt::Horizontal, this);
    m_abSplit->setRange(0, 1000);
    m_abSplit->setValue(500);
    m_abSplit->setToolTip(tr("Where the split line is: A on the left, B on the right"));
    m_abView = new SyncedImageView(this);
    m_abView->setObjectName(QStringLiteral("splitView"));
    m_abView->hide();
    m_note = new QLabel(this);
    m_note->setWordWrap(true);
    m_status = new QLabel(this);

    auto* top = new QHBoxLayout;
    top->addWidget(m_count);
    top->addWidget(removal);
    top->addWidget(schedulers);
    top->addStretch(1);
    top->addWidget(m_run);
    top->addWidget(m_cancel);
    top->addWidget(m_export);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(new QLabel(tr("Step"), this));
    bottom->addWidget(m_stepSlider, 1);
    bottom->addWidget(m_difference);
    bottom->addWidget(m_ab);
    bottom->addWidget(m_abA);
    bottom->addWidget(m_abB);
    bottom->addWidget(m_abSplit, 1);
    m_grid = new QGridLayout;
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_note);
    layout->addLayout(m_grid, 1);
    layout->addWidget(m_abView, 1);
    layout->addLayout(bottom);
    layout->addWidget(m_status);

    for (int i = 0; i < kMaxSlots; ++i) {
        auto* s = new Slot;
        s->box = new QWidget(this);
        s->model = new QComboBox(s->box);
        s->pipeline = new QComboBox(s->box);
        for (PipelineKind k : {PipelineKind::Auto, PipelineKind::Blend, PipelineKind::InpaintUnet})
            s->pipeline->addItem(jobs::pipelineName(k), int(k));
        s->scheduler = new QComboBox(s->box);
        for (const QString& n : jobs::schedulerNames()) s->scheduler->addItem(n, n);
        s->steps = new QSpinBox(s->box);
        s->steps->setRange(0, 150);
        s->steps->setSpecialValueText(tr("steps"));
        s->steps->setToolTip(tr("This slot's steps (\"steps\": the shared value)"));
        s->guidance = new QDoubleSpinBox(s->box);
        s->guidance->setRange(-0.5, 30.0);
        s->guidance->setSingleStep(0.5);
        s->guidance->setValue(-0.5);
        s->guidance->setSpecialValueText(tr("cfg"));
        s->guidance->setToolTip(tr("This slot's guidance (\"cfg\": the shared value)"));
        s->strength = new QDoubleSpinBox(s->box);
        s->strength->setRange(0.0, 1.0);
        s->strength->setSingleStep(0.05);
        s->strength->setSpecialValueText(tr("strength"));
        s->strength->setToolTip(tr("This slot's strength (\"strength\": the shared value)"));
        s->use = new QPushButton(tr("Use"), s->box);
        s->use->setToolTip(tr("Send this result to the results strip of the image"));
        s->use->setEnabled(false);
        s->cancel = new QPushButton(tr("Cancel"), s->box);
        s->cancel->setEnabled(false);
        s->view = new SyncedImageView(s->box);
        s->view->setObjectName(QStringLiteral("slotView%1").arg(i + 1));
        auto* row = new QHBoxLayout;
        row->addWidget(s->model, 2);
        row->addWidget(s->pipeline, 1);
        row->addWidget(s->scheduler, 1);
        row->addWidget(s->steps);
        row->addWidget(s->guidance);
        row->addWidget(s->strength);
        row->addWidget(s->use);
        row->addWidget(s->cancel);
        auto* col = new QVBoxLayout(s->box);
        col->setContentsMargins(0, 0, 0, 0);
        col->addLayout(row);
        col->addWidget(s->view, 1);
        m_grid->addWidget(s->box, i / 2, i % 2);
        m_slots << s;
        connect(s->view, &SyncedImageView::viewChanged, this, [this, i](double z, QPointF c) {
            for (int j = 0; j < m_slots.size(); ++j)
                if (j != i) m_slots[j]->view->setView(z, c);
        });
        connect(s->use, &QPushButton::clicked, this, [this, i] {
            if (m_slots[i]->result.ok()) emit useResult(m_slots[i]->result, m_slots[i]->request);
        });
        connect(s->cancel, &QPushButton::clicked, this, [this, i] { cancelSlot(i); });
        connect(s->model, &QComboBox::currentIndexChanged, this, &CompareWindow::updateNoiseNote);
        connect(s->pipeline, &QComboBox::currentIndexChanged, this, &CompareWindow::updateNoiseNote);
    }
    connect(m_count, &QComboBox::currentIndexChanged, this, [this] { setSlotCount(m_count->currentData().toInt()); });
    connect(removal, &QPushButton::clicked, this, &CompareWindow::applyObjectRemovalPreset);
    connect(schedulers, &QPushButton::clicked, this, &CompareWindow::applySchedulerPreset);
    connect(m_run, &QPushButton::clicked, this, &CompareWindow::run);
    connect(m_cancel, &QPushButton::clicked, this, &CompareWindow::cancelAll);
    connect(m_export, &QPushButton::clicked, this, qOverload<>(&CompareWindow::exportSheet));
    connect(m_stepSlider, &QSlider::valueChanged, this, &CompareWindow::refreshViews);
    connect(m_difference, &QCheckBox::toggled, this, &CompareWindow::refreshViews);
    connect(m_ab, &QCheckBox::toggled, this, [this](bool on) {
        for (int i = 0; i < m_slots.size(); ++i) m_slots[i]->box->setVisible(!on && i < slotCount());
        m_abView->setVisible(on);
        refreshViews();
    });
    connect(m_abA, &QComboBox::currentIndexChanged, this, &CompareWindow::refreshViews);
    connect(m_abB, &QComboBox::currentIndexChanged, this, &CompareWindow::refreshViews);
    connect(m_abSplit, &QSlider::valueChanged, this, &CompareWindow::refreshViews);
    connect(m_abView, &SyncedImageView::viewChanged, this, [this](double z, QPointF c) {
        for (Slot* s : m_slots) s->view->setView(z, c);
    });
    setSlotCount(2);
    setModels({});
}

CompareWindow::~CompareWindow() {
    // The slots' job handles are children of this window: their destructors raise the jobs'
    // cancel flags. Nothing here touches the queue, which may already be gone at quit.
    qDeleteAll(m_slots);
}

void CompareWindow::setModels(const QList<ModelEntry>& models) {
    m_models = models;
    for (Slot* s : m_slots) {
        const QString previous = s->model->currentData().toString();
        s->model->clear();
        for (const ModelEntry& m : models)
            if (m.error.isEmpty()) s->model->addItem(m.name, m.path);
        s->model->addItem(tr("Classical · Telea"), kClassicalTelea);
        s->model->addItem(tr("Classical · Navier–Stokes"), kClassicalNS);
        if (const int i = s->model->findData(previous); i >= 0) s->model->setCurrentIndex(i);
    }
    updateNoiseNote();
}

void CompareWindow::setSharedSettings(const jobs::InpaintRequest& settings) { m_shared = settings; }

int CompareWindow::slotCount() const { return m_count->currentData().toInt(); }

void CompareWindow::setSlotCount(int n) {
    n = std::clamp(n, 2, kMaxSlots);
    if (m_count->currentData().toInt() != n) m_count->setCurrentIndex(m_count->findData(n));
    for (int i = 0; i < m_slots.size(); ++i) m_slots[i]->box->setVisible(i < n);
    updateNoiseNote();
}

void CompareWindow::setSlotOverrides(int i, std::optional<int> steps, std::optional<double> guidance,
                                     std::optional<double> strength) {
    if (i < 0 || i >= m_slots.size()) return;
    Slot* s = m_slots[i];
    s->steps->setValue(steps.value_or(0));
    s->guidance->setValue(guidance.value_or(-0.5));
    s->strength->setValue(strength.value_or(0.0));
}

void CompareWindow::setSlot(int i, const QString& modelPath, PipelineKind pipeline, const QString& scheduler) {
    if (i < 0 || i >= m_slots.size()) return;
    Slot* s = m_slots[i];
    if (jobs::isClassical(pipeline)) {
        s->model->setCurrentIndex(s->model->findData(pipeline == PipelineKind::ClassicalNS ? kClassicalNS : kClassicalTelea));
    } else {
        s->model->setCurrentIndex(s->model->findData(modelPath));
        s->pipeline->setCurrentIndex(s->pipeline->findData(int(pipeline)));
    }
    s->scheduler->setCurrentIndex(s->scheduler->findData(scheduler));
}

jobs::CompareSlot CompareWindow::slotAt(int i) const {
    jobs::CompareSlot c;
    const Slot* s = m_slots.at(i);
    const QString data = s->model->currentData().toString();
    if (data == kClassicalTelea || data == kClassicalNS) {
        c.pipeline = data == kClassicalNS ? PipelineKind::ClassicalNS : PipelineKind::ClassicalTelea;
    } else {
        c.modelPath = data;
        c.pipeline = PipelineKind(s->pipeline->currentData().toInt());
        c.scheduler = s->scheduler->currentData().toString();
        if (s->steps->value() > 0) c.steps = s->steps->value();
        if (s->guidance->value() >= 0.0) c.guidance = s->guidance->value();
        if (s->strength->value() > 0.0) c.strength = s->strength->value();
    }
    return c;
}

jobs::InpaintRequest CompareWindow::slotRequest(int i) const {
    jobs::InpaintRequest r = jobs::slotRequest(m_shared, slotAt(i));
    // The "masked content" of the object-removal preset's second blend slot.
    if (m_slots[i]->pipeline->property("fill").toBool() && r.pipeline == PipelineKind::Blend)
        r.maskedContent = jobs::MaskedContent::Fill;
    return r;
}

void CompareWindow::applyObjectRemovalPreset() {
    const ModelEntry* ordinary = nullptr;
    const ModelEntry* inpainting = nullptr;
    for (const ModelEntry& m : m_models) {
        if (!m.error.isEmpty()) continue;
        if (m.inpainting && !inpainting) inpainting = &m;
        if (!m.inpainting && !ordinary) ordinary = &m;
    }
    m_shared.prompt.clear();
    int n = 0;
    for (int i = 0; i < m_slots.size(); ++i) {
        m_slots[i]->pipeline->setProperty("fill", false);
        setSlotOverrides(i, {});
    }
    if (ordinary) {
        setSlot(n++, ordinary->path, PipelineKind::Blend);
        setSlot(n, ordinary->path, PipelineKind::Blend);
        m_slots[n++]->pipeline->setProperty("fill", true);
    }
    if (inpainting) setSlot(n++, inpainting->path, PipelineKind::InpaintUnet);
    setSlot(n++, QString(), PipelineKind::ClassicalTelea);
    setSlotCount(std::max(2, n));
    m_status->setText(tr("Object removal: empty prompt; %1").arg(ordinary ? tr("slot 2 pre-fills the hole (Telea)") : QString()));
}

void CompareWindow::applySchedulerPreset() {
    QString model;
    for (const ModelEntry& m : m_models)
        if (m.error.isEmpty()) {
            model = m.path;
            break;
        }
    if (model.isEmpty()) return;
    const QStringList names{QStringLiteral("ddim"), QStringLiteral("euler-a"), QStringLiteral("dpmpp-2m-karras"),
                            QStringLiteral("lms")};
    for (int i = 0; i < kMaxSlots; ++i) {
        m_slots[i]->pipeline->setProperty("fill", false);
        setSlotOverrides(i, {});
        setSlot(i, model, PipelineKind::Auto, names[i]);
    }
    setSlotCount(kMaxSlots);
}

QString CompareWindow::noiseNote() const { return m_note->text(); }

void CompareWindow::updateNoiseNote() {
    // Every slot starts from the seed's first draw (shared noise); only the latent size can differ,
    // when a slot's model has another VAE scale or latent channel count than the others.
    QSet<QString> shapes;
    for (int i = 0; i < slotCount() && i < m_slots.size(); ++i) {
        const jobs::CompareSlot c = slotAt(i);
        if (jobs::isClassical(c.pipeline)) continue;
        QString kind = QStringLiteral("sd");
        for (const ModelEntry& m : m_models)
            if (m.path == c.modelPath) kind = m.latentShape;
        shapes.insert(kind);
    }
    m_note->setText(shapes.size() > 1
                        ? tr("These models have different latent sizes, so their slots cannot start from the same noise "
                             "(each still uses the same seed).")
                        : tr("Every slot uses the same seed and starts from identical noise."));
}

bool CompareWindow::run() {
    if (m_doc->isNull()) {
        m_status->setText(tr("Open an image first."));
        return false;
    }
    m_doc->commitActiveStroke();
    const QImage mask = m_doc->combinedMask();
    if (imaging::maskBoundingBox(mask).isEmpty()) {
        m_status->setText(tr("Paint a mask first."));
        return false;
    }
    cancelAll();
    m_runShared = m_shared;
    m_runSerial = m_doc->serial();
    m_runImageState = m_doc->imageState();
    m_runShared.image = m_doc->image();
    m_runShared.mask = mask;
    m_runShared.resolveSeed();  // one seed for every slot
    for (int i = 0; i < m_slots.size(); ++i) {
        Slot* s = m_slots[i];
        s->frames.clear();
        s->stepsRun = 0;
        s->result = jobs::InpaintResult();
        s->job = nullptr;
        s->use->setEnabled(false);
        s->view->setImage(m_runShared.image);
        if (i >= slotCount()) continue;
        jobs::InpaintRequest r = slotRequest(i);
        r.image = m_runShared.image;
        r.mask = m_runShared.mask;
        s->request = r;
        s->request.image = {};
        s->request.mask = {};
        s->job = m_queue->submit(r, this);
        s->cancel->setEnabled(true);
        m_jobs.insert(s->job->id(), i);
        connect(s->job, &jobs::JobHandle::progress, this,
                [this, i](int step, int total, const QImage& preview) { onStep(i, step, total, preview); });
        connect(s->job, &jobs::JobHandle::finished, this, [this, i](const jobs::InpaintResult& r) { onFinished(i, r); });
        s->view->setLabel(tr("%1 · queued").arg(jobs::slotLabel(slotAt(i), r, jobs::InpaintResult())));
    }
    m_stepSlider->setRange(0, 0);
    m_status->setText(tr("Running %n slot(s) one after another…", "", slotCount()));
    return true;
}

void CompareWindow::cancelAll() {
    for (Slot* s : std::as_const(m_slots))
        if (s->job) s->job->cancel();
}

void CompareWindow::cancelSlot(int i) {
    if (i >= 0 && i < m_slots.size() && m_slots[i]->job) m_slots[i]->job->cancel();
}

void CompareWindow::onStep(int i, int step, int total, const QImage& preview) {
    if (i < 0 || i >= m_slots.size() || preview.isNull()) return;
    Slot* s = m_slots[i];
    s->frames.add(0, step, preview);
    s->stepsRun = step;
    const bool atEnd = m_stepSlider->value() == m_stepSlider->maximum();
    int longest = 0;
    for (Slot* o : m_slots) longest = std::max(longest, o->stepsRun);
    m_stepSlider->setRange(0, longest);
    if (atEnd) m_stepSlider->setValue(longest);
    s->view->setLabel(tr("%1 · step %2/%3").arg(jobs::slotLabel(slotAt(i), s->request, jobs::InpaintResult()).section(QStringLiteral(" · "), 0, -2)).arg(step).arg(total));
    refreshViews();
}

void CompareWindow::onFinished(int i, const jobs::InpaintResult& r) {
    if (!m_jobs.remove(r.jobId) || i < 0 || i >= m_slots.size()) return;
    Slot* s = m_slots[i];
    s->job = nullptr;
    s->result = r;
    s->cancel->setEnabled(false);
    s->use->setEnabled(r.ok());
    QString label = jobs::slotLabel(slotAt(i), s->request, r);
    if (!r.ok() && !r.error.isEmpty()) label += QStringLiteral(": ") + r.error;
    s->view->setLabel(label);
    s->view->setToolTip(r.error);
    refreshViews();
    if (m_jobs.isEmpty()) {
        m_status->setText(tr("Done. Scrub the steps, zoom any view (the others follow), export the sheet."));
        emit finished();
    }
}

QImage CompareWindow::shownImage(int i) const {
    if (i < 0 || i >= m_slots.size()) return m_runShared.image;
    const int step = m_stepSlider->value();
    const Slot* s = m_slots[i];
    QImage img;
    if (step == m_stepSlider->maximum() && s->result.ok()) img = s->result.image;
    else if (const int n = s->frames.count(0); n > 0 && s->stepsRun > 0) {
        // Step k of the slot's steps; after thinning, the nearest kept frame.
        const int k = std::clamp(step, 1, s->stepsRun);
        const int i = s->stepsRun > 1 ? int(std::lround(double(k - 1) * (n - 1) / (s->stepsRun - 1))) : n - 1;
        img = s->frames.frames(0).at(std::clamp(i, 0, n - 1));
        // Kept frames are scaled down; the views work in the photo's pixel coordinates.
        if (img.size() != m_runShared.image.size()) img = img.scaled(m_runShared.image.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    }
    return img.isNull() ? m_runShared.image : img;
}

void CompareWindow::setSplit(bool on, int a, int b, double position) {
    m_abA->setCurrentIndex(m_abA->findData(a));
    m_abB->setCurrentIndex(m_abB->findData(b));
    m_abSplit->setValue(int(std::lround(std::clamp(position, 0.0, 1.0) * 1000)));
    m_ab->setChecked(on);
    refreshViews();
}

void CompareWindow::refreshViews() {
    if (m_ab->isChecked()) {
        const QImage a = shownImage(m_abA->currentData().toInt());
        const QImage b = shownImage(m_abB->currentData().toInt());
        if (!a.isNull() && !b.isNull() && a.size() == b.size()) {
            QImage split = b.convertToFormat(QImage::Format_RGB888);
            const int x = int(std::lround(split.width() * m_abSplit->value() / 1000.0));
            QPainter p(&split);
            p.drawImage(QRect(0, 0, x, split.height()), a, QRect(0, 0, x, a.height()));
            p.setPen(QPen(QColor(255, 255, 255, 200), 0));
            if (x > 0 && x < split.width()) p.drawLine(x, 0, x, split.height() - 1);
            p.end();
            m_abView->setImage(split);
        }
    }
    QList<QImage> shown;
    for (int i = 0; i < slotCount(); ++i) shown << shownImage(i);
    for (int i = 0; i < shown.size(); ++i) {
        QImage img = shown[i];
        if (m_difference->isChecked() && i > 0 && !shown[0].isNull()) {
            const QImage heat = imaging::changeHeatmap(shown[0], img);
            if (!heat.isNull()) img = heat;
        }
        if (!img.isNull()) m_slots[i]->view->setImage(img);
    }
}

const jobs::InpaintResult& CompareWindow::result(int i) const { return m_slots.at(i)->result; }

SyncedImageView* CompareWindow::view(int i) const { return m_slots.at(i)->view; }

bool CompareWindow::exportSheet(const QString& path, QString* error) const {
    if (m_runShared.image.isNull()) {
        if (error) *error = tr("Run the comparison first.");
        return false;
    }
    QList<QImage> images;
    QStringList labels;
    QStringList recipe{jobs::formatParameters(m_runShared, m_runShared.image.size(), QString())};
    for (int i = 0; i < slotCount(); ++i) {
        const Slot* s = m_slots[i];
        images << (s->result.ok() ? s->result.image : QImage());
        const QString l = jobs::slotLabel(slotAt(i), s->request, s->result);
        labels << QStringLiteral("%1. %2").arg(i + 1).arg(l);
        recipe << QStringLiteral("Slot %1: %2").arg(i + 1).arg(l);
    }
    const QString title = tr("“%1” · seed %2 · %3 steps")
                              .arg(m_runShared.prompt.isEmpty() ? tr("(empty prompt)") : m_runShared.prompt)
                              .arg(m_runShared.seed)
                              .arg(m_runShared.steps);
    const QImage sheet = imaging::composeSheet(m_runShared.image, m_runShared.mask, images, labels, title);
    if (sheet.isNull()) {
        if (error) *error = tr("There is not enough memory for the sheet.");
        return false;
    }
    QString err;
    if (!imaging::saveImage(sheet, path, &err, 95, recipe.join(QLatin1Char('\n')))) {
        if (error) *error = err;
        return false;
    }
    return true;
}

bool CompareWindow::exportSheet() {
    const QString path = m_dialogs->saveImageFile(this, tr("Export Comparison Sheet"), QStringLiteral("comparison.png"));
    if (path.isEmpty()) return false;
    QString error;
    if (!exportSheet(path, &error)) {
        m_dialogs->error(this, tr("Could not export the sheet"), error);
        return false;
    }
    m_status->setText(tr("Wrote %1").arg(QFileInfo(path).fileName()));
    return true;
}

}  // namespace inpaint::ui
