// Timings of the classical engine (label: slow). Prints the numbers with qInfo and checks
// that each result is still exact outside the mask. Run:
//   ctest -L slow -V   (or the binary directly)
#include "core/imaging/classical_inpaint.h"
#include "core/imaging/image_io.h"
#include "core/imaging/mask_ops.h"
#include "tests/imaging/test_images.h"

#include <QElapsedTimer>
#include <QPainter>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <vector>

using namespace inpaint::imaging;

namespace {

QImage ellipseMask(QSize size, const QList<QRect>& ellipses)
{
    QImage m(size, QImage::Format_Grayscale8);
    m.fill(0);
    QPainter p(&m);
    p.setPen(Qt::NoPen);
    p.setBrush(Qt::white);
    for (const QRect& r : ellipses) p.drawEllipse(r);
    return m;
}

// Median of n runs, in milliseconds; the last result is kept in *out.
double timeMs(int n, const std::function<QImage()>& fn, QImage* out)
{
    std::vector<double> t;
    for (int i = 0; i < n; ++i) {
        QElapsedTimer timer;
        timer.start();
        *out = fn();
        t.push_back(timer.nsecsElapsed() / 1e6);
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

bool unmaskedIdentical(const QImage& a, const QImage& b, const QImage& mask)
{
    if (a.size() != b.size() || a.format() != b.format()) return false;
    const int bpp = a.depth() / 8;
    for (int y = 0; y < a.height(); ++y) {
        const uchar* m = mask.constScanLine(y);
        const uchar* pa = a.constScanLine(y);
        const uchar* pb = b.constScanLine(y);
        for (int x = 0; x < a.width(); ++x)
            if (!m[x] && std::memcmp(pa + x * bpp, pb + x * bpp, bpp)) return false;
    }
    return true;
}

}  // namespace

class TestClassicalTiming : public QObject {
    Q_OBJECT

private slots:
    void samplePhoto()
    {
        QString err;
        const QImage img = loadImage(QStringLiteral(INPAINT_SOURCE_DIR "/resources/samples/coffee.png"), &err);
        QVERIFY2(!img.isNull(), qPrintable(err));
        const QImage mask = ellipseMask(img.size(), {QRect(270, 170, 60, 45)});
        for (auto [method, name] : {std::pair{ClassicalMethod::Telea, "telea"}, std::pair{ClassicalMethod::NavierStokes, "ns"}}) {
            QImage out;
            const double ms = timeMs(5, [&] { return classicalInpaint(img, mask, method, 5, &err); }, &out);
            QVERIFY2(!out.isNull(), qPrintable(err));
            QVERIFY(unmaskedIdentical(out, img, mask));
            qInfo("coffee.png %dx%d %s, 60x45 ellipse, radius 5: %.1f ms", img.width(), img.height(), name, ms);
        }
    }

    void large_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<bool>("scattered");
        QTest::newRow("RGB 8-bit, one 300x200 hole") << int(QImage::Format_RGB888) << false;
        QTest::newRow("RGB 8-bit, holes in opposite corners") << int(QImage::Format_RGB888) << true;
        QTest::newRow("RGBA 16-bit translucent, one 300x200 hole") << int(QImage::Format_RGBA64) << false;
    }

    void large()
    {
        QFETCH(int, format);
        QFETCH(bool, scattered);
        const QSize size(8000, 6000);
        QString err;
        QImage img = loadImage(QStringLiteral(INPAINT_SOURCE_DIR "/resources/samples/coffee.png"), &err)
                         .scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                         .convertToFormat(QImage::Format(format));
        if (img.hasAlphaChannel()) {
            for (int y = 0; y < img.height(); ++y) {  // alpha ramp so the premultiplied path runs
                auto* p = reinterpret_cast<quint16*>(img.scanLine(y));
                for (int x = 0; x < img.width(); ++x) p[4 * x + 3] = quint16(65535 - x * 4);
            }
        }
        const QImage mask = scattered ? ellipseMask(size, {QRect(100, 100, 150, 100), QRect(7700, 5800, 150, 100)})
                                      : ellipseMask(size, {QRect(3850, 2900, 300, 200)});
        for (auto [method, name] : {std::pair{ClassicalMethod::Telea, "telea"}, std::pair{ClassicalMethod::NavierStokes, "ns"}}) {
            QImage out;
            const double ms = timeMs(3, [&] { return classicalInpaint(img, mask, method, 5, &err); }, &out);
            QVERIFY2(!out.isNull(), qPrintable(err));
            QVERIFY(unmaskedIdentical(out, img, mask));
            qInfo("8000x6000 %s %s %s, radius 5: %.1f ms", qPrintable(documentFormatName(img.format())),
                  scattered ? "two holes in opposite corners" : "one 300x200 hole", name, ms);
            QVERIFY2(ms < 20000, "classical inpainting on 8000x6000 took more than 20 s");
        }
    }

    void largeFileIo()
    {
        QTemporaryDir dir;
        const QImage img = testimg::makeImage({8000, 6000}, QImage::Format_RGB888);
        QString err;
        QElapsedTimer t;
        t.start();
        QVERIFY(saveImage(img, dir.filePath("big.png"), &err));
        const double saveMs = t.nsecsElapsed() / 1e6;
        t.restart();
        const QImage back = loadImage(dir.filePath("big.png"), &err);
        const double loadMs = t.nsecsElapsed() / 1e6;
        QVERIFY2(testimg::samePixels(back, img), qPrintable(err));
        qInfo("8000x6000 RGB 8-bit PNG: save %.0f ms, load %.0f ms", saveMs, loadMs);
    }
};

QTEST_MAIN(TestClassicalTiming)
#include "test_classical_timing.moc"
