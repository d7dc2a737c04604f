// Dialogs: the real, modal implementations (see dialogs.h).
#include "ui/dialogs.h"

#include <QColorDialog>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>

namespace inpaint::ui {

std::optional<Dialogs::ExtendCanvasChoice> Dialogs::extendCanvas(QWidget* parent, QSize current) {
    QDialog dlg(parent);
    dlg.setWindowTitle(QObject::tr("Extend Canvas"));
    auto* form = new QFormLayout(&dlg);
    dlg.setObjectName(QStringLiteral("extendCanvasDialog"));
    auto* aspect = new QComboBox(&dlg);
    aspect->setObjectName(QStringLiteral("aspect"));
    aspect->addItem(QObject::tr("Free (pixels per side)"), 0.0);
    for (const auto& [label, value] : {std::pair{"1:1", 1.0}, {"4:3", 4.0 / 3}, {"3:2", 1.5}, {"16:9", 16.0 / 9},
                                       {"3:4", 3.0 / 4}, {"2:3", 2.0 / 3}, {"9:16", 9.0 / 16}})
        aspect->addItem(QString::fromLatin1(label), value);
    auto* anchor = new QComboBox(&dlg);
    anchor->setObjectName(QStringLiteral("anchor"));
    anchor->addItem(QObject::tr("Centre"), int(imaging::Anchor::Center));
    anchor->addItem(QObject::tr("Top left"), int(imaging::Anchor::TopLeft));
    anchor->addItem(QObject::tr("Top"), int(imaging::Anchor::Top));
    anchor->addItem(QObject::tr("Top right"), int(imaging::Anchor::TopRight));
    anchor->addItem(QObject::tr("Left"), int(imaging::Anchor::Left));
    anchor->addItem(QObject::tr("Right"), int(imaging::Anchor::Right));
    anchor->addItem(QObject::tr("Bottom left"), int(imaging::Anchor::BottomLeft));
    anchor->addItem(QObject::tr("Bottom"), int(imaging::Anchor::Bottom));
    anchor->addItem(QObject::tr("Bottom right"), int(imaging::Anchor::BottomRight));
    anchor->setToolTip(QObject::tr("Where the old picture stays when an aspect ratio decides the new size"));
    QSpinBox* sides[4];
    const char* names[4] = {"Left", "Right", "Top", "Bottom"};
    form->addRow(QObject::tr("Aspect ratio"), aspect);
    form->addRow(QObject::tr("Keep picture at"), anchor);
    for (int i = 0; i < 4; ++i) {
        sides[i] = new QSpinBox(&dlg);
        sides[i]->setObjectName(QString::fromLatin1(names[i]).toLower());
        sides[i]->setRange(0, 16384);
        sides[i]->setSuffix(QObject::tr(" px"));
        sides[i]->setSingleStep(64);
        sides[i]->setValue(i == 1 ? 256 : 0);
        form->addRow(QObject::tr(names[i]), sides[i]);
    }
    auto* prefill = new QComboBox(&dlg);
    prefill->setObjectName(QStringLiteral("prefill"));
    prefill->addItem(QObject::tr("Edge pixels repeated"), int(imaging::Prefill::Edge));
    prefill->addItem(QObject::tr("Telea (from the surroundings)"), int(imaging::Prefill::Telea));
    prefill->addItem(QObject::tr("Noise"), int(imaging::Prefill::Noise));
    form->addRow(QObject::tr("Pre-fill"), prefill);
    auto* overlap = new QSpinBox(&dlg);
    overlap->setObjectName(QStringLiteral("overlap"));
    overlap->setRange(0, 512);
    overlap->setValue(16);
    overlap->setSuffix(QObject::tr(" px"));
    overlap->setToolTip(QObject::tr("How far the mask reaches into the old picture, so the seam is painted too"));
    form->addRow(QObject::tr("Overlap"), overlap);
    auto* result = new QLabel(&dlg);
    result->setObjectName(QStringLiteral("newSize"));
    form->addRow(QObject::tr("New size"), result);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dlg);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dlg, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dlg, &QDialog::reject);
    auto update = [&] {
        const double a = aspect->currentData().toDouble();
        if (a > 0) {
            const auto e = imaging::extensionForAspect(current, a, imaging::Anchor(anchor->currentData().toInt()));
            const int v[4] = {e.left, e.right, e.top, e.bottom};
            for (int i = 0; i < 4; ++i) {
                const QSignalBlocker b(sides[i]);
                sides[i]->setValue(v[i]);
            }
        }
        for (QSpinBox* s : sides) s->setEnabled(a <= 0);
        anchor->setEnabled(a > 0);
        const int w = current.width() + sides[0]->value() + sides[1]->value();
        const int h = current.height() + sides[2]->value() + sides[3]->value();
        result->setText(QObject::tr("%1 × %2 px").arg(w).arg(h));
        buttons->button(QDialogButtonBox::Ok)->setEnabled(w != current.width() || h != current.height());
    };
    QObject::connect(aspect, &QComboBox::currentIndexChanged, &dlg, update);
    QObject::connect(anchor, &QComboBox::currentIndexChanged, &dlg, update);
    for (QSpinBox* s : sides) QObject::connect(s, &QSpinBox::valueChanged, &dlg, update);
    update();
    if (dlg.exec() != QDialog::Accepted) return std::nullopt;
    ExtendCanvasChoice c;
    c.extension = {sides[0]->value(), sides[1]->value(), sides[2]->value(), sides[3]->value()};
    c.prefill = imaging::Prefill(prefill->currentData().toInt());
    c.overlap = overlap->value();
    return c;
}

QString Dialogs::openFilter() {
    return QObject::tr("Images and projects (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.ora);;"
                       "OpenRaster projects (*.ora);;All files (*)");
}

QString Dialogs::saveFilter() {
    return QObject::tr("PNG image (*.png);;JPEG image (*.jpg *.jpeg);;WebP image (*.webp);;"
                       "TIFF image (*.tif *.tiff);;BMP image (*.bmp)");
}

QString Dialogs::openImageFile(QWidget* parent, const QString& dir) {
    return QFileDialog::getOpenFileName(parent, QObject::tr("Open Image"), dir, openFilter());
}

QString Dialogs::openMaskFile(QWidget* parent, const QString& dir) {
    return QFileDialog::getOpenFileName(parent, QObject::tr("Import Mask (white = repaint)"), dir,
                                        QObject::tr("Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp);;All files (*)"));
}

QString Dialogs::existingDirectory(QWidget* parent, const QString& caption, const QString& dir) {
    return QFileDialog::getExistingDirectory(parent, caption, dir);
}

QString Dialogs::saveImageFile(QWidget* parent, const QString& caption, const QString& suggested) {
    // QFileDialog asks before replacing an existing file (no DontConfirmOverwrite).
    return QFileDialog::getSaveFileName(parent, caption, suggested, saveFilter());
}

QString Dialogs::saveProjectFile(QWidget* parent, const QString& suggested) {
    return QFileDialog::getSaveFileName(parent, QObject::tr("Save Project As"), suggested,
                                        QObject::tr("OpenRaster project (*.ora)"));
}

QMessageBox::StandardButton Dialogs::ask(QWidget* parent, const QString& title, const QString& text,
                                         QMessageBox::StandardButtons buttons,
                                         QMessageBox::StandardButton defaultButton) {
    return QMessageBox::question(parent, title, text, buttons, defaultButton);
}

void Dialogs::error(QWidget* parent, const QString& title, const QString& text) {
    QMessageBox::warning(parent, title, text);
}

void Dialogs::information(QWidget* parent, const QString& title, const QString& text) {
    QMessageBox::information(parent, title, text);
}

QColor Dialogs::color(QWidget* parent, const QColor& initial, const QString& title) {
    return QColorDialog::getColor(initial, parent, title);
}

QString Dialogs::text(QWidget* parent, const QString& title, const QString& label, const QString& initial) {
    bool ok = false;
    const QString s = QInputDialog::getText(parent, title, label, QLineEdit::Normal, initial, &ok);
    return ok ? s : QString();
}

}  // namespace inpaint::ui
