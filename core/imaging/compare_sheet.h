// A comparison sheet: one row of equally wide cells (the original, the mask over a dimmed original,
// then each slot's result), each with its label underneath, and a title line on top (prompt, seed).
// Needs a QGuiApplication (text is drawn with the default font).
#pragma once

#include <QImage>
#include <QList>
#include <QString>
#include <QStringList>

namespace inpaint::imaging {

struct SheetLayout {
    int cellWidth = 384;   // each cell's width; heights follow the image's aspect
    int margin = 12;
    int labelHeight = 28;
    int titleHeight = 36;
};

// `results` may hold null images (a failed slot): their cell says "failed" in the label's colour.
// Returns the sheet (RGB888) and, in `cells` (optional), each cell's image rectangle in order
// (original, mask, slots).
QImage composeSheet(const QImage& original, const QImage& mask, const QList<QImage>& results,
                    const QStringList& labels, const QString& title, const SheetLayout& layout = {},
                    QList<QRect>* cells = nullptr);

}  // namespace inpaint::imaging
