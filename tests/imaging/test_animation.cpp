// Animated WebP export: the file plays back with one frame per step and the given delays, large
// frames are scaled down keeping aspect, and bad input fails with a message and no file.
#include "core/imaging/animation.h"

#include <QImageReader>
#include <QTemporaryDir>
#include <QTest>

using namespace inpaint::imaging;

class TestAnimation : public QObject {
    Q_OBJECT
private slots:
    void writesEveryFrame()
    {
        QTemporaryDir dir;
        QList<QImage> frames;
        for (int i = 0; i < 5; ++i) {
            QImage f(1200, 600, QImage::Format_RGB888);
            f.fill(QColor(i * 50, 255 - i * 50, 0));
            frames << f;
        }
        const QString path = dir.filePath("steps.webp");
        QString err;
        AnimationOptions o;
        o.frameMs = 120;
        o.lastFrameMs = 1000;
        QVERIFY2(saveAnimatedWebp(frames, path, &err, o), qPrintable(err));
        QImageReader r(path);
        QVERIFY(r.supportsAnimation());
        QCOMPARE(r.imageCount(), 5);
        QList<int> delays;
        QList<QColor> colours;
        for (int i = 0; i < 5; ++i) {
            const QImage img = r.read();
            QVERIFY2(!img.isNull(), qPrintable(r.errorString()));
            QCOMPARE(img.size(), QSize(1024, 512));  // scaled to maxSide, aspect kept
            delays << r.nextImageDelay();
            colours << img.pixelColor(500, 250);
        }
        QCOMPARE(delays, (QList<int>{120, 120, 120, 120, 1000}));
        for (int i = 0; i < 5; ++i) {
            QVERIFY2(std::abs(colours[i].red() - i * 50) <= 8 && std::abs(colours[i].green() - (255 - i * 50)) <= 8,
                     qPrintable(colours[i].name()));
        }
    }

    void badInputFailsCleanly()
    {
        QTemporaryDir dir;
        QString err;
        QVERIFY(!saveAnimatedWebp({}, dir.filePath("a.webp"), &err));
        QVERIFY(err.contains("no step previews"));
        QImage f(8, 8, QImage::Format_RGB888);
        f.fill(Qt::blue);
        err.clear();
        QVERIFY(!saveAnimatedWebp({f, f}, dir.filePath("missing/a.webp"), &err));
        QVERIFY(!err.isEmpty());
        QVERIFY(!QFile::exists(dir.filePath("missing/a.webp")));
    }
};

QTEST_GUILESS_MAIN(TestAnimation)
#include "test_animation.moc"
