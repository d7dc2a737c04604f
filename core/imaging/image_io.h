// Image files in and out. Decoding keeps what the file has: 8- or 16-bit, grey, RGB or
// RGBA (alpha kept, never premultiplied); EXIF orientation is applied on load.
#pragma once

#include <QByteArray>
#include <QImage>
#include <QSize>
#include <QString>

namespace inpaint::imaging {

// The formats a document holds after loading (everything else is converted to one of these):
// Grayscale8, Grayscale16, RGB888, RGBA8888 (straight alpha), RGBX64, RGBA64 (straight alpha).
bool isDocumentFormat(QImage::Format f);

// Converts any QImage to the document format that keeps its content: indexed/mono become
// Grayscale8 when the palette is all grey (and opaque), else RGB888/RGBA8888; premultiplied
// formats are un-premultiplied; formats with more than 8 bits per channel become RGBX64/RGBA64.
// A document-format image is returned as is (shared, no copy). A null image stays null.
QImage toDocumentFormat(const QImage& image);

// "RGB 8-bit", "grey 16-bit", "RGBA 16-bit", ... for messages and status bars.
QString documentFormatName(QImage::Format f);

// Hard limit on pixels (width*height) we agree to decode; larger files give a clear error.
constexpr qint64 kMaxImagePixels = 20000LL * 20000LL;

// Returns a null image and sets *error (one sentence naming the file) on failure:
// missing file, unreadable/truncated/corrupt data, unsupported format, zero size, too large
// or out of memory.
QImage loadImage(const QString& path, QString* error);

// The same decoder over bytes in memory (the clipboard, a fuzzer): `what` stands where a file's
// quoted path would in the messages (e.g. "the pasted image"); an image whose header declares more
// than `maxPixels` pixels is refused before decoding.
QImage loadImageFromData(const QByteArray& data, const QString& what, QString* error,
                         qint64 maxPixels = kMaxImagePixels);

// Masks: any readable image; converted to Grayscale8 (luma), > 127 is repaint when binarised
// later. If its size differs from `expected`: error naming both sizes, unless `resizeToFit`,
// in which case it is scaled (nearest) to `expected`. A null `expected` skips the check.
// A mask with alpha counts transparent pixels as black (keep): luma is multiplied by alpha.
QImage loadMask(const QString& path, QSize expected, bool resizeToFit, QString* error);

// Writes via a temp file in the target folder + rename (QSaveFile); the format follows the
// extension (png, jpg/jpeg, webp, tif/tiff, bmp). 16-bit stays 16-bit where the format can hold
// it (PNG, TIFF). Returns false and sets *error (naming the path) on failure.
// JPEG and BMP cannot hold alpha: such images are flattened onto white first. JPEG, BMP and
// WebP are 8-bit: 16-bit images are rounded to 8 bits. WebP with quality >= 100 is lossless.
// `parameters`, when set, goes into a PNG as the `parameters` text chunk (the recipe, in the
// format AUTOMATIC1111 writes; other formats ignore it).
bool saveImage(const QImage& image, const QString& path, QString* error, int quality = 95,
               const QString& parameters = {});

// The `parameters` text of a PNG (empty when there is none or the file cannot be read). Decodes
// the file; an image from loadImage() carries the same text as image.text("parameters").
QString readImageParameters(const QString& path);

// True when saveImage() knows the extension of `path` (png, jpg, jpeg, webp, tif, tiff, bmp).
bool isSupportedSavePath(const QString& path);

}  // namespace inpaint::imaging
