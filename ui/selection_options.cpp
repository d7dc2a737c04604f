// SelectionOptions (see selection_options.h).
#include "ui/selection_options.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSpinBox>

namespace inpaint::ui {

using tools::GrabCutTool;
using imaging::WandChannel;

SelectionOptions::SelectionOptions(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("selectionOptions"));
    m_grabCutPart = new QWidget(this);
    m_dragKind = new QComboBox(m_grabCutPart);
    m_dragKind->setObjectName(QStringLiteral("grabCutDrag"));
    m_dragKind->addItem(tr("Rectangle"), int(GrabCutTool::DragKind::Rectangle));
    m_dragKind->addItem(tr("Mark object"), int(GrabCutTool::DragKind::MarkObject));
    m_dragKind->addItem(tr("Mark background"), int(GrabCutTool::DragKind::MarkBackground));
    m_dragKind->setToolTip(tr("Drag a rectangle around the object; then strokes over what should (or should not) "
                              "belong to it refine the selection. Shift adds to the layer, Alt or Ctrl subtracts."));
    m_iterations = new QSpinBox(m_grabCutPart);
    m_iterations->setObjectName(QStringLiteral("grabCutIterations"));
    m_iterations->setRange(1, 20);
    m_iterations->setToolTip(tr("GrabCut iterations: more can follow the edge better, each one takes longer"));
    auto* g = new QHBoxLayout(m_grabCutPart);
    g->setContentsMargins(0, 0, 0, 0);
    g->addWidget(new QLabel(tr("Drag"), m_grabCutPart));
    g->addWidget(m_dragKind);
    g->addSpacing(10);
    g->addWidget(new QLabel(tr("Iterations"), m_grabCutPart));
    g->addWidget(m_iterations);

    m_wandPart = new QWidget(this);
    m_tolerance = new QSpinBox(m_wandPart);
    m_tolerance->setObjectName(QStringLiteral("wandTolerance"));
    m_tolerance->setRange(0, 255);
    m_tolerance->setToolTip(tr("Pixels whose value differs from the clicked one by at most this much are selected"));
    m_channel = new QComboBox(m_wandPart);
    m_channel->setObjectName(QStringLiteral("wandChannel"));
    m_channel->addItem(tr("Colour"), int(WandChannel::Composite));
    m_channel->addItem(tr("Red"), int(WandChannel::Red));
    m_channel->addItem(tr("Green"), int(WandChannel::Green));
    m_channel->addItem(tr("Blue"), int(WandChannel::Blue));
    m_channel->addItem(tr("Alpha"), int(WandChannel::Alpha));
    m_channel->addItem(tr("Brightness"), int(WandChannel::Luma));
    m_channel->setToolTip(tr("What the wand compares: the colour (each of red, green, blue), one channel, or brightness"));
    m_contiguous = new QCheckBox(tr("Contiguous"), m_wandPart);
    m_contiguous->setToolTip(tr("Only pixels joined to the clicked one; off: every matching pixel of the image"));
    auto* w = new QHBoxLayout(m_wandPart);
    w->setContentsMargins(0, 0, 0, 0);
    w->addWidget(new QLabel(tr("Tolerance"), m_wandPart));
    w->addWidget(m_tolerance);
    w->addSpacing(10);
    w->addWidget(m_channel);
    w->addSpacing(10);
    w->addWidget(m_contiguous);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 0, 4, 0);
    layout->addWidget(m_grabCutPart);
    layout->addWidget(m_wandPart);

    auto changed = [this] {
        if (m_updating) return;
        m_settings.grabCutIterations = m_iterations->value();
        m_settings.wandTolerance = m_tolerance->value();
        m_settings.wandChannel = WandChannel(m_channel->currentData().toInt());
        m_settings.wandContiguous = m_contiguous->isChecked();
        emit settingsChanged(m_settings);
    };
    connect(m_iterations, &QSpinBox::valueChanged, this, changed);
    connect(m_tolerance, &QSpinBox::valueChanged, this, changed);
    connect(m_channel, &QComboBox::currentIndexChanged, this, changed);
    connect(m_contiguous, &QCheckBox::toggled, this, changed);
    connect(m_dragKind, &QComboBox::currentIndexChanged, this,
            [this] { emit dragKindChanged(GrabCutTool::DragKind(m_dragKind->currentData().toInt())); });
    setSettings(m_settings);
    showGrabCut(true);
}

void SelectionOptions::setSettings(const tools::SelectionSettings& s) {
    m_settings = s;
    m_updating = true;
    m_iterations->setValue(s.grabCutIterations);
    m_tolerance->setValue(s.wandTolerance);
    m_channel->setCurrentIndex(std::max(0, m_channel->findData(int(s.wandChannel))));
    m_contiguous->setChecked(s.wandContiguous);
    m_updating = false;
}

void SelectionOptions::showGrabCut(bool grabCut) {
    m_grabCutPart->setVisible(grabCut);
    m_wandPart->setVisible(!grabCut);
}

}  // namespace inpaint::ui
