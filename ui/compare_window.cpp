// CompareWindow (see compare_window.h).
#include "ui/compare_window.h"

#include "core/document/document.h"
#include "core/imaging/compare_sheet.h"
#include "core/imaging/compare_views.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "core/jobs/engine_info.h"
#include "core/jobs/recipe.h"
#include "ui/compare_session.h"
#include "ui/compare_slot_widget.h"
#include "ui/dialogs.h"
#include "ui/synced_image_view.h"

#include <QCheckBox>
#include <cmath>
#include <QComboBox>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>
#include <QVBoxLayout>

namespace inpaint::ui {

using jobs::PipelineKind;

namespace {
constexpr int kMaxSlots = CompareSession::kMaxSlots;
}  // namespace

CompareWindow::CompareWindow(document::Document* doc, jobs::JobQueue* queue, Dialogs* dialogs, QWidget* parent)
    : QWidget(parent, Qt::Window), m_doc(doc), m_queue(queue), m_dialogs(dialogs),
      m_session(new CompareSession(queue, this)) {
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
        auto* s = new CompareSlotWidget(i, this);
        m_grid->addWidget(s, i / 2, i % 2);
        m_slots << s;
        connect(s->view(), &SyncedImageView::viewChanged, this, [this, i](double z, QPointF c) {
            for (int j = 0; j < m_slots.size(); ++j)
                if (j != i) m_slots[j]->view()->setView(z, c);
        });
        connect(s, &CompareSlotWidget::useRequested, this, [this, i] {
            if (m_session->result(i).ok()) emit useResult(m_session->result(i), m_session->request(i));
        });
        connect(s, &CompareSlotWidget::cancelRequested, this, [this, i] { cancelSlot(i); });
        connect(s, &CompareSlotWidget::choiceChanged, this, &CompareWindow::updateNoiseNote);
    }
    connect(m_session, &CompareSession::slotStep, this, &CompareWindow::onStep);
    connect(m_session, &CompareSession::slotFinished, this, &CompareWindow::onFinished);
    connect(m_session, &CompareSession::finished, this, [this] {
        m_status->setText(tr("Done. Scrub the steps, zoom any view (the others follow), export the sheet."));
        emit finished();
    });
    connect(m_count, &QComboBox::currentIndexChanged, this, [this] { setSlotCount(m_count->currentData().toInt()); });
    connect(removal, &QPushButton::clicked, this, &CompareWindow::applyObjectRemovalPreset);
    connect(schedulers, &QPushButton::clicked, this, &CompareWindow::applySchedulerPreset);
    connect(m_run, &QPushButton::clicked, this, &CompareWindow::run);
    connect(m_cancel, &QPushButton::clicked, this, &CompareWindow::cancelAll);
    connect(m_export, &QPushButton::clicked, this, qOverload<>(&CompareWindow::exportSheet));
    connect(m_stepSlider, &QSlider::valueChanged, this, &CompareWindow::refreshViews);
    connect(m_difference, &QCheckBox::toggled, this, &CompareWindow::refreshViews);
    connect(m_ab, &QCheckBox::toggled, this, [this](bool on) {
        for (int i = 0; i < m_slots.size(); ++i) m_slots[i]->setVisible(!on && i < slotCount());
        m_abView->setVisible(on);
        refreshViews();
    });
    connect(m_abA, &QComboBox::currentIndexChanged, this, &CompareWindow::refreshViews);
    connect(m_abB, &QComboBox::currentIndexChanged, this, &CompareWindow::refreshViews);
    connect(m_abSplit, &QSlider::valueChanged, this, &CompareWindow::refreshViews);
    connect(m_abView, &SyncedImageView::viewChanged, this, [this](double z, QPointF c) {
        for (CompareSlotWidget* s : m_slots) s->view()->setView(z, c);
    });
    setSlotCount(2);
    setModels({});
}

// The session (a child) goes with the window; its job handles' destructors raise the jobs'
// cancel flags. Nothing here touches the queue, which may already be gone at quit.
CompareWindow::~CompareWindow() = default;

bool CompareWindow::isRunning() const { return m_session->isRunning(); }
quint64 CompareWindow::runSerial() const { return m_session->runSerial(); }
quint64 CompareWindow::runImageState() const { return m_session->runImageState(); }

void CompareWindow::setModels(const QList<ModelEntry>& models) {
    m_models = models;
    for (CompareSlotWidget* s : m_slots) s->setModels(models);
    updateNoiseNote();
}

void CompareWindow::setSharedSettings(const jobs::InpaintRequest& settings) { m_shared = settings; }

int CompareWindow::slotCount() const { return m_count->currentData().toInt(); }

void CompareWindow::setSlotCount(int n) {
    n = std::clamp(n, 2, kMaxSlots);
    if (m_count->currentData().toInt() != n) m_count->setCurrentIndex(m_count->findData(n));
    for (int i = 0; i < m_slots.size(); ++i) m_slots[i]->setVisible(i < n);
    updateNoiseNote();
}

void CompareWindow::setSlotOverrides(int i, std::optional<int> steps, std::optional<double> guidance,
                                     std::optional<double> strength) {
    if (i < 0 || i >= m_slots.size()) return;
    m_slots[i]->setOverrides(steps, guidance, strength);
}

void CompareWindow::setSlot(int i, const QString& modelPath, PipelineKind pipeline, const QString& scheduler) {
    if (i < 0 || i >= m_slots.size()) return;
    m_slots[i]->setSlot(modelPath, pipeline, scheduler);
}

jobs::CompareSlot CompareWindow::slotAt(int i) const { return m_slots.at(i)->slot(); }

jobs::InpaintRequest CompareWindow::slotRequest(int i) const { return CompareSession::slotRequest(m_shared, slotAt(i)); }

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
        m_slots[i]->setFill(false);
        setSlotOverrides(i, {});
    }
    if (ordinary) {
        setSlot(n++, ordinary->path, PipelineKind::Blend);
        setSlot(n, ordinary->path, PipelineKind::Blend);
        m_slots[n++]->setFill(true);
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
        m_slots[i]->setFill(false);
        setSlotOverrides(i, {});
        setSlot(i, model, PipelineKind::Auto, names[i]);
    }
    setSlotCount(kMaxSlots);
}

QString CompareWindow::noiseNote() const { return m_note->text(); }

void CompareWindow::updateNoiseNote() {
    // Every slot starts from the seed's first draw (shared noise); only the latent size can differ:
    // when a slot's model has another VAE scale or latent channel count than the others, and in
    // only-masked mode when its native size differs (SD 1.x crops to 512, SDXL to 1024).
    QSet<QString> shapes;
    QStringList families;
    for (int i = 0; i < slotCount() && i < m_slots.size(); ++i) {
        const jobs::CompareSlot c = slotAt(i);
        if (jobs::isClassical(c.pipeline)) continue;
        QString kind = QStringLiteral("sd");
        for (const ModelEntry& m : m_models)
            if (m.path == c.modelPath) {
                kind = m.latentShape;
                if (slotRequest(i).region == jobs::RegionMode::Masked) kind += QStringLiteral("@%1").arg(m.nativeSize);
                if (!m.family.isEmpty() && !families.contains(m.family)) families << m.family;
            }
        shapes.insert(kind);
    }
    const QString which = families.size() > 1 ? tr(" (%1)").arg(families.join(QStringLiteral(", "))) : QString();
    m_note->setText(shapes.size() > 1
                        ? tr("These models%1 have different latent sizes, so their slots cannot start from the same "
                             "noise (each still uses the same seed).")
                              .arg(which)
                        : families.size() > 1
                            ? tr("Every slot uses the same seed and starts from identical noise (%1 at the same "
                                 "latent size).")
                                  .arg(families.join(QStringLiteral(", ")))
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
    jobs::InpaintRequest shared = m_shared;
    shared.image = m_doc->image();
    shared.mask = mask;
    QList<jobs::CompareSlot> slotList;
    for (int i = 0; i < slotCount(); ++i) slotList << slotAt(i);
    m_session->start(shared, slotList, m_doc->serial(), m_doc->imageState());
    for (int i = 0; i < m_slots.size(); ++i) {
        CompareSlotWidget* s = m_slots[i];
        s->setUsable(false);
        s->view()->setImage(m_session->runShared().image);
        if (i >= slotCount()) continue;
        s->setRunning(true);
        s->view()->setLabel(tr("%1 · queued").arg(jobs::slotLabel(slotAt(i), m_session->request(i), jobs::InpaintResult())));
    }
    m_stepSlider->setRange(0, 0);
    m_status->setText(tr("Running %n slot(s) one after another…", "", slotCount()));
    return true;
}

void CompareWindow::cancelAll() { m_session->cancelAll(); }

void CompareWindow::cancelSlot(int i) { m_session->cancelSlot(i); }

void CompareWindow::onStep(int i, int step, int total) {
    if (i < 0 || i >= m_slots.size()) return;
    const bool atEnd = m_stepSlider->value() == m_stepSlider->maximum();
    const int longest = m_session->longestRun();
    m_stepSlider->setRange(0, longest);
    if (atEnd) m_stepSlider->setValue(longest);
    m_slots[i]->view()->setLabel(tr("%1 · step %2/%3").arg(jobs::slotLabel(slotAt(i), m_session->request(i), jobs::InpaintResult()).section(QStringLiteral(" · "), 0, -2)).arg(step).arg(total));
    refreshViews();
}

void CompareWindow::onFinished(int i, const jobs::InpaintResult& r) {
    if (i < 0 || i >= m_slots.size()) return;
    CompareSlotWidget* s = m_slots[i];
    s->setRunning(false);
    s->setUsable(r.ok());
    QString label = jobs::slotLabel(slotAt(i), m_session->request(i), r);
    if (!r.ok() && !r.error.isEmpty()) label += QStringLiteral(": ") + r.error;
    s->view()->setLabel(label);
    s->view()->setToolTip(r.error);
    refreshViews();
}

QImage CompareWindow::shownImage(int i) const {
    return m_session->shownImage(i, m_stepSlider->value(), m_stepSlider->value() == m_stepSlider->maximum());
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
        const QImage split = imaging::splitComposite(a, b, int(std::lround(b.width() * m_abSplit->value() / 1000.0)));
        if (!split.isNull()) m_abView->setImage(split);
    }
    QList<QImage> shown;
    for (int i = 0; i < slotCount(); ++i) shown << shownImage(i);
    if (m_difference->isChecked()) shown = imaging::differenceToFirst(shown);
    for (int i = 0; i < shown.size(); ++i)
        if (!shown[i].isNull()) m_slots[i]->view()->setImage(shown[i]);
}

const jobs::InpaintResult& CompareWindow::result(int i) const { return m_session->result(i); }

SyncedImageView* CompareWindow::view(int i) const { return m_slots.at(i)->view(); }

bool CompareWindow::exportSheet(const QString& path, QString* error) const {
    const jobs::InpaintRequest& run = m_session->runShared();
    if (run.image.isNull()) {
        if (error) *error = tr("Run the comparison first.");
        return false;
    }
    QList<QImage> images;
    QStringList labels;
    QStringList recipe{jobs::formatParameters(run, run.image.size(), QString())};
    for (int i = 0; i < slotCount(); ++i) {
        const jobs::InpaintResult& result = m_session->result(i);
        images << (result.ok() ? result.image : QImage());
        const QString l = jobs::slotLabel(slotAt(i), m_session->request(i), result);
        labels << QStringLiteral("%1. %2").arg(i + 1).arg(l);
        recipe << QStringLiteral("Slot %1: %2").arg(i + 1).arg(l);
    }
    const QString title = tr("“%1” · seed %2 · %3 steps")
                              .arg(run.prompt.isEmpty() ? tr("(empty prompt)") : run.prompt)
                              .arg(run.seed)
                              .arg(run.steps);
    const QImage sheet = imaging::composeSheet(run.image, run.mask, images, labels, title);
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
