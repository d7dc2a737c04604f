// SelectionOptions: the tool-bar controls of the selection tools, shown instead of the brush
// options while one of them is active. Select (GrabCut): what a drag draws (the rectangle, or
// object / background strokes that refine it) and the iterations; Wand: tolerance, channel and
// whether only the joined pixels count.
#pragma once

#include "core/tools/selection_tools.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QSpinBox;

namespace inpaint::ui {

class SelectionOptions : public QWidget {
    Q_OBJECT
public:
    explicit SelectionOptions(QWidget* parent = nullptr);
    void setSettings(const tools::SelectionSettings& s);  // does not emit
    const tools::SelectionSettings& settings() const { return m_settings; }
    // Which tool's controls show: GrabCut's (true) or the wand's (false).
    void showGrabCut(bool grabCut);
    QComboBox* dragKindBox() const { return m_dragKind; }
    QSpinBox* toleranceBox() const { return m_tolerance; }

signals:
    void settingsChanged(const inpaint::tools::SelectionSettings& s);
    void dragKindChanged(inpaint::tools::GrabCutTool::DragKind kind);

private:
    tools::SelectionSettings m_settings;
    QWidget* m_grabCutPart;
    QWidget* m_wandPart;
    QComboBox* m_dragKind;
    QSpinBox* m_iterations;
    QSpinBox* m_tolerance;
    QComboBox* m_channel;
    QCheckBox* m_contiguous;
    bool m_updating = false;
};

}  // namespace inpaint::ui
