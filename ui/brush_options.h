// BrushOptions: the size, hardness and pressure controls of the brush and eraser, kept in
// sync with the canvas (the [ and ] keys change the size from the canvas side).
#pragma once

#include "core/tools/brush_tool.h"

#include <QWidget>

class QCheckBox;
class QSlider;
class QSpinBox;

namespace inpaint::ui {

class BrushOptions : public QWidget {
    Q_OBJECT
public:
    explicit BrushOptions(QWidget* parent = nullptr);
    void setSettings(const tools::BrushSettings& s);  // does not emit
    QSpinBox* sizeBox() const { return m_size; }
    QSlider* hardnessSlider() const { return m_hardness; }

signals:
    void settingsChanged(const inpaint::tools::BrushSettings& s);

private:
    void emitChanged();
    tools::BrushSettings m_settings;
    QSlider* m_sizeSlider;
    QSpinBox* m_size;
    QSlider* m_hardness;
    QSpinBox* m_hardnessBox;
    QCheckBox* m_pressure;
    bool m_updating = false;
};

}  // namespace inpaint::ui
