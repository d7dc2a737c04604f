// libFuzzer harness: OpenRaster projects (core/document/ora_project.cpp) through decodeOra, the
// reader Open and the autosave restore use: libzip's archive checks, the mimetype, stack.xml
// (well-formedness, then the stack), the layer PNGs and their sizes. A project it accepts must be
// whole: a document-format picture, masks of its size, results inside it; and it must survive
// a second round (encode, decode) unchanged in shape.
#include "tests/fuzz/fuzz_util.h"

#include "core/document/ora_project.h"
#include "core/imaging/image_io.h"

#include <QByteArray>
#include <QGuiApplication>

using namespace inpaint;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv)
{
    static QGuiApplication app(*argc, *argv);  // QPainter for the merged image of the re-encode
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    QString error;
    const auto p = document::decodeOra(bytes, QStringLiteral("the fuzz input"), &error);
    if (!p) {
        if (error.isEmpty()) fuzz::fail("a refused project without a message");
        return 0;
    }
    if (p->image.isNull() || !imaging::isDocumentFormat(p->image.format())) fuzz::fail("accepted a project without a document-format picture");
    if (qint64(p->image.width()) * p->image.height() > 4'000'000) return 0;  // keep the re-encode small
    for (const auto& l : p->layers)
        if (l.pixels.size() != p->image.size() || l.pixels.format() != QImage::Format_Grayscale8)
            fuzz::fail("accepted a mask layer that does not fit the picture");
    for (const auto& r : p->results)
        if (!p->image.rect().contains(r.region) || r.pixels.size() != r.region.size())
            fuzz::fail("accepted a result outside the picture");
    const QByteArray again = document::encodeOra(*p, &error);
    if (again.isEmpty()) fuzz::fail("an accepted project cannot be written back: " + error.toStdString());
    const auto q = document::decodeOra(again, QStringLiteral("the re-encoded input"), &error);
    if (!q || q->image.size() != p->image.size() || q->layers.size() != p->layers.size() ||
        q->results.size() != p->results.size())
        fuzz::fail("a written project does not read back the same");
    fuzz::sink(uint64_t(again.size()));
    return 0;
}
