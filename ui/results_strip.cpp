// ResultsStrip (see results_strip.h).
#include "ui/results_strip.h"

#include "core/jobs/recipe.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace inpaint::ui {

namespace {
constexpr int kThumb = 96;

QString caption(const PendingResult& r)
{
    const auto& s = r.settings;
    if (jobs::isClassical(s.pipeline)) return jobs::pipelineName(s.pipeline);
    return QObject::tr("seed %1 · %2 s").arg(s.seed).arg(r.result.seconds, 0, 'f', 1);
}
}  // namespace

ResultsStrip::ResultsStrip(QWidget* parent) : QWidget(parent) {
    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("resultsList"));
    m_list->setViewMode(QListView::IconMode);
    m_list->setFlow(QListView::LeftToRight);
    m_list->setWrapping(false);
    m_list->setMovement(QListView::Static);
    m_list->setIconSize(QSize(kThumb, kThumb));
    m_list->setSpacing(4);
    m_list->setFixedHeight(kThumb + 48);
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);

    auto button = [this](const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setToolTip(tip);
        return b;
    };
    m_apply = button(tr("Apply"), tr("Put this result into the image (one undo step)"));
    m_remove = button(tr("Drop"), tr("Remove this result from the strip"));
    m_rerun = button(tr("Re-run"), tr("Run the same recipe again with the same seed"));
    m_rerunNew = button(tr("New seed"), tr("Run the same recipe with a new seed"));
    m_load = button(tr("Load settings"), tr("Put this result's settings into the prompt panel"));
    m_heatmap = new QCheckBox(tr("Changes"), this);
    m_heatmap->setToolTip(tr("Show which pixels this result changes (a heatmap over the original)"));
    auto* buttons = new QVBoxLayout;
    for (QWidget* w : {static_cast<QWidget*>(m_apply), static_cast<QWidget*>(m_remove), static_cast<QWidget*>(m_rerun),
                       static_cast<QWidget*>(m_rerunNew), static_cast<QWidget*>(m_load), static_cast<QWidget*>(m_heatmap)})
        buttons->addWidget(w);
    buttons->addStretch(1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);

    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        updateButtons();
        if (row >= 0 && row < m_results.size()) emit selected(m_results.at(row));
    });
    connect(m_apply, &QPushButton::clicked, this, [this] {
        if (const int r = currentRow(); r >= 0) emit applyRequested(m_results.at(r));
    });
    connect(m_remove, &QPushButton::clicked, this, [this] {
        const int r = currentRow();
        if (r < 0) return;
        const PendingResult gone = m_results.takeAt(r);
        delete m_list->takeItem(r);
        emit removed(gone);
        updateButtons();
    });
    connect(m_rerun, &QPushButton::clicked, this, [this] {
        if (const int r = currentRow(); r >= 0) emit rerunRequested(m_results.at(r).settings, false);
    });
    connect(m_rerunNew, &QPushButton::clicked, this, [this] {
        if (const int r = currentRow(); r >= 0) emit rerunRequested(m_results.at(r).settings, true);
    });
    connect(m_load, &QPushButton::clicked, this, [this] {
        if (const int r = currentRow(); r >= 0) emit loadSettingsRequested(m_results.at(r).settings);
    });
    connect(m_heatmap, &QCheckBox::toggled, this, &ResultsStrip::heatmapToggled);
    updateButtons();
}

void ResultsStrip::addResult(const PendingResult& result) {
    m_results.prepend(result);
    const QImage thumb = result.result.image.scaled(kThumb, kThumb, Qt::KeepAspectRatio, Qt::SmoothTransformation);
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(thumb)), caption(result));
    item->setToolTip(jobs::formatParameters(result.settings, result.result.image.size(), QString()));
    const QSignalBlocker block(m_list);  // the new result is already the pending one
    m_list->insertItem(0, item);
    m_list->setCurrentRow(0);
    // Keep the kept results within the budget: the oldest go first, never the newest one.
    while (m_results.size() > 1 && bytes() > m_budget) {
        const PendingResult gone = m_results.takeLast();
        delete m_list->takeItem(m_list->count() - 1);
        ++m_dropped;
        emit removed(gone);
    }
    updateButtons();
}

qint64 ResultsStrip::bytes() const {
    qint64 n = 0;
    for (const PendingResult& r : m_results) n += r.result.image.sizeInBytes();
    return n;
}

qint64 ResultsStrip::defaultBudget() {
    bool ok = false;
    const qint64 mb = qEnvironmentVariableIntValue("INPAINT_RESULTS_BUDGET_MB", &ok);
    return ok && mb > 0 ? mb << 20 : qint64(1) << 30;  // 1 GiB: about 90 results of 12 MP RGB
}

void ResultsStrip::clear() {
    const QSignalBlocker block(m_list);
    m_results.clear();
    m_list->clear();
    m_heatmap->setChecked(false);
    updateButtons();
}

int ResultsStrip::currentRow() const {
    const int r = m_list->currentRow();
    return r >= 0 && r < m_results.size() ? r : -1;
}

void ResultsStrip::setCurrentRow(int row) { m_list->setCurrentRow(row); }

bool ResultsStrip::heatmapShown() const { return m_heatmap->isChecked(); }

void ResultsStrip::updateButtons() {
    const bool any = currentRow() >= 0;
    for (QWidget* w : {static_cast<QWidget*>(m_apply), static_cast<QWidget*>(m_remove), static_cast<QWidget*>(m_rerun),
                       static_cast<QWidget*>(m_rerunNew), static_cast<QWidget*>(m_load), static_cast<QWidget*>(m_heatmap)})
        w->setEnabled(any);
}

}  // namespace inpaint::ui
