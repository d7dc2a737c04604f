// Change heatmap: unchanged pixels grey, changed ones coloured by the size of the change, counts
// exact, sizes checked.
#include "core/imaging/heatmap.h"

#include <QTest>

using namespace inpaint::imaging;

class TestHeatmap : public QObject {
    Q_OBJECT
private slots:
    void marksExactlyTheChangedPixels()
    {
        QImage a(20, 10, QImage::Format_RGB888);
        a.fill(QColor(100, 100, 100));
        QImage b = a;
        b.setPixelColor(3, 4, QColor(101, 100, 100));  // 1 level
        b.setPixelColor(10, 5, QColor(200, 100, 100)); // 100 levels
        ChangeStats s;
        const QImage h = changeHeatmap(a, b, &s);
        QCOMPARE(h.size(), a.size());
        QCOMPARE(s.changedPixels, qint64(2));
        QCOMPARE(s.maxDifference, 100);
        const QColor grey = h.pixelColor(0, 0);
        QCOMPARE(grey.red(), grey.green());
        QCOMPARE(grey.red(), 25);  // a quarter of the luma of 100
        QCOMPARE(h.pixelColor(3, 4), QColor(98, 3, 0));
        QCOMPARE(h.pixelColor(10, 5), QColor(255, 255, 0));
        int coloured = 0;
        for (int y = 0; y < 10; ++y)
            for (int x = 0; x < 20; ++x) coloured += h.pixelColor(x, y).blue() == 0 && h.pixelColor(x, y).red() > 90;
        QCOMPARE(coloured, 2);
    }

    void sixteenBitAndAlpha()
    {
        QImage a(4, 4, QImage::Format_RGBA64);
        a.fill(QColor(10, 20, 30, 255));
        QImage b = a;
        b.setPixelColor(1, 1, QColor(10, 20, 30, 0));  // only alpha changes
        ChangeStats s;
        QVERIFY(!changeHeatmap(a, b, &s).isNull());
        QCOMPARE(s.changedPixels, qint64(1));
        QCOMPARE(s.maxDifference, 255);
    }

    void sizeMismatchGivesNull()
    {
        QVERIFY(changeHeatmap(QImage(4, 4, QImage::Format_RGB888), QImage(5, 4, QImage::Format_RGB888)).isNull());
        QVERIFY(changeHeatmap(QImage(), QImage()).isNull());
    }
};

QTEST_GUILESS_MAIN(TestHeatmap)
#include "test_heatmap.moc"
