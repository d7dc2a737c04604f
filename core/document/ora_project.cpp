// OpenRaster projects (see ora_project.h). The zip work is libzip's; XML is Qt's stream reader
// and writer; PNGs go through QImageWriter and core/imaging/image_io's decoder.
#include "core/document/ora_project.h"

#include "core/document/document.h"
#include "core/imaging/image_io.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QImageWriter>
#include <QPainter>
#include <QSaveFile>
#include <QXmlStreamReader>
#include <QXmlStreamWriter>

#include <zip.h>

#include <list>
#include <memory>

namespace inpaint::document {

namespace {

constexpr const char* kMimetype = "image/openraster";
constexpr int kThumbnailSide = 256;
// Entries larger than this are refused before they are read (a 20000² RGBA64 PNG is ~3.2 GB raw,
// but PNG data of a real picture is far smaller; stack.xml of a real project is a few KB).
constexpr zip_uint64_t kMaxEntryBytes = 4ull << 30;
constexpr zip_uint64_t kMaxStackXmlBytes = 16ull << 20;

QString quoted(const QString& s) { return QStringLiteral("\"%1\"").arg(s); }

QByteArray encodePng(const QImage& image, const QString& parameters, QString* error) {
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QImage pixels = image;
    if (!parameters.isEmpty()) pixels.setText(QStringLiteral("parameters"), parameters);
    QImageWriter writer(&buffer, "png");
    if (!writer.write(pixels)) {
        if (error) *error = writer.errorString();
        return {};
    }
    return bytes;
}

// A mask layer as ORA pixels: the layer's colour, alpha = the mask value.
QImage maskToRgba(const MaskLayer& layer) {
    QImage out(layer.pixels.size(), QImage::Format_RGBA8888);
    const QRgb c = layer.color.rgb();
    const uchar r = uchar(qRed(c)), g = uchar(qGreen(c)), b = uchar(qBlue(c));
    for (int y = 0; y < out.height(); ++y) {
        const uchar* m = layer.pixels.constScanLine(y);
        uchar* o = out.scanLine(y);
        for (int x = 0; x < out.width(); ++x) {
            o[4 * x] = r;
            o[4 * x + 1] = g;
            o[4 * x + 2] = b;
            o[4 * x + 3] = m[x];
        }
    }
    return out;
}

// The mask value of an ORA layer: its alpha channel (straight, 8-bit).
QImage alphaToMask(const QImage& image) {
    const QImage rgba = image.convertToFormat(QImage::Format_RGBA8888);
    QImage out(rgba.size(), QImage::Format_Grayscale8);
    for (int y = 0; y < out.height(); ++y) {
        const uchar* s = rgba.constScanLine(y);
        uchar* o = out.scanLine(y);
        for (int x = 0; x < out.width(); ++x) o[x] = s[4 * x + 3];
    }
    return out;
}

// What the stack looks like: the picture with the visible masks over it at the overlay opacity.
QImage composite(const Project& p) {
    QImage out = p.image.convertToFormat(QImage::Format_ARGB32_Premultiplied);
    QPainter painter(&out);
    painter.setOpacity(p.overlayOpacity);
    for (const MaskLayer& l : p.layers)
        if (l.visible) painter.drawImage(0, 0, maskToRgba(l));
    painter.end();
    return out.convertToFormat(p.image.hasAlphaChannel() ? QImage::Format_RGBA8888 : QImage::Format_RGB888);
}

QString boolText(bool b) { return b ? QStringLiteral("true") : QStringLiteral("false"); }

// --- writing --------------------------------------------------------------------------------------

class ZipWriter {
public:
    ZipWriter() {
        zip_error_init(&m_error);
        m_source = zip_source_buffer_create(nullptr, 0, 0, &m_error);
        if (m_source) {
            m_zip = zip_open_from_source(m_source, ZIP_TRUNCATE, &m_error);
            if (m_zip) zip_source_keep(m_source);  // outlives zip_close, which writes into it
        }
    }
    ~ZipWriter() {
        if (m_zip) zip_discard(m_zip);
        if (m_source) zip_source_free(m_source);
        zip_error_fini(&m_error);
    }
    bool ok() const { return m_zip != nullptr; }
    QString errorText() { return QString::fromUtf8(m_zip ? zip_strerror(m_zip) : zip_error_strerror(&m_error)); }

    // `store`: no compression (the mimetype, as the spec asks, and PNGs, which are compressed).
    bool add(const QString& name, const QByteArray& data, bool store) {
        m_keep.push_back(data);  // libzip reads the bytes at zip_close
        zip_source_t* s = zip_source_buffer(m_zip, m_keep.back().constData(), zip_uint64_t(m_keep.back().size()), 0);
        if (!s) return false;
        const zip_int64_t index = zip_file_add(m_zip, name.toUtf8().constData(), s, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
        if (index < 0) {
            zip_source_free(s);
            return false;
        }
        // No extra fields (a reader that checks the mimetype at byte 38, as EPUB's do, needs that).
        zip_file_extra_field_delete(m_zip, zip_uint64_t(index), ZIP_EXTRA_FIELD_ALL, ZIP_FL_LOCAL | ZIP_FL_CENTRAL);
        return zip_set_file_compression(m_zip, zip_uint64_t(index), store ? ZIP_CM_STORE : ZIP_CM_DEFLATE, 0) == 0;
    }

    QByteArray finish() {
        if (zip_close(m_zip) != 0) return {};
        m_zip = nullptr;
        QByteArray out;
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_source_stat(m_source, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) return {};
        if (zip_source_open(m_source) != 0) return {};
        out.resize(qsizetype(st.size));
        const zip_int64_t n = zip_source_read(m_source, out.data(), st.size);
        zip_source_close(m_source);
        if (n != zip_int64_t(st.size)) return {};
        return out;
    }

private:
    zip_error_t m_error;
    zip_source_t* m_source = nullptr;
    zip_t* m_zip = nullptr;
    std::list<QByteArray> m_keep;  // stable addresses
};

// --- reading --------------------------------------------------------------------------------------

class ZipReader {
public:
    explicit ZipReader(const QByteArray& bytes) : m_bytes(bytes) {
        zip_error_init(&m_error);
        m_source = zip_source_buffer_create(m_bytes.constData(), zip_uint64_t(m_bytes.size()), 0, &m_error);
        if (!m_source) return;
        m_zip = zip_open_from_source(m_source, ZIP_RDONLY | ZIP_CHECKCONS, &m_error);
        if (!m_zip) {
            zip_source_free(m_source);
            m_source = nullptr;
        }
    }
    ~ZipReader() {
        if (m_zip) zip_discard(m_zip);  // frees the source too
        zip_error_fini(&m_error);
    }
    bool ok() const { return m_zip != nullptr; }
    QString openError() { return QString::fromUtf8(zip_error_strerror(&m_error)); }
    QString firstName() const {
        const char* n = zip_get_num_entries(m_zip, 0) > 0 ? zip_get_name(m_zip, 0, ZIP_FL_ENC_GUESS) : nullptr;
        return n ? QString::fromUtf8(n) : QString();
    }
    bool has(const QString& name) const { return zip_name_locate(m_zip, name.toUtf8().constData(), 0) >= 0; }

    // The entry's bytes; nullopt and *why when missing, too large or damaged.
    std::optional<QByteArray> read(const QString& name, zip_uint64_t limit, QString* why) {
        const zip_int64_t index = zip_name_locate(m_zip, name.toUtf8().constData(), 0);
        if (index < 0) {
            *why = QStringLiteral("it has no entry %1").arg(quoted(name));
            return std::nullopt;
        }
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(m_zip, zip_uint64_t(index), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)) {
            *why = QStringLiteral("its entry %1 cannot be read (%2)").arg(quoted(name), QString::fromUtf8(zip_strerror(m_zip)));
            return std::nullopt;
        }
        if (st.size > limit) {
            *why = QStringLiteral("its entry %1 is too large (%2 bytes)").arg(quoted(name)).arg(st.size);
            return std::nullopt;
        }
        std::unique_ptr<zip_file_t, int (*)(zip_file_t*)> f(zip_fopen_index(m_zip, zip_uint64_t(index), 0), zip_fclose);
        if (!f) {
            *why = QStringLiteral("its entry %1 cannot be read (%2)").arg(quoted(name), QString::fromUtf8(zip_strerror(m_zip)));
            return std::nullopt;
        }
        QByteArray out;
        try {
            out.resize(qsizetype(st.size));
        } catch (const std::bad_alloc&) {
            *why = QStringLiteral("there is not enough memory for its entry %1").arg(quoted(name));
            return std::nullopt;
        }
        const zip_int64_t n = zip_fread(f.get(), out.data(), st.size);
        if (n != zip_int64_t(st.size)) {
            *why = QStringLiteral("its entry %1 is damaged (%2)")
                       .arg(quoted(name), QString::fromUtf8(zip_file_strerror(f.get())));
            return std::nullopt;
        }
        return out;
    }

private:
    QByteArray m_bytes;  // libzip reads from these
    zip_error_t m_error;
    zip_source_t* m_source = nullptr;
    zip_t* m_zip = nullptr;
};

struct LayerEntry {
    QString kind;  // image, mask, result, or "" (a layer this editor did not write)
    QString name, src;
    int x = 0, y = 0;
    qreal opacity = 1.0;
    bool visible = true;
    bool active = false;
    QString color, model;
    bool current = true;
};

bool parseBool(QStringView s, bool fallback) {
    if (s == u"true" || s == u"1") return true;
    if (s == u"false" || s == u"0") return false;
    return fallback;
}

}  // namespace

bool isOraPath(const QString& path) { return path.endsWith(QLatin1String(".ora"), Qt::CaseInsensitive); }

Project projectFromDocument(const Document& doc) {
    Project p;
    p.image = doc.image();
    p.sourcePath = doc.sourcePath();
    for (int i = 0; i < doc.layerCount(); ++i) p.layers.push_back(doc.layer(i));
    p.activeLayer = doc.activeLayerIndex();
    p.overlayOpacity = doc.overlayOpacity();
    return p;
}

QByteArray encodeOra(const Project& project, QString* error) {
    auto fail = [&](const QString& why) {
        if (error) *error = why;
        return QByteArray();
    };
    if (project.image.isNull()) return fail(QStringLiteral("there is no image to save"));
    try {
        const QImage image = imaging::toDocumentFormat(project.image);
        const int w = image.width(), h = image.height();
        ZipWriter zip;
        if (!zip.ok()) return fail(QStringLiteral("the archive cannot be started (%1)").arg(zip.errorText()));
        QString pngError;
        auto addPng = [&](const QString& name, const QImage& img, const QString& params = {}) {
            const QByteArray png = encodePng(img, params, &pngError);
            return !png.isEmpty() && zip.add(name, png, /*store=*/true);
        };
        if (!zip.add(QStringLiteral("mimetype"), QByteArray(kMimetype), true))
            return fail(QStringLiteral("the archive cannot be written (%1)").arg(zip.errorText()));

        QByteArray xml;
        QXmlStreamWriter x(&xml);
        x.setAutoFormatting(true);
        x.writeStartDocument();
        x.writeNamespace(QString::fromLatin1(kOraNamespace), QStringLiteral("inpaint"));
        x.writeStartElement(QStringLiteral("image"));
        x.writeAttribute(QStringLiteral("version"), QStringLiteral("0.0.6"));
        x.writeAttribute(QStringLiteral("w"), QString::number(w));
        x.writeAttribute(QStringLiteral("h"), QString::number(h));
        const int dpiX = image.dotsPerMeterX() > 0 ? qRound(image.dotsPerMeterX() * 0.0254) : 72;
        const int dpiY = image.dotsPerMeterY() > 0 ? qRound(image.dotsPerMeterY() * 0.0254) : 72;
        x.writeAttribute(QStringLiteral("xres"), QString::number(dpiX));
        x.writeAttribute(QStringLiteral("yres"), QString::number(dpiY));
        if (!project.sourcePath.isEmpty()) x.writeAttribute(QString::fromLatin1(kOraNamespace), QStringLiteral("source"), project.sourcePath);
        x.writeStartElement(QStringLiteral("stack"));
        const QString ns = QString::fromLatin1(kOraNamespace);

        if (!project.results.isEmpty()) {
            x.writeStartElement(QStringLiteral("stack"));
            x.writeAttribute(QStringLiteral("name"), QStringLiteral("Results"));
            x.writeAttribute(QStringLiteral("visibility"), QStringLiteral("hidden"));
            x.writeAttribute(ns, QStringLiteral("kind"), QStringLiteral("results"));
            for (int i = 0; i < project.results.size(); ++i) {
                const ProjectResult& r = project.results[i];
                const QRect region = r.region.intersected(image.rect());
                if (region.isEmpty() || r.pixels.size() != r.region.size())
                    return fail(QStringLiteral("result %1 does not fit the image").arg(i + 1));
                const QString src = QStringLiteral("data/result-%1.png").arg(i + 1);
                x.writeEmptyElement(QStringLiteral("layer"));
                x.writeAttribute(QStringLiteral("name"), QStringLiteral("Result %1").arg(i + 1));
                x.writeAttribute(QStringLiteral("src"), src);
                x.writeAttribute(QStringLiteral("x"), QString::number(r.region.x()));
                x.writeAttribute(QStringLiteral("y"), QString::number(r.region.y()));
                x.writeAttribute(QStringLiteral("visibility"), QStringLiteral("hidden"));
                x.writeAttribute(ns, QStringLiteral("kind"), QStringLiteral("result"));
                x.writeAttribute(ns, QStringLiteral("current"), boolText(r.current));
                if (!r.modelPath.isEmpty()) x.writeAttribute(ns, QStringLiteral("model"), r.modelPath);
                if (!addPng(src, imaging::toDocumentFormat(r.pixels), r.recipe))
                    return fail(QStringLiteral("result %1 cannot be encoded (%2)").arg(i + 1).arg(pngError));
            }
            x.writeEndElement();
        }
        for (int i = int(project.layers.size()) - 1; i >= 0; --i) {  // top of the stack first
            const MaskLayer& l = project.layers[i];
            if (l.pixels.size() != image.size() || l.pixels.format() != QImage::Format_Grayscale8)
                return fail(QStringLiteral("mask layer %1 does not fit the image").arg(quoted(l.name)));
            const QString src = QStringLiteral("data/mask-%1.png").arg(i + 1);
            x.writeEmptyElement(QStringLiteral("layer"));
            x.writeAttribute(QStringLiteral("name"), l.name);
            x.writeAttribute(QStringLiteral("src"), src);
            x.writeAttribute(QStringLiteral("x"), QStringLiteral("0"));
            x.writeAttribute(QStringLiteral("y"), QStringLiteral("0"));
            x.writeAttribute(QStringLiteral("opacity"), QString::number(project.overlayOpacity, 'g', 6));
            x.writeAttribute(QStringLiteral("visibility"), l.visible ? QStringLiteral("visible") : QStringLiteral("hidden"));
            x.writeAttribute(QStringLiteral("composite-op"), QStringLiteral("svg:src-over"));
            if (i == project.activeLayer) x.writeAttribute(QStringLiteral("selected"), QStringLiteral("true"));
            x.writeAttribute(ns, QStringLiteral("kind"), QStringLiteral("mask"));
            x.writeAttribute(ns, QStringLiteral("color"), l.color.name(QColor::HexRgb));
            if (!addPng(src, maskToRgba(l)))
                return fail(QStringLiteral("mask layer %1 cannot be encoded (%2)").arg(quoted(l.name), pngError));
        }
        x.writeEmptyElement(QStringLiteral("layer"));
        x.writeAttribute(QStringLiteral("name"), QStringLiteral("Image"));
        x.writeAttribute(QStringLiteral("src"), QStringLiteral("data/image.png"));
        x.writeAttribute(QStringLiteral("x"), QStringLiteral("0"));
        x.writeAttribute(QStringLiteral("y"), QStringLiteral("0"));
        x.writeAttribute(QStringLiteral("opacity"), QStringLiteral("1"));
        x.writeAttribute(QStringLiteral("visibility"), QStringLiteral("visible"));
        x.writeAttribute(ns, QStringLiteral("kind"), QStringLiteral("image"));
        if (!addPng(QStringLiteral("data/image.png"), image))
            return fail(QStringLiteral("the image cannot be encoded (%1)").arg(pngError));
        x.writeEndElement();  // stack
        x.writeEndElement();  // image
        x.writeEndDocument();
        if (!zip.add(QStringLiteral("stack.xml"), xml, false))
            return fail(QStringLiteral("the archive cannot be written (%1)").arg(zip.errorText()));

        const QImage merged = composite(project);
        if (!addPng(QStringLiteral("mergedimage.png"), merged))
            return fail(QStringLiteral("the merged image cannot be encoded (%1)").arg(pngError));
        QImage thumb = merged;
        if (thumb.width() > kThumbnailSide || thumb.height() > kThumbnailSide)
            thumb = merged.scaled(kThumbnailSide, kThumbnailSide, Qt::KeepAspectRatio, Qt::SmoothTransformation);
        if (!addPng(QStringLiteral("Thumbnails/thumbnail.png"), thumb))
            return fail(QStringLiteral("the thumbnail cannot be encoded (%1)").arg(pngError));
        QByteArray out = zip.finish();
        if (out.isEmpty()) return fail(QStringLiteral("the archive cannot be written (%1)").arg(zip.errorText()));
        return out;
    } catch (const std::bad_alloc&) {
        return fail(QStringLiteral("there is not enough memory"));
    }
}

bool writeOra(const QString& path, const Project& project, QString* error) {
    QString why;
    const QByteArray bytes = encodeOra(project, &why);
    auto fail = [&](const QString& reason) {
        if (error) *error = QStringLiteral("Cannot save %1: %2.").arg(quoted(path), reason);
        return false;
    };
    if (bytes.isEmpty()) return fail(why);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return fail(file.errorString());
    if (file.write(bytes) != bytes.size()) {
        file.cancelWriting();
        return fail(file.errorString());
    }
    if (!file.commit()) return fail(file.errorString());
    return true;
}

std::optional<Project> decodeOra(const QByteArray& bytes, const QString& what, QString* error) {
    auto fail = [&](const QString& why) -> std::optional<Project> {
        if (error) *error = QStringLiteral("Cannot open %1: %2.").arg(what, why);
        return std::nullopt;
    };
    ZipReader zip(bytes);
    if (!zip.ok())
        return fail(QStringLiteral("it is not a complete OpenRaster file (the zip archive is damaged or cut short: %1)")
                        .arg(zip.openError()));
    QString why;
    const auto mime = zip.read(QStringLiteral("mimetype"), 256, &why);
    if (!mime) return fail(QStringLiteral("it is not an OpenRaster file (%1)").arg(why));
    if (mime->trimmed() != kMimetype)
        return fail(QStringLiteral("it is not an OpenRaster file (its mimetype is %1)").arg(quoted(QString::fromUtf8(mime->left(64)))));
    const auto xml = zip.read(QStringLiteral("stack.xml"), kMaxStackXmlBytes, &why);
    if (!xml) return fail(why);

    // Well-formed first (a broken file is reported as such, not by what its first half says),
    // then the stack; the PNGs are decoded only when it makes sense.
    {
        QXmlStreamReader check(*xml);
        while (!check.atEnd()) check.readNext();
        if (check.hasError())
            return fail(QStringLiteral("its stack.xml is not valid XML (line %1: %2)").arg(check.lineNumber()).arg(check.errorString()));
    }
    QXmlStreamReader r(*xml);
    const QString ns = QString::fromLatin1(kOraNamespace);
    int w = 0, h = 0;
    QString source;
    QVector<LayerEntry> entries;  // top first, as in the file
    int depth = 0;                // open <stack> elements
    QVector<bool> resultsStack;   // per open stack: is it the Results stack
    bool sawImage = false;
    while (!r.atEnd()) {
        r.readNext();
        if (r.isStartElement()) {
            const auto a = r.attributes();
            const QStringView name = r.name();
            if (!sawImage) {
                if (name != u"image") return fail(QStringLiteral("stack.xml does not start with <image>"));
                sawImage = true;
                bool okW = false, okH = false;
                w = a.value(QStringLiteral("w")).toInt(&okW);
                h = a.value(QStringLiteral("h")).toInt(&okH);
                if (!okW || !okH || w <= 0 || h <= 0)
                    return fail(QStringLiteral("stack.xml gives no valid image size (w=%1, h=%2)")
                                    .arg(a.value(QStringLiteral("w")).toString(), a.value(QStringLiteral("h")).toString()));
                if (qint64(w) * h > imaging::kMaxImagePixels || w > 65535 || h > 65535)
                    return fail(QStringLiteral("the image is %1x%2 pixels, more than this editor opens (%3 megapixels, 65535 a side)")
                                    .arg(w).arg(h).arg(imaging::kMaxImagePixels / 1000000));
                source = a.value(ns, QStringLiteral("source")).toString();
                continue;
            }
            if (name == u"stack") {
                ++depth;
                resultsStack.push_back(a.value(ns, QStringLiteral("kind")) == u"results");
                continue;
            }
            if (depth == 0) return fail(QStringLiteral("stack.xml has <%1> outside the root <stack>").arg(name));
            if (name != u"layer")
                return fail(QStringLiteral("stack.xml has an element of a kind this editor does not know: <%1> (line %2)")
                                .arg(name)
                                .arg(r.lineNumber()));
            LayerEntry e;
            e.kind = a.value(ns, QStringLiteral("kind")).toString();
            e.name = a.value(QStringLiteral("name")).toString();
            e.src = a.value(QStringLiteral("src")).toString();
            e.x = a.value(QStringLiteral("x")).toInt();
            e.y = a.value(QStringLiteral("y")).toInt();
            bool okOpacity = false;
            const double op = a.value(QStringLiteral("opacity")).toDouble(&okOpacity);
            e.opacity = okOpacity ? std::clamp(op, 0.0, 1.0) : 1.0;
            e.visible = a.value(QStringLiteral("visibility")) != u"hidden";
            e.active = parseBool(a.value(QStringLiteral("selected")), false);
            e.color = a.value(ns, QStringLiteral("color")).toString();
            e.model = a.value(ns, QStringLiteral("model")).toString();
            e.current = parseBool(a.value(ns, QStringLiteral("current")), true);
            if (!e.kind.isEmpty() && e.kind != u"image" && e.kind != u"mask" && e.kind != u"result")
                return fail(QStringLiteral("layer %1 is of a kind this editor does not know (%2)").arg(quoted(e.name), quoted(e.kind)));
            if (e.kind == u"result" && (resultsStack.isEmpty() || !resultsStack.back()))
                return fail(QStringLiteral("result layer %1 is outside the Results stack").arg(quoted(e.name)));
            if (e.src.isEmpty()) return fail(QStringLiteral("layer %1 names no file (src)").arg(quoted(e.name)));
            entries.push_back(e);
        } else if (r.isEndElement() && r.name() == u"stack") {
            --depth;
            resultsStack.pop_back();
        }
    }
    if (r.hasError())
        return fail(QStringLiteral("its stack.xml is not valid XML (line %1: %2)").arg(r.lineNumber()).arg(r.errorString()));
    if (!sawImage) return fail(QStringLiteral("its stack.xml is empty"));

    const QSize size(w, h);
    auto decode = [&](const LayerEntry& e, QImage* out) {
        QString readWhy;
        const auto png = zip.read(e.src, kMaxEntryBytes, &readWhy);
        if (!png) {
            why = QStringLiteral("layer %1 is missing: %2").arg(quoted(e.name), readWhy);
            return false;
        }
        // OpenRaster stores layers as PNG. Anything else is refused before a decoder sees it: Qt's
        // MNG handler, for one, allocates what a hostile file declares (fuzz_ora: 1.8 GB) before
        // any size check can run.
        static const QByteArray kPngSignature("\x89PNG\r\n\x1a\n", 8);
        if (!png->startsWith(kPngSignature)) {
            why = QStringLiteral("layer %1 cannot be decoded (%2 is not a PNG image, which OpenRaster layers are)")
                      .arg(quoted(e.name), quoted(e.src));
            return false;
        }
        QString decodeError;
        *out = imaging::loadImageFromData(*png, quoted(e.src), &decodeError);
        if (out->isNull()) {
            why = QStringLiteral("layer %1 cannot be decoded (%2)").arg(quoted(e.name), decodeError);
            return false;
        }
        return true;
    };

    Project p;
    p.sourcePath = source;
    const bool ours = std::any_of(entries.begin(), entries.end(), [](const LayerEntry& e) { return e.kind == u"image"; });
    if (!ours) {
        // Made by another program: its merged image is the picture.
        LayerEntry merged;
        merged.name = QStringLiteral("mergedimage.png");
        merged.src = QStringLiteral("mergedimage.png");
        if (!zip.has(merged.src)) return fail(QStringLiteral("it has no layer this editor wrote and no mergedimage.png"));
        if (!decode(merged, &p.image)) return fail(why);
        if (p.image.size() != size)
            return fail(QStringLiteral("its mergedimage.png is %1x%2, but stack.xml says %3x%4")
                            .arg(p.image.width()).arg(p.image.height()).arg(w).arg(h));
        MaskLayer l;
        l.name = QStringLiteral("Mask 1");
        l.color = QColor(255, 48, 48);
        l.pixels = QImage(size, QImage::Format_Grayscale8);
        l.pixels.fill(0);
        p.layers.push_back(l);
        p.activeLayer = 0;
        return p;
    }

    bool haveImage = false;
    bool haveOpacity = false;
    QVector<MaskLayer> topFirst;
    int activeTopFirst = -1;
    for (const LayerEntry& e : entries) {
        if (e.kind.isEmpty())
            return fail(QStringLiteral("layer %1 is a painted layer; this editor keeps only its own image, mask and result layers")
                            .arg(quoted(e.name)));
        QImage img;
        if (!decode(e, &img)) return fail(why);
        if (e.kind == u"image") {
            if (haveImage) return fail(QStringLiteral("it has more than one image layer"));
            if (img.size() != size || e.x != 0 || e.y != 0)
                return fail(QStringLiteral("its image layer is %1x%2 at (%3, %4), but the image is %5x%6")
                                .arg(img.width()).arg(img.height()).arg(e.x).arg(e.y).arg(w).arg(h));
            p.image = img;
            haveImage = true;
        } else if (e.kind == u"mask") {
            if (img.size() != size || e.x != 0 || e.y != 0)
                return fail(QStringLiteral("mask layer %1 is %2x%3 at (%4, %5), but the image is %6x%7")
                                .arg(quoted(e.name)).arg(img.width()).arg(img.height()).arg(e.x).arg(e.y).arg(w).arg(h));
            MaskLayer l;
            l.name = e.name;
            l.color = QColor(e.color);
            if (!l.color.isValid()) l.color = QColor(255, 48, 48);
            l.visible = e.visible;
            l.pixels = alphaToMask(img);
            if (e.active) activeTopFirst = int(topFirst.size());
            topFirst.push_back(l);
            if (!haveOpacity) {
                p.overlayOpacity = e.opacity;
                haveOpacity = true;
            }
        } else {  // result
            const QRect region(QPoint(e.x, e.y), img.size());
            if (!QRect(QPoint(0, 0), size).contains(region))
                return fail(QStringLiteral("result layer %1 (%2x%3 at %4, %5) does not lie inside the %6x%7 image")
                                .arg(quoted(e.name)).arg(img.width()).arg(img.height()).arg(e.x).arg(e.y).arg(w).arg(h));
            ProjectResult res;
            res.region = region;
            res.recipe = img.text(QStringLiteral("parameters"));
            img.setText(QStringLiteral("parameters"), QString());
            res.pixels = img;
            res.modelPath = e.model;
            res.current = e.current;
            p.results.push_back(res);
        }
    }
    if (!haveImage) return fail(QStringLiteral("it has no image layer"));
    for (int i = int(topFirst.size()) - 1; i >= 0; --i) p.layers.push_back(topFirst[i]);
    p.activeLayer = activeTopFirst >= 0 ? int(topFirst.size()) - 1 - activeTopFirst : int(p.layers.size()) - 1;
    for (ProjectResult& res : p.results) {
        if (res.pixels.format() != p.image.format()) res.pixels = res.pixels.convertToFormat(p.image.format());
    }
    return p;
}

std::optional<Project> readOra(const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error) *error = QStringLiteral("Cannot open %1: %2.").arg(quoted(path), f.errorString());
        return std::nullopt;
    }
    QByteArray bytes;
    try {
        bytes = f.readAll();
    } catch (const std::bad_alloc&) {
        if (error) *error = QStringLiteral("Cannot open %1: there is not enough memory.").arg(quoted(path));
        return std::nullopt;
    }
    return decodeOra(bytes, quoted(path), error);
}

}  // namespace inpaint::document
