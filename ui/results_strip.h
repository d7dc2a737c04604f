// ResultsStrip: every finished job for the current image, newest first, as a thumbnail with its
// recipe in the tooltip. Selecting one shows it on the canvas (it becomes the pending result);
// the buttons apply it, drop it, run it again with the same or a new seed, load its settings
// into the prompt panel, or show which pixels it changed. Cleared when another image is opened.
#pragma once

#include "ui/generation_controller.h"

#include <QList>
#include <QWidget>

class QListWidget;
class QPushButton;
class QCheckBox;

namespace inpaint::ui {

class ResultsStrip : public QWidget {
    Q_OBJECT
public:
    explicit ResultsStrip(QWidget* parent = nullptr);

    void addResult(const PendingResult& result);  // newest first; becomes the selection
    void clear();
    int count() const { return int(m_results.size()); }
    const PendingResult& result(int row) const { return m_results.at(row); }
    int currentRow() const;
    void setCurrentRow(int row);
    bool heatmapShown() const;
    QListWidget* list() const { return m_list; }
    // Full-resolution results are held within a byte budget (default 1 GiB, or
    // $INPAINT_RESULTS_BUDGET_MB); adding past it drops the oldest ones (removed() is emitted).
    qint64 bytes() const;
    qint64 budgetBytes() const { return m_budget; }
    void setBudgetBytes(qint64 bytes) { m_budget = bytes; }
    int droppedForBudget() const { return m_dropped; }
    static qint64 defaultBudget();

signals:
    void selected(const inpaint::ui::PendingResult& result);
    void applyRequested(const inpaint::ui::PendingResult& result);
    void removed(const inpaint::ui::PendingResult& result);
    void rerunRequested(const inpaint::jobs::InpaintRequest& settings, bool newSeed);
    void loadSettingsRequested(const inpaint::jobs::InpaintRequest& settings);
    void heatmapToggled(bool on);

private:
    void updateButtons();
    QListWidget* m_list;
    QPushButton *m_apply, *m_remove, *m_rerun, *m_rerunNew, *m_load;
    QCheckBox* m_heatmap;
    QList<PendingResult> m_results;  // same order as the list rows
    qint64 m_budget = defaultBudget();
    int m_dropped = 0;
};

}  // namespace inpaint::ui
