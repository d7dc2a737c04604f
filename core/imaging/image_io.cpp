// Image files in and out (see image_io.h). Reading goes through QImageReader with EXIF
// orientation applied; the size is checked before any pixel is decoded, and the JPEG and BMP
// decoders, which hand back a half-grey image for a truncated file, get a structural check first.
#include "core/imaging/image_io.h"

#include "core/imaging/mask_ops.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QImageWriter>
#include <QSaveFile>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

namespace inpaint::imaging {

namespace {

QString quoted(const QString& path)
{
    return QStringLiteral("'%1'").arg(QDir::toNativeSeparators(path));
}

// Qt's default allocation limit (128 MiB in Qt 6.4) refuses anything above ~32 megapixels.
// Raise it once so that every image up to kMaxImagePixels fits even as RGBA64 (8 bytes/pixel);
// the pixel limit itself is enforced before decoding.
void raiseAllocationLimit()
{
    static std::once_flag once;
    std::call_once(once, [] {
        const int neededMiB = int(kMaxImagePixels * 8 / (1024 * 1024)) + 64;
        if (QImageReader::allocationLimit() < neededMiB) QImageReader::setAllocationLimit(neededMiB);
    });
}

quint32 le32(const uchar* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (quint32(p[3]) << 24); }
quint16 le16(const uchar* p) { return quint16(p[0] | (p[1] << 8)); }
quint32 be32(const uchar* p) { return (quint32(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

// Walks the JPEG marker segments and the entropy-coded data up to the end-of-image marker.
// libjpeg decodes a truncated file "successfully" (it pads with grey and only warns), so this
// is how a truncated JPEG is told apart. Returns true when an EOI marker is reached.
bool jpegIsComplete(const uchar* d, qint64 n)
{
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return true;  // not a JPEG we can judge
    qint64 pos = 2;
    while (pos + 1 < n) {
        if (d[pos] != 0xFF) {  // stray byte between segments: libjpeg skips it, so do we
            ++pos;
            continue;
        }
        const uchar marker = d[pos + 1];
        if (marker == 0xFF) {  // fill byte
            ++pos;
            continue;
        }
        if (marker == 0xD9) return true;  // EOI
        if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
            pos += 2;  // standalone markers
            continue;
        }
        if (pos + 4 > n) return false;
        const qint64 end = pos + 2 + ((d[pos + 2] << 8) | d[pos + 3]);
        if (end > n) return false;
        pos = end;
        if (marker != 0xDA) continue;
        // After SOS: entropy-coded data, where 0xFF is stuffed as FF 00 and restart markers
        // are FF D0..D7; any other FF xx is the next marker.
        while (pos + 1 < n) {
            if (d[pos] == 0xFF) {
                const uchar next = d[pos + 1];
                if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                    pos += 2;
                    continue;
                }
                if (next == 0xFF) {
                    ++pos;
                    continue;
                }
                break;
            }
            ++pos;
        }
    }
    return false;
}

// Qt's BMP decoder returns a partly filled image for a short file; compare the file size with
// what the header promises for uncompressed data.
bool bmpIsComplete(const uchar* d, qint64 n)
{
    if (n < 26 || d[0] != 'B' || d[1] != 'M') return true;
    const quint32 offBits = le32(d + 10);
    const quint32 headerSize = le32(d + 14);
    qint64 w = 0, h = 0, bpp = 0, compression = 0;
    if (headerSize == 12) {
        w = le16(d + 18);
        h = le16(d + 20);
        bpp = le16(d + 24);
    } else if (headerSize >= 40 && n >= 34) {
        w = qint32(le32(d + 18));
        h = qint32(le32(d + 22));
        bpp = le16(d + 28);
        compression = le32(d + 30);
    } else {
        return true;
    }
    if (compression != 0 && compression != 3 && compression != 6) return true;  // RLE etc.
    // |w| * bpp < 2^47, but rows * rowBytes can overflow: compare by division.
    const qint64 rowBytes = ((std::abs(w) * bpp + 31) / 32) * 4;
    const qint64 rows = std::abs(h);
    const qint64 available = n - qint64(offBits);
    return available >= 0 && (rows == 0 || rowBytes <= available / rows);
}

// Width/height straight from a PNG IHDR or BMP header, for a clearer message when Qt refuses
// a zero-sized image without telling why. Returns an invalid size when unknown.
QSize headerSize(const uchar* d, qint64 n)
{
    static const uchar png[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (n >= 24 && std::memcmp(d, png, 8) == 0 && std::memcmp(d + 12, "IHDR", 4) == 0)
        return QSize(int(be32(d + 16)), int(be32(d + 20)));
    if (n >= 26 && d[0] == 'B' && d[1] == 'M' && le32(d + 14) >= 40) {
        // |INT32_MIN| does not fit an int: such a BMP is too large anyway.
        auto side = [](quint32 v) { return int(std::min<qint64>(std::abs(qint64(qint32(v))), INT_MAX)); };
        return QSize(side(le32(d + 18)), side(le32(d + 22)));
    }
    return {};
}

bool hasMoreThan8BitsPerChannel(QImage::Format f)
{
    switch (f) {
    case QImage::Format_BGR30:
    case QImage::Format_A2BGR30_Premultiplied:
    case QImage::Format_RGB30:
    case QImage::Format_A2RGB30_Premultiplied:
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
    case QImage::Format_RGBA64_Premultiplied:
    case QImage::Format_RGBX16FPx4:
    case QImage::Format_RGBA16FPx4:
    case QImage::Format_RGBA16FPx4_Premultiplied:
    case QImage::Format_RGBX32FPx4:
    case QImage::Format_RGBA32FPx4:
    case QImage::Format_RGBA32FPx4_Premultiplied:
        return true;
    default:
        return false;
    }
}

QString saveFormatFor(const QString& path)
{
    const QString ext = QFileInfo(path).suffix().toLower();
    if (ext == QLatin1String("png")) return QStringLiteral("png");
    if (ext == QLatin1String("jpg") || ext == QLatin1String("jpeg")) return QStringLiteral("jpeg");
    if (ext == QLatin1String("webp")) return QStringLiteral("webp");
    if (ext == QLatin1String("tif") || ext == QLatin1String("tiff")) return QStringLiteral("tiff");
    if (ext == QLatin1String("bmp")) return QStringLiteral("bmp");
    return {};
}

// Straight-alpha 8-bit RGBA composited onto white, for formats that cannot hold alpha.
QImage flattenOntoWhite(const QImage& rgba8)
{
    QImage out(rgba8.size(), QImage::Format_RGB888);
    if (out.isNull()) return {};
    for (int y = 0; y < rgba8.height(); ++y) {
        const uchar* s = rgba8.constScanLine(y);
        uchar* d = out.scanLine(y);
        for (int x = 0; x < rgba8.width(); ++x, s += 4, d += 3) {
            const int a = s[3];
            for (int c = 0; c < 3; ++c) d[c] = uchar((s[c] * a + 255 * (255 - a) + 127) / 255);
        }
    }
    out.setDotsPerMeterX(rgba8.dotsPerMeterX());
    out.setDotsPerMeterY(rgba8.dotsPerMeterY());
    return out;
}

// The pixels actually handed to the writer for a given target format.
QImage prepareForFormat(const QImage& doc, const QString& fmt)
{
    if (fmt == QLatin1String("png") || fmt == QLatin1String("tiff")) return doc;  // all formats fit
    const QImage::Format f = doc.format();
    const bool sixteen = f == QImage::Format_Grayscale16 || f == QImage::Format_RGBX64 || f == QImage::Format_RGBA64;
    const bool alpha = doc.hasAlphaChannel();
    QImage eight = doc;
    if (sixteen) {
        eight = doc.convertToFormat(f == QImage::Format_Grayscale16 ? QImage::Format_Grayscale8
                                    : alpha                          ? QImage::Format_RGBA8888
                                                                     : QImage::Format_RGB888);
    }
    if (eight.isNull()) return {};
    if (alpha && fmt != QLatin1String("webp")) return flattenOntoWhite(eight);
    return eight;
}

}  // namespace

bool isDocumentFormat(QImage::Format f)
{
    switch (f) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Grayscale16:
    case QImage::Format_RGB888:
    case QImage::Format_RGBA8888:
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
        return true;
    default:
        return false;
    }
}

QImage toDocumentFormat(const QImage& image)
{
    if (image.isNull() || isDocumentFormat(image.format())) return image;
    QImage::Format target;
    switch (image.format()) {
    case QImage::Format_Mono:
    case QImage::Format_MonoLSB:
    case QImage::Format_Indexed8:
        if (image.hasAlphaChannel()) target = QImage::Format_RGBA8888;
        else if (image.allGray()) target = QImage::Format_Grayscale8;
        else target = QImage::Format_RGB888;
        break;
    case QImage::Format_Alpha8:
        target = QImage::Format_RGBA8888;
        break;
    default:
        if (hasMoreThan8BitsPerChannel(image.format()))
            target = image.hasAlphaChannel() ? QImage::Format_RGBA64 : QImage::Format_RGBX64;
        else
            target = image.hasAlphaChannel() ? QImage::Format_RGBA8888 : QImage::Format_RGB888;
        break;
    }
    return image.convertToFormat(target);
}

QString documentFormatName(QImage::Format f)
{
    switch (f) {
    case QImage::Format_Grayscale8: return QStringLiteral("grey 8-bit");
    case QImage::Format_Grayscale16: return QStringLiteral("grey 16-bit");
    case QImage::Format_RGB888: return QStringLiteral("RGB 8-bit");
    case QImage::Format_RGBA8888: return QStringLiteral("RGBA 8-bit");
    case QImage::Format_RGBX64: return QStringLiteral("RGB 16-bit");
    case QImage::Format_RGBA64: return QStringLiteral("RGBA 16-bit");
    default: return QStringLiteral("other");
    }
}

namespace {

// The decoder shared by loadImage() and loadImageFromData(): `device` is open for reading,
// `bytes`/`size` are its whole content (or null when it cannot be mapped), `name` is how
// messages name the source.
QImage decodeImage(QIODevice* device, const uchar* bytes, qint64 size, const QString& name, qint64 maxPixels,
                   QString* error)
{
    auto fail = [&](const QString& msg) {
        if (error) *error = msg;
        return QImage();
    };
    if (size == 0) return fail(QStringLiteral("%1 is empty (0 bytes).").arg(name));

    try {
        QImageReader reader(device);
        reader.setAutoTransform(true);
        if (!reader.canRead()) {
            return fail(QStringLiteral("%1 is not an image in a supported format (PNG, JPEG, WebP, TIFF, BMP) "
                                       "or its header is corrupt.").arg(name));
        }
        const QByteArray format = reader.format();
        // Qt's MNG handler (libmng) allocates what the stream's header declares, gigabytes from a
        // few hundred bytes, before any size check can run (found by fuzz_ora); MNG is not one of
        // the formats offered, so it is refused before anything is decoded.
        if (format == "mng")
            return fail(QStringLiteral("%1 is an MNG animation, which this program does not open; "
                                       "save it as PNG, JPEG, WebP, TIFF or BMP.").arg(name));

        // Header-level checks on the raw bytes.
        QSize declared;
        bool complete = true;
        if (bytes) {
            declared = headerSize(bytes, size);
            if (format == "jpeg") complete = jpegIsComplete(bytes, size);
            else if (format == "bmp") complete = bmpIsComplete(bytes, size);
        }

        QSize imageSize = reader.size();
        // A top-down BMP reports a negative height: its size is the magnitude, not "unknown".
        if (imageSize != QSize(-1, -1) && !imageSize.isValid())
            imageSize = QSize(int(std::min<qint64>(std::abs(qint64(imageSize.width())), INT_MAX)),
                              int(std::min<qint64>(std::abs(qint64(imageSize.height())), INT_MAX)));
        if (!imageSize.isValid() && declared.isValid()) imageSize = declared;
        if (imageSize.isValid() && (imageSize.width() <= 0 || imageSize.height() <= 0))
            return fail(QStringLiteral("%1 has zero size (%2x%3 pixels).")
                            .arg(name).arg(imageSize.width()).arg(imageSize.height()));
        if (imageSize.isValid() && qint64(imageSize.width()) * imageSize.height() > maxPixels) {
            return fail(QStringLiteral("%1 is %2x%3 pixels, more than the %4 megapixels%5 this program can open.")
                            .arg(name).arg(imageSize.width()).arg(imageSize.height())
                            .arg(double(maxPixels) / 1e6, 0, 'g', 4)
                            .arg(maxPixels == kMaxImagePixels ? QStringLiteral(" (20000x20000)") : QString()));
        }
        if (!complete)
            return fail(QStringLiteral("%1 is truncated or corrupt: its %2 data ends early.")
                            .arg(name, QString::fromLatin1(format).toUpper()));

        raiseAllocationLimit();
        QImage image;
        if (!reader.read(&image) || image.isNull()) {
            const qint64 pixels = imageSize.isValid() ? qint64(imageSize.width()) * imageSize.height() : 0;
            QString msg = QStringLiteral("%1 could not be decoded (%2): the file is truncated, corrupt or unsupported")
                              .arg(name, reader.errorString());
            if (pixels > 50'000'000)
                msg += QStringLiteral(", or there is not enough memory for %1x%2 pixels")
                           .arg(imageSize.width()).arg(imageSize.height());
            return fail(msg + QLatin1Char('.'));
        }
        if (image.width() <= 0 || image.height() <= 0)
            return fail(QStringLiteral("%1 has zero size.").arg(name));
        // The size was unknown or wrong before decoding: the limit still holds for the result.
        if (qint64(image.width()) * image.height() > maxPixels)
            return fail(QStringLiteral("%1 is %2x%3 pixels, more than the %4 megapixels this program can open.")
                            .arg(name).arg(image.width()).arg(image.height()).arg(double(maxPixels) / 1e6, 0, 'g', 4));
        QImage doc = toDocumentFormat(image);
        if (doc.isNull())
            return fail(QStringLiteral("There is not enough memory to open %1 (%2x%3 pixels).")
                            .arg(name).arg(image.width()).arg(image.height()));
        return doc;
    } catch (const std::bad_alloc&) {
        return fail(QStringLiteral("There is not enough memory to open %1.").arg(name));
    }
}

}  // namespace

QImage loadImage(const QString& path, QString* error)
{
    auto fail = [&](const QString& msg) {
        if (error) *error = msg;
        return QImage();
    };
    const QString name = quoted(path);
    if (path.isEmpty()) return fail(QStringLiteral("No image file was given."));
    const QFileInfo info(path);
    if (!info.exists()) return fail(QStringLiteral("The file %1 does not exist.").arg(name));
    if (info.isDir()) return fail(QStringLiteral("%1 is a folder, not an image file.").arg(name));

    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(QStringLiteral("Cannot open %1: %2.").arg(name, file.errorString()));
    const qint64 fileSize = file.size();
    if (fileSize == 0) return fail(QStringLiteral("The file %1 is empty (0 bytes).").arg(name));
    // The header checks read the raw bytes mapped, not copied.
    uchar* bytes = file.map(0, fileSize);
    QImage image = decodeImage(&file, bytes, fileSize, name, kMaxImagePixels, error);
    if (bytes) file.unmap(bytes);
    return image;
}

QImage loadImageFromData(const QByteArray& data, const QString& what, QString* error, qint64 maxPixels)
{
    QBuffer buffer;
    buffer.setData(data);
    buffer.open(QIODevice::ReadOnly);
    return decodeImage(&buffer, reinterpret_cast<const uchar*>(data.constData()), data.size(), what, maxPixels,
                       error);
}

QImage loadMask(const QString& path, QSize expected, bool resizeToFit, QString* error)
{
    QString err;
    const QImage image = loadImage(path, &err);
    if (image.isNull()) {
        if (error) *error = err;
        return {};
    }
    QImage mask = maskFromImage(image);
    if (mask.isNull()) {
        if (error) *error = QStringLiteral("There is not enough memory to open the mask %1.").arg(quoted(path));
        return {};
    }
    if (expected.isValid() && !expected.isEmpty() && mask.size() != expected) {
        if (!resizeToFit) {
            if (error)
                *error = QStringLiteral("The mask %1 is %2x%3 pixels but the image is %4x%5 pixels.")
                             .arg(quoted(path)).arg(mask.width()).arg(mask.height())
                             .arg(expected.width()).arg(expected.height());
            return {};
        }
        mask = resizeMask(mask, expected);
        if (mask.isNull()) {
            if (error) *error = QStringLiteral("There is not enough memory to resize the mask %1.").arg(quoted(path));
            return {};
        }
    }
    return mask;
}

bool isSupportedSavePath(const QString& path)
{
    return !saveFormatFor(path).isEmpty();
}

QString readImageParameters(const QString& path)
{
    // QImageReader::text() flattens line breaks; the decoded image keeps the chunk as written.
    QImageReader reader(path);
    return reader.canRead() ? reader.read().text(QStringLiteral("parameters")) : QString();
}

bool saveImage(const QImage& image, const QString& path, QString* error, int quality, const QString& parameters)
{
    auto fail = [&](const QString& msg) {
        if (error) *error = msg;
        return false;
    };
    const QString name = quoted(path);
    if (path.isEmpty()) return fail(QStringLiteral("No output file was given."));
    if (image.isNull()) return fail(QStringLiteral("Cannot save %1: there is no image.").arg(name));
    const QString fmt = saveFormatFor(path);
    if (fmt.isEmpty()) {
        return fail(QStringLiteral("Cannot save %1: unknown file extension (use .png, .jpg, .webp, .tif or .bmp).")
                        .arg(name));
    }
    if (!QImageWriter::supportedImageFormats().contains(fmt.toLatin1()))
        return fail(QStringLiteral("Cannot save %1: this Qt has no %2 writer plugin.").arg(name, fmt.toUpper()));

    const QFileInfo info(path);
    if (info.isDir()) return fail(QStringLiteral("Cannot save %1: it is a folder.").arg(name));
    const QFileInfo dir(info.absolutePath());
    if (!dir.exists())
        return fail(QStringLiteral("Cannot save %1: the folder %2 does not exist.").arg(name, quoted(dir.filePath())));
    if (!dir.isDir())
        return fail(QStringLiteral("Cannot save %1: %2 is not a folder.").arg(name, quoted(dir.filePath())));

    try {
        QImage pixels = prepareForFormat(toDocumentFormat(image), fmt);
        if (pixels.isNull()) return fail(QStringLiteral("There is not enough memory to save %1.").arg(name));

        QSaveFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            return fail(QStringLiteral("Cannot save %1: %2.").arg(name, file.errorString()));
        QImageWriter writer(&file, fmt.toLatin1());
        if (fmt == QLatin1String("jpeg") || fmt == QLatin1String("webp")) writer.setQuality(quality);
        if (fmt == QLatin1String("tiff")) writer.setCompression(1);  // LZW: lossless, much smaller
        // QImageWriter::setText() would flatten line breaks; the image's own text is written as is.
        if (fmt == QLatin1String("png") && !parameters.isEmpty()) pixels.setText(QStringLiteral("parameters"), parameters);
        if (!writer.write(pixels)) {
            file.cancelWriting();
            return fail(QStringLiteral("Cannot save %1: %2.").arg(name, writer.errorString()));
        }
        if (!file.commit())
            return fail(QStringLiteral("Cannot save %1: %2.").arg(name, file.errorString()));
        return true;
    } catch (const std::bad_alloc&) {
        return fail(QStringLiteral("There is not enough memory to save %1.").arg(name));
    }
}

}  // namespace inpaint::imaging
