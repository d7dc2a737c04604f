// Shared CLI file helpers (see cli_io.h).
#include "app/cli/cli_io.h"

#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"

namespace inpaint::cli {

bool loadImageAndMask(const QString& in, const QString& maskPath, bool resizeMask, QImage* image, QImage* mask,
                      QString* error)
{
    *image = imaging::loadImage(in, error);
    if (image->isNull()) return false;
    // The mask's size is compared here rather than in loadMask() so the message can name both
    // files and point at --resize-mask.
    *mask = imaging::loadMask(maskPath, QSize(), false, error);
    if (mask->isNull()) return false;
    if (mask->size() != image->size()) {
        if (!resizeMask) {
            *error = QStringLiteral("The mask '%1' is %2x%3 pixels but the image '%4' is %5x%6 pixels; "
                                    "add --resize-mask to scale the mask to the image.")
                         .arg(maskPath).arg(mask->width()).arg(mask->height())
                         .arg(in).arg(image->width()).arg(image->height());
            return false;
        }
        *mask = imaging::resizeMask(*mask, image->size());
        if (mask->isNull()) {
            *error = QStringLiteral("Not enough memory to resize the mask '%1'.").arg(maskPath);
            return false;
        }
    }
    return true;
}

}  // namespace inpaint::cli
