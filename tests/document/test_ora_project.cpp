// OpenRaster projects: every document format and every layer attribute survives a round trip
// exactly; the archive has the layout the spec asks for (mimetype first, stored, no extra field);
// damaged and foreign files give a clear message and never a project; writes are atomic.
#include "core/document/document.h"
#include "core/document/ora_project.h"
#include "core/imaging/image_io.h"
#include "tests/imaging/test_images.h"

#include <QBuffer>
#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>
#include <QUndoStack>
#include <QXmlStreamReader>

#include <zip.h>

using inpaint::document::Document;
using inpaint::document::MaskLayer;
using inpaint::document::Project;
using inpaint::document::ProjectResult;
namespace ora = inpaint::document;

namespace {

QImage makeMask(QSize size, int seed) {
    QImage m(size, QImage::Format_Grayscale8);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x) m.scanLine(y)[x] = uchar((x * 7 + y * 13 + seed * 31) % 256);
    m.scanLine(0)[0] = 0;
    m.scanLine(0)[1] = 1;
    m.scanLine(0)[2] = 254;
    m.scanLine(0)[3] = 255;
    return m;
}

Project sampleProject(QImage::Format format) {
    Project p;
    p.image = testimg::makeImage(QSize(37, 23), format, 5);
    p.sourcePath = QStringLiteral("/photos/été & <co>.png");
    for (int i = 0; i < 3; ++i) {
        MaskLayer l;
        l.name = i == 1 ? QStringLiteral("Cup \"left\" <&> ünï") : QStringLiteral("Mask %1").arg(i + 1);
        l.color = QColor::fromRgb(40 * i + 10, 200 - 50 * i, 90 + i);
        l.visible = i != 2;
        l.pixels = makeMask(p.image.size(), i);
        p.layers.push_back(l);
    }
    p.activeLayer = 1;
    p.overlayOpacity = 0.37;
    ProjectResult r1;
    r1.region = QRect(3, 4, 10, 7);
    r1.pixels = testimg::makeImage(r1.region.size(), format, 9);
    r1.recipe = QStringLiteral("a red cup\nNegative prompt: blur\nSteps: 20, Sampler: Euler a, Seed: 7");
    r1.modelPath = QStringLiteral("/models/tiny-sd");
    r1.current = true;
    ProjectResult r2;
    r2.region = QRect(0, 0, 37, 23);
    r2.pixels = testimg::makeImage(r2.region.size(), format, 11);
    r2.current = false;
    p.results = {r1, r2};
    return p;
}

bool sameImage(const QImage& a, const QImage& b) {
    if (a.size() != b.size() || a.format() != b.format()) return false;
    const int bytes = a.bytesPerLine() < b.bytesPerLine() ? a.bytesPerLine() : b.bytesPerLine();
    const int used = a.width() * a.depth() / 8;
    for (int y = 0; y < a.height(); ++y)
        if (std::memcmp(a.constScanLine(y), b.constScanLine(y), std::min(bytes, used)) != 0) return false;
    return true;
}

// A zip made by hand from (name, bytes), mimetype first and stored.
QByteArray makeZip(const QList<QPair<QString, QByteArray>>& entries) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t* src = zip_source_buffer_create(nullptr, 0, 0, &ze);
    zip_t* za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    zip_source_keep(src);
    QList<QByteArray> keep;
    for (const auto& [name, data] : entries) {
        keep.push_back(data);
        zip_source_t* s = zip_source_buffer(za, keep.back().constData(), keep.back().size(), 0);
        const auto i = zip_file_add(za, name.toUtf8().constData(), s, ZIP_FL_OVERWRITE);
        zip_set_file_compression(za, i, ZIP_CM_STORE, 0);
    }
    zip_close(za);
    zip_stat_t st;
    zip_source_stat(src, &st);
    zip_source_open(src);
    QByteArray out(qsizetype(st.size), '\0');
    zip_source_read(src, out.data(), st.size);
    zip_source_close(src);
    zip_source_free(src);
    return out;
}

// The entries of an archive (name -> bytes), read with libzip.
QMap<QString, QByteArray> unzipAll(const QByteArray& bytes) {
    QMap<QString, QByteArray> out;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t* src = zip_source_buffer_create(bytes.constData(), bytes.size(), 0, &ze);
    zip_t* za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!za) return out;
    for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0); ++i) {
        zip_stat_t st;
        zip_stat_index(za, i, 0, &st);
        zip_file_t* f = zip_fopen_index(za, i, 0);
        QByteArray data(qsizetype(st.size), '\0');
        zip_fread(f, data.data(), st.size);
        zip_fclose(f);
        out.insert(QString::fromUtf8(st.name), data);
    }
    zip_discard(za);
    return out;
}

QByteArray png(const QImage& img) {
    QByteArray b;
    QBuffer buf(&b);
    buf.open(QIODevice::WriteOnly);
    img.save(&buf, "PNG");
    return b;
}

const QByteArray kMime("image/openraster");

QByteArray stackXml(const QString& layers, int w = 8, int h = 6) {
    return QStringLiteral("<?xml version='1.0' encoding='UTF-8'?>\n<image version=\"0.0.6\" w=\"%1\" h=\"%2\" "
                          "xmlns:inpaint=\"%3\"><stack>%4</stack></image>")
        .arg(w)
        .arg(h)
        .arg(QString::fromLatin1(ora::kOraNamespace), layers)
        .toUtf8();
}

QImage grey(QSize s, int v) {
    QImage m(s, QImage::Format_Grayscale8);
    m.fill(v);
    return m;
}

}  // namespace

class TestOraProject : public QObject {
    Q_OBJECT
private slots:
    void roundTripIsExact_data() {
        QTest::addColumn<int>("format");
        for (auto f : {QImage::Format_Grayscale8, QImage::Format_Grayscale16, QImage::Format_RGB888,
                       QImage::Format_RGBA8888, QImage::Format_RGBX64, QImage::Format_RGBA64})
            QTest::newRow(qPrintable(inpaint::imaging::documentFormatName(f))) << int(f);
    }
    void roundTripIsExact() {
        QFETCH(int, format);
        const Project p = sampleProject(QImage::Format(format));
        QString error;
        const QByteArray bytes = ora::encodeOra(p, &error);
        QVERIFY2(!bytes.isEmpty(), qPrintable(error));
        const auto back = ora::decodeOra(bytes, QStringLiteral("test.ora"), &error);
        QVERIFY2(back.has_value(), qPrintable(error));
        QCOMPARE(back->image.format(), p.image.format());
        QVERIFY(sameImage(back->image, p.image));
        QCOMPARE(back->sourcePath, p.sourcePath);
        QCOMPARE(back->layers.size(), p.layers.size());
        for (int i = 0; i < p.layers.size(); ++i) {
            QCOMPARE(back->layers[i].name, p.layers[i].name);
            QCOMPARE(back->layers[i].color, p.layers[i].color);
            QCOMPARE(back->layers[i].visible, p.layers[i].visible);
            QCOMPARE(back->layers[i].pixels.format(), QImage::Format_Grayscale8);
            QVERIFY2(sameImage(back->layers[i].pixels, p.layers[i].pixels), qPrintable(QString::number(i)));
        }
        QCOMPARE(back->activeLayer, 1);
        QVERIFY(qAbs(back->overlayOpacity - 0.37) < 1e-9);
        QCOMPARE(back->results.size(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(back->results[i].region, p.results[i].region);
            QCOMPARE(back->results[i].recipe, p.results[i].recipe);
            QCOMPARE(back->results[i].modelPath, p.results[i].modelPath);
            QCOMPARE(back->results[i].current, p.results[i].current);
            QVERIFY(sameImage(back->results[i].pixels, p.results[i].pixels));
        }
    }

    void archiveFollowsTheSpec() {
        Project p = sampleProject(QImage::Format_RGB888);
        p.image = testimg::makeImage(QSize(600, 300), QImage::Format_RGB888, 2);
        for (MaskLayer& l : p.layers) l.pixels = grey(p.image.size(), 0);
        p.layers[0].pixels.fill(255);  // visible, full
        p.layers[2].pixels.fill(255);  // hidden: must not show in the merged image
        p.layers[1].pixels = grey(p.image.size(), 0);
        p.results.clear();
        QString error;
        const QByteArray bytes = ora::encodeOra(p, &error);
        QVERIFY2(!bytes.isEmpty(), qPrintable(error));
        // The first local header: signature, method 0 (stored), no extra field, "mimetype", then the type.
        QCOMPARE(bytes.left(4), QByteArray("PK\x03\x04", 4));
        QCOMPARE(quint8(bytes[8]) | (quint8(bytes[9]) << 8), 0);
        QCOMPARE(quint8(bytes[26]) | (quint8(bytes[27]) << 8), 8);
        QCOMPARE(quint8(bytes[28]) | (quint8(bytes[29]) << 8), 0);
        QCOMPARE(bytes.mid(30, 8), QByteArray("mimetype"));
        QCOMPARE(bytes.mid(38, kMime.size()), kMime);

        const auto entries = unzipAll(bytes);
        for (const char* n : {"mimetype", "stack.xml", "mergedimage.png", "Thumbnails/thumbnail.png", "data/image.png",
                              "data/mask-1.png", "data/mask-2.png", "data/mask-3.png"})
            QVERIFY2(entries.contains(QString::fromLatin1(n)), n);
        const QImage thumb = QImage::fromData(entries.value(QStringLiteral("Thumbnails/thumbnail.png")));
        QCOMPARE(thumb.size(), QSize(256, 128));
        const QImage merged = QImage::fromData(entries.value(QStringLiteral("mergedimage.png")));
        QCOMPARE(merged.size(), p.image.size());
        // Layer 0 (visible, 255 everywhere) blends its colour in at 0.37 (within 8-bit premultiplied
        // rounding: 2 levels); layer 2 is hidden.
        const QColor c = p.layers[0].color;
        const QColor base = p.image.pixelColor(10, 10);
        const QColor m = merged.pixelColor(10, 10);
        QVERIFY(qAbs(m.red() - (base.red() + (c.red() - base.red()) * 0.37)) <= 2.0);
        QVERIFY2(qAbs(m.green() - (base.green() + (c.green() - base.green()) * 0.37)) <= 2.0,
                 qPrintable(QStringLiteral("%1 %2 %3").arg(m.green()).arg(base.green()).arg(c.green())));

        // stack.xml: the root stack lists the masks top first, then the image; every src exists.
        QXmlStreamReader x(entries.value(QStringLiteral("stack.xml")));
        QStringList names, srcs;
        while (!x.atEnd()) {
            x.readNext();
            if (x.isStartElement() && x.name() == u"image") {
                QCOMPARE(x.attributes().value(QStringLiteral("w")).toString(), QStringLiteral("600"));
                QCOMPARE(x.attributes().value(QStringLiteral("h")).toString(), QStringLiteral("300"));
            }
            if (x.isStartElement() && x.name() == u"layer") {
                names << x.attributes().value(QStringLiteral("name")).toString();
                srcs << x.attributes().value(QStringLiteral("src")).toString();
                const QString vis = x.attributes().value(QStringLiteral("visibility")).toString();
                QVERIFY(vis == u"visible" || vis == u"hidden");
            }
        }
        QVERIFY(!x.hasError());
        QCOMPARE(names, (QStringList{QStringLiteral("Mask 3"), p.layers[1].name, QStringLiteral("Mask 1"), QStringLiteral("Image")}));
        for (const QString& s : srcs) QVERIFY2(entries.contains(s), qPrintable(s));
        // A mask layer's PNG: the layer colour, alpha = the mask.
        const QImage maskPng = QImage::fromData(entries.value(QStringLiteral("data/mask-1.png")))
                                   .convertToFormat(QImage::Format_RGBA8888);
        QCOMPARE(maskPng.pixelColor(3, 3).alpha(), 255);
        QCOMPARE(maskPng.pixelColor(3, 3).rgb(), c.rgb());
    }

    void documentRoundTrip() {
        Document doc;
        doc.reset(testimg::makeImage(QSize(40, 30), QImage::Format_RGB888, 3), QStringLiteral("/x/y.png"));
        doc.addLayerWithPixels(QStringLiteral("Imported"), makeMask(doc.size(), 4));
        doc.setLayerVisible(0, false);
        doc.setOverlayOpacity(0.8);
        const Project p = ora::projectFromDocument(doc);
        QCOMPARE(p.layers.size(), 2);
        QCOMPARE(p.activeLayer, doc.activeLayerIndex());
        QString error;
        const auto back = ora::decodeOra(ora::encodeOra(p, &error), QStringLiteral("t"), &error);
        QVERIFY2(back, qPrintable(error));

        Document restored;
        restored.resetToProject(back->image, back->layers, back->activeLayer, back->overlayOpacity, back->sourcePath,
                                /*unsaved=*/true);
        QCOMPARE(restored.layerCount(), 2);
        QVERIFY(sameImage(restored.image(), doc.image()));
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(restored.layer(i).name, doc.layer(i).name);
            QCOMPARE(restored.layer(i).visible, doc.layer(i).visible);
            QVERIFY(sameImage(restored.layer(i).pixels, doc.layer(i).pixels));
        }
        QVERIFY(restored.layer(0).id != restored.layer(1).id);
        QCOMPARE(restored.activeLayerIndex(), doc.activeLayerIndex());
        QVERIFY(qAbs(restored.overlayOpacity() - 0.8) < 1e-9);
        QCOMPARE(restored.sourcePath(), QStringLiteral("/x/y.png"));
        QVERIFY(restored.isModified());      // restored from an autosave: nowhere saved yet
        QCOMPARE(restored.undoStack()->count(), 0);
        restored.markClean();
        QVERIFY(!restored.isModified());
        Document opened;
        opened.resetToProject(back->image, back->layers, back->activeLayer, back->overlayOpacity, {}, false);
        QVERIFY(!opened.isModified());
    }

    void badFilesGiveAClearMessage_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        Project p = sampleProject(QImage::Format_RGB888);
        QString e;
        const QByteArray good = ora::encodeOra(p, &e);
        QTest::newRow("truncated") << good.left(good.size() / 2) << QStringLiteral("damaged or cut short");
        QTest::newRow("last byte cut") << good.left(good.size() - 1) << QStringLiteral("damaged or cut short");
        QTest::newRow("not a zip") << QByteArray("hello, I am a text file") << QStringLiteral("damaged or cut short");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("not an OpenRaster file");
        const QByteArray img = png(testimg::makeImage(QSize(8, 6), QImage::Format_RGB888));
        const QByteArray mask8x6 = png(grey(QSize(8, 6), 255).convertToFormat(QImage::Format_RGBA8888));
        const QString imageLayer = QStringLiteral("<layer name=\"Image\" src=\"data/image.png\" inpaint:kind=\"image\"/>");
        QTest::newRow("no mimetype") << makeZip({{QStringLiteral("stack.xml"), stackXml(imageLayer)}})
                                     << QStringLiteral("not an OpenRaster file");
        QTest::newRow("wrong mimetype") << makeZip({{QStringLiteral("mimetype"), QByteArray("application/zip")}})
                                        << QStringLiteral("its mimetype is");
        QTest::newRow("no stack.xml") << makeZip({{QStringLiteral("mimetype"), kMime}}) << QStringLiteral("no entry \"stack.xml\"");
        QTest::newRow("stack.xml not XML")
            << makeZip({{QStringLiteral("mimetype"), kMime}, {QStringLiteral("stack.xml"), QByteArray("<image w=\"8\" h=\"6\"><stack><layer></image>")}})
            << QStringLiteral("not valid XML");
        QTest::newRow("stack.xml binary")
            << makeZip({{QStringLiteral("mimetype"), kMime}, {QStringLiteral("stack.xml"), QByteArray("\x89PNG\r\n\x1a\n\0\0", 10)}})
            << QStringLiteral("not valid XML");
        QTest::newRow("no size") << makeZip({{QStringLiteral("mimetype"), kMime},
                                             {QStringLiteral("stack.xml"), QByteArray("<image><stack/></image>")}})
                                 << QStringLiteral("no valid image size");
        QTest::newRow("too large") << makeZip({{QStringLiteral("mimetype"), kMime},
                                               {QStringLiteral("stack.xml"), stackXml(imageLayer, 60000, 60000)}})
                                   << QStringLiteral("more than this editor opens");
        QTest::newRow("unknown element")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<text name=\"Caption\">hi</text>") + imageLayer)},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("element of a kind this editor does not know: <text>");
        QTest::newRow("unknown kind")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<layer name=\"V\" src=\"data/v.png\" inpaint:kind=\"vector\"/>") + imageLayer)},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("of a kind this editor does not know (\"vector\")");
        QTest::newRow("mask of another size")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<layer name=\"M\" src=\"data/m.png\" inpaint:kind=\"mask\"/>") + imageLayer)},
                        {QStringLiteral("data/m.png"), png(grey(QSize(5, 6), 255))},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("mask layer \"M\" is 5x6 at (0, 0), but the image is 8x6");
        QTest::newRow("image of another size")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(imageLayer, 9, 6)},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("its image layer is 8x6 at (0, 0), but the image is 9x6");
        QTest::newRow("result outside")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"),
                         stackXml(QStringLiteral("<stack inpaint:kind=\"results\"><layer name=\"R\" src=\"data/r.png\" x=\"5\" y=\"0\" "
                                                 "inpaint:kind=\"result\"/></stack>") + imageLayer)},
                        {QStringLiteral("data/r.png"), img},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("does not lie inside");
        QTest::newRow("missing layer file")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<layer name=\"M\" src=\"data/m.png\" inpaint:kind=\"mask\"/>") + imageLayer)},
                        {QStringLiteral("data/image.png"), img}})
            << QStringLiteral("layer \"M\" is missing: it has no entry \"data/m.png\"");
        QTest::newRow("layer not an image")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(imageLayer)},
                        {QStringLiteral("data/image.png"), QByteArray("not a png")}})
            << QStringLiteral("layer \"Image\" cannot be decoded");
        {
            // A layer in another format (here JPEG) is refused before any decoder runs.
            QByteArray jpeg;
            QBuffer buf(&jpeg);
            buf.open(QIODevice::WriteOnly);
            QVERIFY(grey(QSize(8, 6), 128).save(&buf, "JPEG"));
            QTest::newRow("layer not a png")
                << makeZip({{QStringLiteral("mimetype"), kMime},
                            {QStringLiteral("stack.xml"), stackXml(imageLayer)},
                            {QStringLiteral("data/image.png"), jpeg}})
                << QStringLiteral("layer \"Image\" cannot be decoded (\"data/image.png\" is not a PNG image");
        }
        QTest::newRow("no image layer")
            << makeZip({{QStringLiteral("mimetype"), kMime},
                        {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<layer name=\"M\" src=\"data/m.png\" inpaint:kind=\"mask\"/>"))},
                        {QStringLiteral("data/m.png"), mask8x6}})
            << QStringLiteral("no layer this editor wrote and no mergedimage.png");
    }
    void badFilesGiveAClearMessage() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        QString error;
        const auto p = ora::decodeOra(bytes, QStringLiteral("\"bad.ora\""), &error);
        QVERIFY(!p.has_value());
        QVERIFY2(error.startsWith(QStringLiteral("Cannot open \"bad.ora\": ")), qPrintable(error));
        QVERIFY2(error.contains(expected), qPrintable(error));
    }

    // Every prefix of a valid file is refused (never a crash, never a half project).
    void everyTruncationIsRefused() {
        Project p = sampleProject(QImage::Format_RGBA8888);
        QString e;
        const QByteArray good = ora::encodeOra(p, &e);
        int refused = 0;
        for (int n = 0; n < good.size(); n += 97) {
            QString error;
            if (!ora::decodeOra(good.left(n), QStringLiteral("t"), &error)) ++refused;
        }
        QCOMPARE(refused, (good.size() + 96) / 97);
    }

    void fileFromAnotherProgramOpensAsItsMergedImage() {
        const QImage merged = testimg::makeImage(QSize(8, 6), QImage::Format_RGB888, 4);
        const QByteArray bytes = makeZip(
            {{QStringLiteral("mimetype"), kMime},
             {QStringLiteral("stack.xml"), stackXml(QStringLiteral("<layer name=\"Background\" src=\"data/bg.png\"/>"))},
             {QStringLiteral("data/bg.png"), png(merged)},
             {QStringLiteral("mergedimage.png"), png(merged)}});
        QString error;
        const auto p = ora::decodeOra(bytes, QStringLiteral("krita.ora"), &error);
        QVERIFY2(p, qPrintable(error));
        QVERIFY(sameImage(p->image, merged));
        QCOMPARE(p->layers.size(), 1);
        QCOMPARE(p->layers[0].pixels, grey(QSize(8, 6), 0));
    }

    // Archives written by another zip writer (Python's zipfile: tests/fuzz/corpus/ora, the fuzzer's
    // seeds) open as they should.
    void archivesFromAnotherWriterOpen() {
        const QString dir = QStringLiteral(INPAINT_SOURCE_DIR "/tests/fuzz/corpus/ora/");
        QString error;
        const auto ours = ora::readOra(dir + QStringLiteral("ours.ora"), &error);
        QVERIFY2(ours, qPrintable(error));
        QCOMPARE(ours->image.size(), QSize(8, 6));
        QCOMPARE(ours->image.pixelColor(3, 3), QColor(200, 100, 50));
        QCOMPARE(ours->layers.size(), 1);
        QCOMPARE(ours->layers[0].pixels, grey(QSize(8, 6), 128));
        QCOMPARE(ours->layers[0].color, QColor(255, 48, 48));
        QCOMPARE(ours->activeLayer, 0);
        QCOMPARE(ours->results.size(), 1);
        QCOMPARE(ours->results[0].region, QRect(2, 1, 4, 3));
        QCOMPARE(ours->results[0].pixels.pixelColor(0, 0), QColor(1, 2, 3));
        const auto foreign = ora::readOra(dir + QStringLiteral("foreign.ora"), &error);
        QVERIFY2(foreign, qPrintable(error));
        QCOMPARE(foreign->layers.size(), 1);
        const auto g16 = ora::readOra(dir + QStringLiteral("grey16.ora"), &error);
        QVERIFY2(g16, qPrintable(error));
        QCOMPARE(g16->image.format(), QImage::Format_Grayscale16);
        QCOMPARE(reinterpret_cast<const quint16*>(g16->image.constScanLine(2))[5], quint16(3000));
    }

    void writeIsAtomic() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("p.ora"));
        QString error;
        QVERIFY2(ora::writeOra(path, sampleProject(QImage::Format_RGB888), &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray before = f.readAll();
        f.close();
        // A project that cannot be encoded leaves the old file as it was, and no temp file behind.
        Project bad;
        QVERIFY(!ora::writeOra(path, bad, &error));
        QVERIFY2(error.contains(QStringLiteral("there is no image")), qPrintable(error));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), before);
        f.close();
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files), QStringList{QStringLiteral("p.ora")});
        QVERIFY(!ora::writeOra(dir.filePath(QStringLiteral("missing/p.ora")), sampleProject(QImage::Format_RGB888), &error));
        QVERIFY2(error.contains(QStringLiteral("missing/p.ora")), qPrintable(error));
        const auto back = ora::readOra(path, &error);
        QVERIFY2(back, qPrintable(error));
        QVERIFY(!ora::readOra(dir.filePath(QStringLiteral("nope.ora")), &error));
        QVERIFY(error.contains(QStringLiteral("nope.ora")));
    }
};

QTEST_GUILESS_MAIN(TestOraProject)
#include "test_ora_project.moc"
