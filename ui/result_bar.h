// ResultBar: shown above the canvas while a result is pending. Apply keeps it (one undo
// step), Discard drops it; the split checkbox and slider compare it with the original
// side by side, and holding \ (or C) on the canvas shows the original.
#pragma once

#include <QFrame>

class QCheckBox;
class QLabel;
class QPushButton;
class QSlider;

namespace inpaint::ui {

class ResultBar : public QFrame {
    Q_OBJECT
public:
    explicit ResultBar(QWidget* parent = nullptr);

    void setSummary(const QString& text);
    QPushButton* applyButton() const { return m_apply; }
    QPushButton* discardButton() const { return m_discard; }
    QCheckBox* splitCheck() const { return m_split; }
    QSlider* splitSlider() const { return m_slider; }

signals:
    void applyRequested();
    void discardRequested();
    void splitToggled(bool on);
    void splitPositionChanged(qreal fraction);

private:
    QLabel* m_summary;
    QCheckBox* m_split;
    QSlider* m_slider;
    QPushButton* m_apply;
    QPushButton* m_discard;
};

}  // namespace inpaint::ui
