// Dialogs: every question the main window asks the person, behind one interface so tests
// can answer them without a modal dialog blocking the event loop.
#pragma once

#include "core/imaging/outpaint.h"

#include <QColor>
#include <QMessageBox>
#include <QSize>
#include <QString>
#include <optional>

class QWidget;

namespace inpaint::ui {

class Dialogs {
public:
    virtual ~Dialogs() = default;
    // File names: empty when the person cancels.
    virtual QString openImageFile(QWidget* parent, const QString& dir);
    virtual QString openMaskFile(QWidget* parent, const QString& dir);
    // Asks before replacing an existing file.
    virtual QString saveImageFile(QWidget* parent, const QString& caption, const QString& suggested);
    // File ▸ Save Project As: an OpenRaster file name (asks before replacing one).
    virtual QString saveProjectFile(QWidget* parent, const QString& suggested);
    virtual QMessageBox::StandardButton ask(QWidget* parent, const QString& title, const QString& text,
                                            QMessageBox::StandardButtons buttons,
                                            QMessageBox::StandardButton defaultButton);
    virtual void error(QWidget* parent, const QString& title, const QString& text);
    virtual void information(QWidget* parent, const QString& title, const QString& text);
    // Invalid colour when cancelled.
    virtual QColor color(QWidget* parent, const QColor& initial, const QString& title);
    // A folder; empty when cancelled.
    virtual QString existingDirectory(QWidget* parent, const QString& caption, const QString& dir);
    // Null string when cancelled.
    virtual QString text(QWidget* parent, const QString& title, const QString& label, const QString& initial);

    // Image > Extend Canvas: what to add and how to pre-fill it; nullopt when cancelled.
    struct ExtendCanvasChoice {
        imaging::CanvasExtension extension;
        imaging::Prefill prefill = imaging::Prefill::Edge;
        int overlap = 16;  // pixels of the old picture the mask takes in along each grown side
    };
    virtual std::optional<ExtendCanvasChoice> extendCanvas(QWidget* parent, QSize current);

    // File dialog filters for the formats image_io reads and writes.
    static QString openFilter();
    static QString saveFilter();
};

}  // namespace inpaint::ui
