// Test helpers shared by tests/imaging and tests/cli: deterministic images in every document
// format, pixel comparison, and hand-made file bytes (PNG headers with a correct CRC, JPEG EXIF).
#pragma once

#include <QByteArray>
#include <QFile>
#include <QImage>
#include <QString>
#include <QtEndian>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>

namespace testimg {

// A smooth gradient with mild noise: inpainting results are predictable, and every sample
// uses the full range of its bit depth (16-bit samples are not multiples of 257).
inline QImage makeImage(QSize size, QImage::Format format, quint32 seed = 1)
{
    QImage rgba(size, QImage::Format_RGBA64);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> noise(-300, 300);
    for (int y = 0; y < size.height(); ++y) {
        auto* p = reinterpret_cast<quint16*>(rgba.scanLine(y));
        for (int x = 0; x < size.width(); ++x, p += 4) {
            const double fx = double(x) / std::max(1, size.width() - 1);
            const double fy = double(y) / std::max(1, size.height() - 1);
            auto clamp16 = [](double v) { return quint16(std::clamp(v, 0.0, 65535.0)); };
            p[0] = clamp16(8000 + 50000 * fx + noise(rng));
            p[1] = clamp16(6000 + 40000 * fy + noise(rng));
            p[2] = clamp16(30000 + 20000 * (fx - fy) + noise(rng));
            p[3] = clamp16(65535 - 30000 * fy);  // from opaque at the top to half transparent
        }
    }
    if (format == QImage::Format_RGBA64) return rgba;
    return rgba.convertToFormat(format);
}

// Byte comparison of one pixel (format must match).
inline bool samePixel(const QImage& a, const QImage& b, int x, int y)
{
    const int bpp = a.depth() / 8;
    return std::memcmp(a.constScanLine(y) + x * bpp, b.constScanLine(y) + x * bpp, bpp) == 0;
}

// True when every pixel's bytes are equal (ignores scanline padding).
inline bool samePixels(const QImage& a, const QImage& b)
{
    if (a.size() != b.size() || a.format() != b.format()) return false;
    const int rowBytes = a.width() * a.depth() / 8;
    for (int y = 0; y < a.height(); ++y)
        if (std::memcmp(a.constScanLine(y), b.constScanLine(y), rowBytes) != 0) return false;
    return true;
}

inline quint32 crc32(const QByteArray& data)
{
    quint32 c = 0xFFFFFFFFu;
    for (unsigned char byte : data) {
        c ^= byte;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

inline QByteArray pngChunk(const char* type, const QByteArray& body)
{
    QByteArray out;
    char len[4];
    qToBigEndian<quint32>(quint32(body.size()), len);
    out.append(len, 4);
    const QByteArray typed = QByteArray(type, 4) + body;
    out.append(typed);
    char crc[4];
    qToBigEndian<quint32>(crc32(typed), crc);
    out.append(crc, 4);
    return out;
}

// A PNG signature plus a valid IHDR (8-bit grey) claiming width x height; withEnd adds an
// empty IEND so the file "ends" without any pixel data.
inline QByteArray pngHeaderOnly(quint32 width, quint32 height, bool withEnd = true)
{
    QByteArray ihdr(13, '\0');
    qToBigEndian<quint32>(width, ihdr.data());
    qToBigEndian<quint32>(height, ihdr.data() + 4);
    ihdr[8] = 8;  // bit depth
    ihdr[9] = 0;  // grey
    QByteArray out("\x89PNG\r\n\x1a\n", 8);
    out += pngChunk("IHDR", ihdr);
    if (withEnd) out += pngChunk("IEND", {});
    return out;
}

// A JPEG with an EXIF APP1 segment carrying only the Orientation tag, inserted after the
// JFIF APP0 segment that Qt writes.
inline QByteArray withExifOrientation(const QByteArray& jpeg, quint16 orientation)
{
    QByteArray tiff;
    tiff += QByteArray("MM\0\x2a", 4);               // big-endian TIFF header
    tiff += QByteArray("\0\0\0\x08", 4);             // first IFD at offset 8
    tiff += QByteArray("\0\x01", 2);                 // one entry
    tiff += QByteArray("\x01\x12\0\x03\0\0\0\x01", 8);  // tag 0x0112 Orientation, SHORT, count 1
    char v[2];
    qToBigEndian<quint16>(orientation, v);
    tiff += QByteArray(v, 2) + QByteArray(2, '\0');
    tiff += QByteArray(4, '\0');                     // no next IFD
    const QByteArray payload = QByteArray("Exif\0\0", 6) + tiff;
    QByteArray app1("\xFF\xE1", 2);
    char len[2];
    qToBigEndian<quint16>(quint16(payload.size() + 2), len);
    app1 += QByteArray(len, 2) + payload;

    int pos = 2;
    if (uchar(jpeg[2]) == 0xFF && uchar(jpeg[3]) == 0xE0)
        pos = 4 + ((uchar(jpeg[4]) << 8) | uchar(jpeg[5]));
    return jpeg.left(pos) + app1 + jpeg.mid(pos);
}

inline bool writeBytes(const QString& path, const QByteArray& bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return false;
    return f.write(bytes) == bytes.size();
}

inline QByteArray readBytes(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    return f.readAll();
}

}  // namespace testimg
