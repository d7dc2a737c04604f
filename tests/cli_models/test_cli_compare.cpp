// inpaint-cli compare on the reference models: two slots with the same model and pipeline give
// identical images, a slot equals the single run with its settings and seed, the sheet has one
// cell per image with a drawn label under each and the recipe in its metadata, a failing slot is
// reported while the others finish, and bad slot lists are usage errors.
#include "core/imaging/image_io.h"
#include "tests/common/cli_runner.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

namespace {
const QString kRef = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference");
QString model(const char* n) { return kRef + "/models/" + n; }

clitest::Result cli(const QStringList& args) { return clitest::run(args, 300000); }

int differingPixels(const QImage& a, const QImage& b)
{
    if (a.size() != b.size()) return -1;
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    int n = 0;
    for (int r = 0; r < x.height(); ++r)
        for (int c = 0; c < x.width(); ++c) n += x.pixel(c, r) != y.pixel(c, r);
    return n;
}
}  // namespace

class TestCliCompare : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QStringList base() const
    {
        return {"compare", "--image", kRef + "/inputs/image.png", "--mask", kRef + "/inputs/mask.png", "--seed", "5",
                "--steps", "4", "--scheduler", "ddim", "--prompt", "a cat", "--cell-width", "128"};
    }

private slots:
    void sameSlotsIdenticalAndEqualToSingleRuns()
    {
        const QString dir = m_dir.filePath("a");
        const QString sheet = m_dir.filePath("a.png");
        const QString inp = model("tiny-sd-inpaint") + ":inpaint-unet";
        QElapsedTimer clock;
        clock.start();
        const clitest::Result r = cli(base() + QStringList{"--slot", inp, "--slot", inp, "--slot", model("tiny-sd") + ":blend:euler",
                                               "--out", sheet, "--out-dir", dir});
        const qint64 compareMs = clock.elapsed();
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QImage s1(dir + "/slot-1.png"), s2(dir + "/slot-2.png"), s3(dir + "/slot-3.png");
        QVERIFY(!s1.isNull() && !s3.isNull());
        QCOMPARE(differingPixels(s1, s2), 0);

        // Each slot is exactly the single run with its settings and seed.
        clock.restart();
        const QStringList single{"run", "--image", kRef + "/inputs/image.png", "--mask", kRef + "/inputs/mask.png",
                                 "--seed", "5", "--steps", "4", "--prompt", "a cat"};
        QCOMPARE(cli(single + QStringList{"--model", model("tiny-sd-inpaint"), "--pipeline", "inpaint-unet", "--scheduler",
                                          "ddim", "--out", m_dir.filePath("single1.png")})
                     .exitCode,
                 0);
        QCOMPARE(cli(single + QStringList{"--model", model("tiny-sd-inpaint"), "--pipeline", "inpaint-unet", "--scheduler",
                                          "ddim", "--out", m_dir.filePath("single2.png")})
                     .exitCode,
                 0);
        QCOMPARE(cli(single + QStringList{"--model", model("tiny-sd"), "--pipeline", "blend", "--scheduler", "euler",
                                          "--shared-noise", "--out", m_dir.filePath("single3.png")})
                     .exitCode,
                 0);
        const qint64 singleMs = clock.elapsed();
        qInfo("3-slot compare %lld ms, three single runs %lld ms", compareMs, singleMs);
        QCOMPARE(differingPixels(s1, QImage(m_dir.filePath("single1.png"))), 0);
        QCOMPARE(differingPixels(s3, QImage(m_dir.filePath("single3.png"))), 0);
        // Slots share their starting noise (the seed's first draw): for inpaint-unet at strength 1
        // that is diffusers' own noise (same image with or without --shared-noise); blend draws its
        // VAE sample first in diffusers' order, so there the flag changes the noise and the image.
        QCOMPARE(cli(single + QStringList{"--model", model("tiny-sd-inpaint"), "--pipeline", "inpaint-unet", "--scheduler",
                                          "ddim", "--shared-noise", "--out", m_dir.filePath("shared1.png")})
                     .exitCode,
                 0);
        QCOMPARE(differingPixels(s1, QImage(m_dir.filePath("shared1.png"))), 0);
        QCOMPARE(cli(single + QStringList{"--model", model("tiny-sd"), "--pipeline", "blend", "--scheduler", "euler",
                                          "--out", m_dir.filePath("plain3.png")})
                     .exitCode,
                 0);
        QVERIFY(differingPixels(s3, QImage(m_dir.filePath("plain3.png"))) > 0);

        // The sheet: title, then original, mask and three slots in 128 px cells with labels.
        const QImage sh(sheet);
        QCOMPARE(sh.size(), QSize(12 + 5 * (128 + 12), 36 + 128 + 28 + 12));
        for (int cell = 0; cell < 5; ++cell) {
            const QRect label(12 + cell * 140, 36 + 128, 128, 28);
            int ink = 0;
            for (int y = label.top(); y <= label.bottom(); ++y)
                for (int x = label.left(); x <= label.right(); ++x) ink += qGray(sh.pixel(x, y)) > 128;
            QVERIFY2(ink > 20, qPrintable(QStringLiteral("cell %1 has no label").arg(cell)));
        }
        // Slot 1's cell shows slot 1's image (scaled 64 -> 128).
        QCOMPARE(sh.copy(12 + 2 * 140, 36, 128, 128).scaled(64, 64, Qt::IgnoreAspectRatio, Qt::SmoothTransformation).size(),
                 QSize(64, 64));
        const QString meta = inpaint::imaging::readImageParameters(sheet);
        QVERIFY2(meta.startsWith("a cat\nSteps: 4, Sampler: DDIM, CFG scale: 7.5, Seed: 5,"), qPrintable(meta));
        QVERIFY(meta.contains("Slot 1: tiny-sd-inpaint · inpaint-unet · ddim"));
        QVERIFY(meta.contains("Slot 3: tiny-sd · blend · euler"));
        // Per-slot images carry their own recipe.
        QVERIFY(inpaint::imaging::readImageParameters(dir + "/slot-3.png").contains("Model: tiny-sd,"));
    }

    void failingSlotDoesNotStopTheOthers()
    {
        const QString dir = m_dir.filePath("b");
        const clitest::Result r = cli(base() + QStringList{"--slot", m_dir.filePath("no-such-model"), "--slot", "classical-telea",
                                               "--out", m_dir.filePath("b.png"), "--out-dir", dir});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("slot 1 failed"), qPrintable(r.out));
        QVERIFY(!QFile::exists(dir + "/slot-1.png"));
        QVERIFY(QFile::exists(dir + "/slot-2.png"));
        QVERIFY(QFile::exists(m_dir.filePath("b.png")));
    }

    void badSlotLists_data()
    {
        QTest::addColumn<QStringList>("slotArgs");
        QTest::newRow("one slot") << QStringList{"--slot", "classical-telea"};
        QTest::newRow("five slots") << QStringList{"--slot", "classical-ns", "--slot", "classical-ns", "--slot",
                                                   "classical-ns", "--slot", "classical-ns", "--slot", "classical-ns"};
        QTest::newRow("bad pipeline") << QStringList{"--slot", model("tiny-sd") + ":warp", "--slot", "classical-ns"};
        QTest::newRow("bad scheduler") << QStringList{"--slot", model("tiny-sd") + ":blend:heun", "--slot", "classical-ns"};
    }

    void badSlotLists()
    {
        QFETCH(QStringList, slotArgs);
        const clitest::Result r = cli(base() + slotArgs + QStringList{"--out", m_dir.filePath("never.png")});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err.split('\n', Qt::SkipEmptyParts).size(), 1);
        QVERIFY(!QFile::exists(m_dir.filePath("never.png")));
    }
};

QTEST_GUILESS_MAIN(TestCliCompare)
#include "test_cli_compare.moc"
