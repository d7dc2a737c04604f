// Dark theme (see theme.h).
#include "ui/theme.h"

#include <QApplication>
#include <QPalette>
#include <QStyleFactory>

namespace inpaint::ui {

void applyDarkTheme(QApplication& app) {
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette p;
    const QColor window(0x33, 0x36, 0x3b), base(0x25, 0x27, 0x2b), text(0xe6, 0xe8, 0xeb);
    const QColor disabledText(0x85, 0x8a, 0x92), highlight(0x3d, 0x8b, 0xfd);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, QColor(0x20, 0x22, 0x25));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, QColor(0x3c, 0x40, 0x46));
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, Qt::white);
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, highlight.lighter(120));
    p.setColor(QPalette::Light, QColor(0x4a, 0x4f, 0x56));
    p.setColor(QPalette::Midlight, QColor(0x42, 0x46, 0x4c));
    p.setColor(QPalette::Mid, QColor(0x2c, 0x2f, 0x33));
    p.setColor(QPalette::Dark, QColor(0x1e, 0x20, 0x23));
    p.setColor(QPalette::Shadow, QColor(0x10, 0x11, 0x12));
    for (auto role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    p.setColor(QPalette::Disabled, QPalette::Button, QColor(0x36, 0x39, 0x3e));
    p.setColor(QPalette::Disabled, QPalette::Base, QColor(0x2b, 0x2d, 0x31));
    app.setPalette(p);
}

}  // namespace inpaint::ui
