// Smart selection (core/imaging/selection.h): GrabCut from a rectangle on synthetic objects
// (a disc on a textured background) measured by IoU in every document format, hint strokes,
// the downscaled path on a 3000x2000 photo, repeatability, the bad rectangles; the magic
// wand's exact pixel sets (contiguous vs not, 4-connectivity, the inclusive tolerance bound),
// single-channel modes, and how a selection combines with a layer.
#include "core/imaging/selection.h"

#include <QElapsedTimer>
#include <QTest>
#include <cmath>
#include <random>

using namespace inpaint::imaging;

namespace {

// A disc of `disc` colour (centre c, radius r) on a textured brown/green background, plus an
// optional square of `squareColor`; RGB888, converted to `format`.
QImage scene(QSize size, QPointF c, double r, QColor disc, QImage::Format format, QRect square = {},
             QColor squareColor = {}) {
    QImage img(size, QImage::Format_RGB888);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> noise(-18, 18);
    for (int y = 0; y < size.height(); ++y) {
        uchar* p = img.scanLine(y);
        for (int x = 0; x < size.width(); ++x, p += 3) {
            QColor col;
            if (std::hypot(x + 0.5 - c.x(), y + 0.5 - c.y()) <= r) col = disc;
            else if (square.contains(x, y)) col = squareColor;
            else col = ((x / 9 + y / 13) % 2) ? QColor(110, 140, 60) : QColor(90, 120, 80);  // wood-ish texture
            const int n = noise(rng);
            p[0] = uchar(std::clamp(col.red() + n, 0, 255));
            p[1] = uchar(std::clamp(col.green() + n, 0, 255));
            p[2] = uchar(std::clamp(col.blue() + n, 0, 255));
        }
    }
    return img.convertToFormat(format);
}

QImage discTruth(QSize size, QPointF c, double r) {
    QImage m(size, QImage::Format_Grayscale8);
    for (int y = 0; y < size.height(); ++y)
        for (int x = 0; x < size.width(); ++x)
            m.scanLine(y)[x] = std::hypot(x + 0.5 - c.x(), y + 0.5 - c.y()) <= r ? 255 : 0;
    return m;
}

struct Overlap {
    double iou = 0, recall = 0, falsePositive = 0;  // falsePositive: of the truth's background
};

Overlap overlap(const QImage& got, const QImage& truth) {
    qint64 inter = 0, uni = 0, t = 0, fp = 0, bg = 0;
    for (int y = 0; y < truth.height(); ++y)
        for (int x = 0; x < truth.width(); ++x) {
            const bool a = got.constScanLine(y)[x] != 0, b = truth.constScanLine(y)[x] != 0;
            inter += a && b;
            uni += a || b;
            t += b;
            bg += !b;
            fp += a && !b;
        }
    return {double(inter) / std::max<qint64>(1, uni), double(inter) / std::max<qint64>(1, t),
            double(fp) / std::max<qint64>(1, bg)};
}

double coverage(const QImage& m, const QRect& r) {
    qint64 n = 0;
    for (int y = r.top(); y <= r.bottom(); ++y)
        for (int x = r.left(); x <= r.right(); ++x) n += m.constScanLine(y)[x] != 0;
    return double(n) / (qint64(r.width()) * r.height());
}

// Grey value rows of the wand image. Seed (0,0) = 100.
//   row 0: 100 100 110 111 100 100 100
//   row 1: 200 200 200 100 200 200 200   ((3,1) touches (2,0) only diagonally)
//   row 2: 100  90  89 200 100 100 200
const int kWand[3][7] = {{100, 100, 110, 111, 100, 100, 100},
                         {200, 200, 200, 100, 200, 200, 200},
                         {100, 90, 89, 200, 100, 100, 200}};

QImage wandImage(QImage::Format format) {
    QImage img(7, 3, QImage::Format_RGBA64);
    for (int y = 0; y < 3; ++y)
        for (int x = 0; x < 7; ++x) {
            const quint16 v = quint16(kWand[y][x] * 257);  // exact at 8 bit
            img.setPixelColor(x, y, QColor::fromRgba64(v, v, v, 65535));
        }
    return format == QImage::Format_RGBA64 ? img : img.convertToFormat(format);
}

QString setOf(const QImage& m) {
    QStringList s;
    for (int y = 0; y < m.height(); ++y)
        for (int x = 0; x < m.width(); ++x) {
            const uchar v = m.constScanLine(y)[x];
            if (v != 0 && v != 255) return QStringLiteral("non-binary %1 at %2,%3").arg(v).arg(x).arg(y);
            if (v) s << QStringLiteral("%1,%2").arg(x).arg(y);
        }
    return s.join(QLatin1Char(' '));
}

}  // namespace

class TestSelection : public QObject {
    Q_OBJECT
private slots:
    // --- GrabCut ----------------------------------------------------------------------------
    void grabCutSelectsTheDisc_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("grey8") << int(QImage::Format_Grayscale8);
        QTest::newRow("grey16") << int(QImage::Format_Grayscale16);
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("argb32") << int(QImage::Format_ARGB32);
        QTest::newRow("rgba64") << int(QImage::Format_RGBA64);
    }
    void grabCutSelectsTheDisc() {
        QFETCH(int, format);
        const QSize size(240, 180);
        const QPointF c(120, 90);
        const double r = 45;
        // Pale pink: distinct from the background in colour and in grey (qGray 210 against 103..117).
        const QImage img = scene(size, c, r, QColor(250, 190, 170), QImage::Format(format));
        QString err;
        const QImage sel = grabCutSelect(img, QRect(QPoint(65, 35), QPoint(175, 145)), {}, 5, &err);
        QVERIFY2(!sel.isNull(), qPrintable(err));
        QCOMPARE(sel.format(), QImage::Format_Grayscale8);
        QCOMPARE(sel.size(), size);
        const Overlap o = overlap(sel, discTruth(size, c, r));
        qInfo("GrabCut %s: IoU %.4f, disc selected %.4f, background selected %.4f", QTest::currentDataTag(), o.iou,
              o.recall, o.falsePositive);
        QVERIFY2(o.recall >= 0.95, qPrintable(QString::number(o.recall)));
        QVERIFY2(o.falsePositive <= 0.02, qPrintable(QString::number(o.falsePositive)));
        QVERIFY2(o.iou >= 0.92, qPrintable(QString::number(o.iou)));
        QCOMPARE(setOf(sel).startsWith(QLatin1String("non-binary")), false);
    }

    void grabCutRepeatsExactly() {
        const QImage img = scene(QSize(200, 150), QPointF(100, 75), 40, QColor(230, 70, 60), QImage::Format_RGB888);
        const QRect rect(50, 25, 100, 100);
        const QImage a = grabCutSelect(img, rect, {}, 5);
        const QImage b = grabCutSelect(img, rect, {}, 5);
        QVERIFY(!a.isNull());
        QCOMPARE(a, b);
    }

    void rectangleClippedToTheImage() {
        // A rectangle sticking out of the image: the part on it counts.
        const QSize size(200, 150);
        const QImage img = scene(size, QPointF(100, 75), 40, QColor(230, 70, 60), QImage::Format_RGB888);
        QString err;
        const QImage sel = grabCutSelect(img, QRect(QPoint(50, -30), QPoint(150, 125)), {}, 5, &err);
        QVERIFY2(!sel.isNull(), qPrintable(err));
        QVERIFY(overlap(sel, discTruth(size, QPointF(100, 75), 40)).iou >= 0.92);
    }

    void hintStrokesChangeTheResult() {
        // A red disc and a blue square inside one rectangle: both are "not background".
        const QSize size(260, 160);
        const QPointF c(80, 80);
        const double r = 40;
        const QRect square(150, 50, 60, 60);
        const QImage img = scene(size, c, r, QColor(230, 70, 60), QImage::Format_RGB888, square, QColor(60, 80, 230));
        const QRect rect(QPoint(25, 25), QPoint(235, 135));
        QString err;
        const QImage plain = grabCutSelect(img, rect, {}, 5, &err);
        QVERIFY2(!plain.isNull(), qPrintable(err));
        const double squareBefore = coverage(plain, square);
        const double discBefore = overlap(plain, discTruth(size, c, r)).recall;
        QVERIFY2(squareBefore >= 0.9, qPrintable(QString::number(squareBefore)));
        QVERIFY(discBefore >= 0.95);

        // A background stroke across the square takes it out; the disc stays.
        QImage hints(size, QImage::Format_Grayscale8);
        hints.fill(kHintNone);
        for (int y = 75; y < 85; ++y)
            for (int x = 155; x < 205; ++x) hints.scanLine(y)[x] = kHintBackground;
        const QImage refined = grabCutSelect(img, rect, hints, 5, &err);
        QVERIFY2(!refined.isNull(), qPrintable(err));
        const double squareAfter = coverage(refined, square);
        const Overlap disc = overlap(refined, discTruth(size, c, r));
        qInfo("hints: square covered %.3f -> %.3f, disc IoU %.4f", squareBefore, squareAfter, disc.iou);
        QVERIFY2(squareAfter <= 0.05, qPrintable(QString::number(squareAfter)));
        QVERIFY(disc.recall >= 0.95);
        QVERIFY(disc.iou >= 0.9);

        // An object stroke outside the rectangle adds what it marks as sure object.
        QImage fg(size, QImage::Format_Grayscale8);
        fg.fill(kHintNone);
        for (int y = 2; y < 8; ++y)
            for (int x = 2; x < 12; ++x) fg.scanLine(y)[x] = kHintForeground;
        const QImage withFg = grabCutSelect(img, rect, fg, 5, &err);
        QVERIFY2(!withFg.isNull(), qPrintable(err));
        QCOMPARE(coverage(withFg, QRect(2, 2, 10, 6)), 1.0);
        QCOMPARE(coverage(plain, QRect(2, 2, 10, 6)), 0.0);
    }

    void largePhotoIsDownscaled() {
        const QSize size(3000, 2000);
        const QPointF c(1500, 1000);
        const double r = 600;
        const QImage img = scene(size, c, r, QColor(230, 70, 60), QImage::Format_RGB888);
        QElapsedTimer t;
        t.start();
        QString err;
        const QImage sel = grabCutSelect(img, QRect(QPoint(820, 320), QPoint(2180, 1680)), {}, 5, &err);
        const qint64 ms = t.elapsed();
        QVERIFY2(!sel.isNull(), qPrintable(err));
        QCOMPARE(sel.size(), size);
        const Overlap o = overlap(sel, discTruth(size, c, r));
        qInfo("GrabCut 3000x2000: IoU %.4f, disc %.4f, background %.4f, %lld ms", o.iou, o.recall, o.falsePositive, ms);
        QVERIFY(o.recall >= 0.95);
        QVERIFY(o.falsePositive <= 0.02);
        QVERIFY(o.iou >= 0.95);
        QCOMPARE(setOf(sel.copy(1400, 900, 200, 200)).startsWith(QLatin1String("non-binary")), false);
    }

    void badRectanglesChangeNothing_data() {
        QTest::addColumn<QRect>("rect");
        QTest::addColumn<QString>("words");
        QTest::newRow("null") << QRect() << QStringLiteral("empty");
        QTest::newRow("click") << QRect(60, 60, 1, 1) << QStringLiteral("empty");
        QTest::newRow("thin") << QRect(60, 20, 2, 100) << QStringLiteral("empty");
        QTest::newRow("outside") << QRect(300, 300, 50, 50) << QStringLiteral("outside");
        QTest::newRow("sliver on the image") << QRect(-48, 20, 50, 100) << QStringLiteral("2 × 100");
        QTest::newRow("whole image") << QRect(-5, -5, 300, 300) << QStringLiteral("whole image");
    }
    void badRectanglesChangeNothing() {
        QFETCH(QRect, rect);
        QFETCH(QString, words);
        const QImage img = scene(QSize(200, 150), QPointF(100, 75), 40, QColor(230, 70, 60), QImage::Format_RGB888);
        QString err;
        const QImage sel = grabCutSelect(img, rect, {}, 5, &err);
        QVERIFY(sel.isNull());
        QVERIFY2(err.contains(words), qPrintable(err));
    }

    void nullImageAndWrongHints() {
        QString err;
        QVERIFY(grabCutSelect(QImage(), QRect(0, 0, 10, 10), {}, 5, &err).isNull());
        QVERIFY(!err.isEmpty());
        const QImage img = scene(QSize(100, 80), QPointF(50, 40), 20, QColor(230, 70, 60), QImage::Format_RGB888);
        QImage hints(10, 10, QImage::Format_Grayscale8);
        hints.fill(255);
        QVERIFY(grabCutSelect(img, QRect(20, 10, 60, 60), hints, 5, &err).isNull());
        QVERIFY2(err.contains(QLatin1String("size")), qPrintable(err));
    }

    // --- magic wand -------------------------------------------------------------------------
    void wandExactSets_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("grey8") << int(QImage::Format_Grayscale8);
        QTest::newRow("grey16") << int(QImage::Format_Grayscale16);
        QTest::newRow("rgb8") << int(QImage::Format_RGB888);
        QTest::newRow("argb32") << int(QImage::Format_ARGB32);
        QTest::newRow("argb32pm") << int(QImage::Format_ARGB32_Premultiplied);
        QTest::newRow("rgba64") << int(QImage::Format_RGBA64);
    }
    void wandExactSets() {
        QFETCH(int, format);
        const QImage img = wandImage(QImage::Format(format));
        QString err;
        for (WandChannel ch : {WandChannel::Composite, WandChannel::Red, WandChannel::Luma}) {
            // Contiguous, tolerance 10: 110 is in (exactly the tolerance), 111 is not and blocks
            // the rest of row 0; (3,1) touches only diagonally (4-connected: out).
            QImage m = magicWandSelect(img, QPoint(0, 0), 10, ch, true, &err);
            QVERIFY2(!m.isNull(), qPrintable(err));
            QCOMPARE(m.format(), QImage::Format_Grayscale8);
            QCOMPARE(m.size(), img.size());
            QCOMPARE(setOf(m), QStringLiteral("0,0 1,0 2,0"));
            // Not contiguous: every value within 100 ± 10 (90 in, 89 out).
            m = magicWandSelect(img, QPoint(0, 0), 10, ch, false, &err);
            QCOMPARE(setOf(m), QStringLiteral("0,0 1,0 2,0 4,0 5,0 6,0 3,1 0,2 1,2 4,2 5,2"));
            // Tolerance 11 lets 111 through: the whole top row, and (3,1) below 111.
            m = magicWandSelect(img, QPoint(0, 0), 11, ch, true, &err);
            QCOMPARE(setOf(m), QStringLiteral("0,0 1,0 2,0 3,0 4,0 5,0 6,0 3,1"));
            // Tolerance 0: exactly the seed's value.
            m = magicWandSelect(img, QPoint(0, 0), 0, ch, false, &err);
            QCOMPARE(setOf(m), QStringLiteral("0,0 1,0 4,0 5,0 6,0 3,1 0,2 4,2 5,2"));
            m = magicWandSelect(img, QPoint(0, 0), 0, ch, true, &err);
            QCOMPARE(setOf(m), QStringLiteral("0,0 1,0"));
        }
        // The 200s from (6,2): up into row 1 and along it to (3,1) = 100; (3,2) = 200 touches
        // row 1 only diagonally, so it stays out.
        QImage m = magicWandSelect(img, QPoint(6, 2), 0, WandChannel::Composite, true, &err);
        QCOMPARE(setOf(m), QStringLiteral("4,1 5,1 6,1 6,2"));
        m = magicWandSelect(img, QPoint(6, 2), 0, WandChannel::Composite, false, &err);
        QCOMPARE(setOf(m), QStringLiteral("0,1 1,1 2,1 4,1 5,1 6,1 3,2 6,2"));
    }

    void wandSingleChannel() {
        // (100,0,0) (100,250,0) (0,0,0): the red channel joins the first two, green separates them.
        QImage img(3, 1, QImage::Format_ARGB32);
        img.setPixel(0, 0, qRgba(100, 0, 0, 255));
        img.setPixel(1, 0, qRgba(100, 250, 0, 255));
        img.setPixel(2, 0, qRgba(0, 0, 0, 10));
        QString err;
        auto sel = [&](WandChannel ch, int tol, bool contiguous) {
            return setOf(magicWandSelect(img, QPoint(0, 0), tol, ch, contiguous, &err));
        };
        QCOMPARE(sel(WandChannel::Composite, 5, false), QStringLiteral("0,0"));
        QCOMPARE(sel(WandChannel::Red, 5, true), QStringLiteral("0,0 1,0"));
        QCOMPARE(sel(WandChannel::Green, 5, true), QStringLiteral("0,0"));
        QCOMPARE(sel(WandChannel::Green, 5, false), QStringLiteral("0,0 2,0"));
        QCOMPARE(sel(WandChannel::Blue, 0, true), QStringLiteral("0,0 1,0 2,0"));
        QCOMPARE(sel(WandChannel::Alpha, 5, true), QStringLiteral("0,0 1,0"));
        // Luma: qGray gives 34, 159, 0: 34 - 0 = 34 is within 34, not within 33.
        QCOMPARE(sel(WandChannel::Luma, 34, false), QStringLiteral("0,0 2,0"));
        QCOMPARE(sel(WandChannel::Luma, 33, false), QStringLiteral("0,0"));
        // Composite on RGB: each channel within the tolerance, so 250 - 0 rules out pixel 1.
        QCOMPARE(sel(WandChannel::Composite, 249, false), QStringLiteral("0,0 2,0"));
        QCOMPARE(sel(WandChannel::Composite, 250, false), QStringLiteral("0,0 1,0 2,0"));
    }

    void wandSeedOutside() {
        const QImage img = wandImage(QImage::Format_RGB888);
        for (QPoint p : {QPoint(-1, 0), QPoint(7, 0), QPoint(0, 3), QPoint(100, -100)}) {
            QString err;
            QVERIFY(magicWandSelect(img, p, 10, WandChannel::Composite, true, &err).isNull());
            QVERIFY2(err.contains(QLatin1String("outside")), qPrintable(err));
        }
        QString err;
        QVERIFY(magicWandSelect(QImage(), QPoint(0, 0), 10, WandChannel::Composite, true, &err).isNull());
        QVERIFY(!err.isEmpty());
    }

    // --- combining ---------------------------------------------------------------------------
    void combineModes() {
        QImage cur(4, 1, QImage::Format_Grayscale8), sel(4, 1, QImage::Format_Grayscale8);
        const uchar c[4] = {0, 255, 100, 255}, s[4] = {255, 255, 0, 60};
        for (int x = 0; x < 4; ++x) {
            cur.scanLine(0)[x] = c[x];
            sel.scanLine(0)[x] = s[x];
        }
        auto row = [](const QImage& m) {
            QList<int> v;
            for (int x = 0; x < m.width(); ++x) v << m.constScanLine(0)[x];
            return v;
        };
        QCOMPARE(row(combineSelection(cur, sel, SelectionMode::Replace)), (QList<int>{255, 255, 0, 60}));
        QCOMPARE(row(combineSelection(cur, sel, SelectionMode::Add)), (QList<int>{255, 255, 100, 255}));
        QCOMPARE(row(combineSelection(cur, sel, SelectionMode::Subtract)), (QList<int>{0, 0, 100, 195}));
        QCOMPARE(row(combineSelection(QImage(), sel, SelectionMode::Add)), (QList<int>{255, 255, 0, 60}));
        QCOMPARE(row(combineSelection(QImage(), sel, SelectionMode::Subtract)), (QList<int>{0, 0, 0, 0}));
        QCOMPARE(row(cur), (QList<int>{0, 255, 100, 255}));  // inputs untouched
    }
};

QTEST_GUILESS_MAIN(TestSelection)
#include "test_selection.moc"
