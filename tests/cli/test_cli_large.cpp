// inpaint-cli run on a real 20000x20000 image (the largest this program accepts; label slow).
// The PNG is written by hand so it costs a few MB and no encoding time: every row is
// "filter Sub, then 1, 1, 1, ..." (pixel = (x + 1) mod 256), which deflate describes as one
// literal and back-references of length 258; the encoder below emits exactly that.
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "tests/common/cli_runner.h"
#include "tests/imaging/test_images.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace inpaint::imaging;

namespace {

class BitWriter {
public:
    void bits(quint32 value, int n)  // LSB first, as deflate packs everything but Huffman codes
    {
        for (int i = 0; i < n; ++i) push((value >> i) & 1u);
    }
    void huffman(quint32 code, int n)  // Huffman codes go MSB first
    {
        for (int i = n - 1; i >= 0; --i) push((code >> i) & 1u);
    }
    QByteArray finish()
    {
        if (m_used) m_out.append(char(m_cur));
        return m_out;
    }

private:
    void push(quint32 bit)
    {
        m_cur |= bit << m_used;
        if (++m_used == 8) {
            m_out.append(char(m_cur));
            m_cur = 0;
            m_used = 0;
        }
    }
    QByteArray m_out;
    quint32 m_cur = 0;
    int m_used = 0;
};

void literal(BitWriter& w, int v)
{
    if (v < 144) w.huffman(0x30 + v, 8);
    else w.huffman(0x190 + (v - 144), 9);
}

// A match of `len` (3..258) at distance 1, with the fixed Huffman code.
void match(BitWriter& w, int len)
{
    static const int base[] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                               31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int extra[] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    int i = 28;
    while (base[i] > len) --i;
    const int code = 257 + i;
    if (code < 280) w.huffman(code - 256, 7);
    else w.huffman(0xC0 + (code - 280), 8);
    w.bits(quint32(len - base[i]), extra[i]);
    w.huffman(0, 5);  // distance code 0 = distance 1
}

// zlib stream holding `n` bytes that all equal `v`.
QByteArray zlibRun(quint64 n, int v)
{
    BitWriter w;
    w.bits(1, 1);  // final block
    w.bits(1, 2);  // fixed Huffman codes
    literal(w, v);
    quint64 left = n - 1;
    while (left >= 3) {
        int len = int(std::min<quint64>(left, 258));
        if (left - len > 0 && left - len < 3) len = int(left - 3);
        match(w, len);
        left -= len;
    }
    while (left-- > 0) literal(w, v);
    w.huffman(0, 7);  // end of block
    QByteArray out("\x78\x01", 2);
    out += w.finish();
    // Adler-32 of n bytes of v, in closed form.
    const quint64 mod = 65521;
    const quint64 a = (1 + (n % mod) * quint64(v)) % mod;
    const quint64 b = ((n % mod) + quint64(v) * (((n % (2 * mod)) * ((n + 1) % (2 * mod)) / 2) % mod)) % mod;
    char adler[4];
    qToBigEndian<quint32>(quint32((b << 16) | a), adler);
    return out + QByteArray(adler, 4);
}

QByteArray rampPng(quint32 side)
{
    QByteArray png = testimg::pngHeaderOnly(side, side, false);
    png += testimg::pngChunk("IDAT", zlibRun(quint64(side) * (side + 1), 1));
    png += testimg::pngChunk("IEND", {});
    return png;
}

}  // namespace

class TestCliLarge : public QObject {
    Q_OBJECT

private slots:
    void encoderSanity()
    {
        // The hand-made encoder against Qt's own decoder, on a small image.
        QTemporaryDir dir;
        const QString f = dir.filePath("ramp.png");
        QVERIFY(testimg::writeBytes(f, rampPng(300)));
        QString err;
        const QImage img = loadImage(f, &err);
        QVERIFY2(!img.isNull(), qPrintable(err));
        QCOMPARE(img.format(), QImage::Format_Grayscale8);
        QCOMPARE(int(img.constScanLine(7)[299]), 300 % 256);
        QCOMPARE(int(img.constScanLine(299)[0]), 1);
    }

    void image20000x20000()
    {
        QTemporaryDir dir;
        const QString in = dir.filePath("huge.png");
        const QString maskFile = dir.filePath("small-mask.png");
        const QString out = dir.filePath("huge-out.png");
        QVERIFY(testimg::writeBytes(in, rampPng(20000)));
        qInfo("20000x20000 input PNG: %lld bytes", QFileInfo(in).size());
        // A 200x200 mask with a 3x3 white block, scaled (--resize-mask) to a 300x300 hole.
        QImage mask = emptyMask({200, 200});
        for (int y = 100; y < 103; ++y)
            for (int x = 100; x < 103; ++x) mask.scanLine(y)[x] = 255;
        QString err;
        QVERIFY(saveImage(mask, maskFile, &err));

        QElapsedTimer t;
        t.start();
        clitest::Result r;
        CLI_RUN(r, (QStringList{"--image", in, "--mask", maskFile, "--out", out, "--resize-mask"}), in, maskFile, out);
        qInfo("inpaint-cli run on 20000x20000: exit %d in %.1f s; %s%s", r.exitCode, t.elapsed() / 1000.0,
              qPrintable(r.out.trimmed()), qPrintable(r.err.trimmed()));
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        const QImage result = loadImage(out, &err);
        QVERIFY2(!result.isNull(), qPrintable(err));
        QCOMPARE(result.size(), QSize(20000, 20000));
        QCOMPARE(result.format(), QImage::Format_Grayscale8);
        // Outside the hole (10000..10299 on both axes): the ramp, bit for bit.
        for (int y : {0, 9999, 10150, 10300, 19999}) {
            const uchar* row = result.constScanLine(y);
            for (int x = 0; x < 20000; ++x) {
                const bool inHole = y >= 10000 && y < 10300 && x >= 10000 && x < 10300;
                if (!inHole && row[x] != uchar((x + 1) & 255))
                    QFAIL(qPrintable(QStringLiteral("pixel (%1,%2) changed").arg(x).arg(y)));
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestCliLarge)
#include "test_cli_large.moc"
