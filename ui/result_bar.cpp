// ResultBar (see result_bar.h).
#include "ui/result_bar.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSlider>

namespace inpaint::ui {

ResultBar::ResultBar(QWidget* parent) : QFrame(parent) {
    setObjectName(QStringLiteral("resultBar"));
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    QPalette pal = palette();
    pal.setColor(QPalette::Window, pal.color(QPalette::Highlight).darker(260));
    setPalette(pal);

    m_summary = new QLabel(this);
    m_summary->setTextFormat(Qt::PlainText);
    auto* hint = new QLabel(tr("Hold \\ to see the original"), this);
    hint->setEnabled(false);
    m_split = new QCheckBox(tr("Split view"), this);
    m_split->setToolTip(tr("Result on the left of the line, original on the right"));
    m_slider = new QSlider(Qt::Horizontal, this);
    m_slider->setRange(0, 1000);
    m_slider->setValue(500);
    m_slider->setEnabled(false);
    m_slider->setFixedWidth(140);
    m_slider->setToolTip(tr("Where the split line is"));
    m_apply = new QPushButton(QIcon(QStringLiteral(":/icons/apply.svg")), tr("Apply"), this);
    m_apply->setToolTip(tr("Keep the result in the image; one undo step (Return)"));
    m_discard = new QPushButton(QIcon(QStringLiteral(":/icons/discard.svg")), tr("Discard"), this);
    m_discard->setToolTip(tr("Drop the result; the image stays as it was (Esc)"));

    connect(m_apply, &QPushButton::clicked, this, &ResultBar::applyRequested);
    connect(m_discard, &QPushButton::clicked, this, &ResultBar::discardRequested);
    connect(m_split, &QCheckBox::toggled, this, [this](bool on) {
        m_slider->setEnabled(on);
        emit splitToggled(on);
    });
    connect(m_slider, &QSlider::valueChanged, this, [this](int v) { emit splitPositionChanged(v / 1000.0); });

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(8, 4, 8, 4);
    layout->addWidget(m_summary);
    layout->addSpacing(12);
    layout->addWidget(hint);
    layout->addStretch(1);
    layout->addWidget(m_split);
    layout->addWidget(m_slider);
    layout->addSpacing(12);
    layout->addWidget(m_discard);
    layout->addWidget(m_apply);
}

void ResultBar::setSummary(const QString& text) { m_summary->setText(text); }

}  // namespace inpaint::ui
