// libFuzzer harness: the image loader's own code (core/imaging/image_io.cpp: format sniffing, the
// JPEG/BMP completeness checks, header sizes, EXIF orientation through QImageReader, conversion of
// 16-bit / grey / indexed / alpha images to the document formats) through loadImageFromData, the
// decoder loadImage() uses, then the mask conversion loadMask() applies. Qt's and the codecs'
// own code is not instrumented. The pixel limit is lowered to 4 megapixels to keep memory bounded.
#include "tests/fuzz/fuzz_util.h"

#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"

#include <QByteArray>
#include <QCoreApplication>

using namespace inpaint;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    // Image plugins (JPEG, TIFF, WebP, ...) are found through the application's library paths.
    static QCoreApplication app(*argc, *argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const QImage image = imaging::loadImageFromData(bytes, QStringLiteral("the fuzz input"), &error, 4'000'000);
    if (image.isNull()) {
        if (error.isEmpty()) fuzz::fail("a refused image without a message");
        return 0;
    }
    if (!imaging::isDocumentFormat(image.format()))
        fuzz::fail("loaded image is in format " + std::to_string(int(image.format())) + ", not a document format");
    if (qint64(image.width()) * image.height() > 4'000'000) fuzz::fail("image above the pixel limit decoded");
    const QImage mask = imaging::maskFromImage(image);
    if (mask.format() != QImage::Format_Grayscale8 || mask.size() != image.size())
        fuzz::fail("maskFromImage() changed the size or did not give Grayscale8");
    fuzz::sink(uint64_t(imaging::maskCoverage(mask)));
    return 0;
}
