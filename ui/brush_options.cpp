// BrushOptions (see brush_options.h).
#include "ui/brush_options.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <cmath>

namespace inpaint::ui {

namespace {
// The size slider is logarithmic: fine control for small brushes, still reaches 2000 px.
constexpr int kSliderSteps = 1000;
int sliderForSize(qreal size) {
    const qreal t = std::log(size / tools::BrushSettings::kMinSize) /
                    std::log(tools::BrushSettings::kMaxSize / tools::BrushSettings::kMinSize);
    return int(std::lround(t * kSliderSteps));
}
qreal sizeForSlider(int v) {
    return tools::BrushSettings::kMinSize *
           std::pow(tools::BrushSettings::kMaxSize / tools::BrushSettings::kMinSize, v / double(kSliderSteps));
}
}  // namespace

BrushOptions::BrushOptions(QWidget* parent) : QWidget(parent) {
    m_sizeSlider = new QSlider(Qt::Horizontal, this);
    m_sizeSlider->setRange(0, kSliderSteps);
    m_sizeSlider->setFixedWidth(130);
    m_sizeSlider->setToolTip(tr("Brush diameter in image pixels ([ smaller, ] bigger)"));
    m_size = new QSpinBox(this);
    m_size->setObjectName(QStringLiteral("brushSize"));
    m_size->setRange(int(tools::BrushSettings::kMinSize), int(tools::BrushSettings::kMaxSize));
    m_size->setSuffix(tr(" px"));
    m_size->setToolTip(m_sizeSlider->toolTip());
    m_hardness = new QSlider(Qt::Horizontal, this);
    m_hardness->setRange(0, 100);
    m_hardness->setFixedWidth(90);
    m_hardness->setToolTip(tr("Hardness: 100 % is a hard edge, lower values soften the rim"));
    m_hardnessBox = new QSpinBox(this);
    m_hardnessBox->setRange(0, 100);
    m_hardnessBox->setSuffix(tr(" %"));
    m_hardnessBox->setToolTip(m_hardness->toolTip());
    m_pressure = new QCheckBox(tr("Pressure"), this);
    m_pressure->setToolTip(tr("With a tablet, pen pressure scales the brush size"));

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(new QLabel(tr("Size"), this));
    layout->addWidget(m_sizeSlider);
    layout->addWidget(m_size);
    layout->addSpacing(10);
    layout->addWidget(new QLabel(tr("Hardness"), this));
    layout->addWidget(m_hardness);
    layout->addWidget(m_hardnessBox);
    layout->addSpacing(10);
    layout->addWidget(m_pressure);

    connect(m_sizeSlider, &QSlider::valueChanged, this, [this](int v) {
        if (m_updating) return;
        m_settings.size = std::round(sizeForSlider(v));
        emitChanged();
    });
    connect(m_size, &QSpinBox::valueChanged, this, [this](int v) {
        if (m_updating) return;
        m_settings.size = v;
        emitChanged();
    });
    connect(m_hardness, &QSlider::valueChanged, this, [this](int v) {
        if (m_updating) return;
        m_settings.hardness = v / 100.0;
        emitChanged();
    });
    connect(m_hardnessBox, &QSpinBox::valueChanged, this, [this](int v) {
        if (m_updating) return;
        m_settings.hardness = v / 100.0;
        emitChanged();
    });
    connect(m_pressure, &QCheckBox::toggled, this, [this](bool on) {
        if (m_updating) return;
        m_settings.pressureSize = on;
        emitChanged();
    });
    setSettings(m_settings);
}

void BrushOptions::setSettings(const tools::BrushSettings& s) {
    m_settings = s;
    m_updating = true;
    m_sizeSlider->setValue(sliderForSize(s.size));
    m_size->setValue(int(std::lround(s.size)));
    m_hardness->setValue(int(std::lround(s.hardness * 100)));
    m_hardnessBox->setValue(int(std::lround(s.hardness * 100)));
    m_pressure->setChecked(s.pressureSize);
    m_updating = false;
}

void BrushOptions::emitChanged() {
    setSettings(m_settings);  // keep the twin controls in step
    emit settingsChanged(m_settings);
}

}  // namespace inpaint::ui
