// Dialogs: the real, modal implementations (see dialogs.h).
#include "ui/dialogs.h"

#include <QColorDialog>
#include <QFileDialog>
#include <QInputDialog>

namespace inpaint::ui {

QString Dialogs::openFilter() {
    return QObject::tr("Images (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp);;All files (*)");
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
                                        openFilter());
}

QString Dialogs::existingDirectory(QWidget* parent, const QString& caption, const QString& dir) {
    return QFileDialog::getExistingDirectory(parent, caption, dir);
}

QString Dialogs::saveImageFile(QWidget* parent, const QString& caption, const QString& suggested) {
    // QFileDialog asks before replacing an existing file (no DontConfirmOverwrite).
    return QFileDialog::getSaveFileName(parent, caption, suggested, saveFilter());
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
