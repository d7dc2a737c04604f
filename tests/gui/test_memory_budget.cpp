// Memory over a session: 10 jobs on a 512x512 photo through the editor on the real engine (tiny reference
// model), with the results strip's budget set low so that it must drop old results. Checks that the
// kept results and step frames stay within their budgets, and reports the process's peak RSS
// (VmHWM) before and after the 10 jobs. Label slow: it runs 10 whole-image diffusion jobs.
#include "core/document/document.h"
#include "core/jobs/inpaint_request.h"
#include "ui/dialogs.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"
#include "ui/results_strip.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using inpaint::ui::MainWindow;

namespace {
const QString kRef = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference");

qint64 statusKb(const char* key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly)) return -1;
    for (const QByteArray& line : f.readAll().split('\n'))
        if (line.startsWith(key)) return line.mid(int(qstrlen(key))).trimmed().split(' ').first().toLongLong();
    return -1;
}
}  // namespace

class TestMemoryBudget : public QObject {
    Q_OBJECT
private slots:
    void tenJobsAt512StayWithinBudgets()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("InpaintStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_memory_budget"));
        qputenv("INPAINT_MODELS_PATH", (kRef + "/models").toUtf8());
        qputenv("INPAINT_RESULTS_BUDGET_MB", "4");  // 512x512 RGB results are 0.75 MB: room for 5
        MainWindow w;
        QSignalSpy scanned(&w, &MainWindow::modelsScanned);
        QTRY_VERIFY_WITH_TIMEOUT(scanned.size() >= 1, 20000);
        QImage image(512, 512, QImage::Format_RGB888);
        for (int y = 0; y < 512; ++y)
            for (int x = 0; x < 512; ++x) image.setPixelColor(x, y, QColor(x / 2, y / 2, (x ^ y) & 255));
        QVERIFY(w.openImage(image, QStringLiteral("big.png")));
        QImage mask(512, 512, QImage::Format_Grayscale8);
        mask.fill(0);
        for (int y = 180; y < 330; ++y)
            for (int x = 200; x < 320; ++x) mask.scanLine(y)[x] = 255;
        w.document()->addLayerWithPixels(QStringLiteral("mask"), mask);

        inpaint::jobs::InpaintRequest r = w.promptPanel()->settings();
        r.pipeline = inpaint::jobs::PipelineKind::Blend;
        r.modelPath = QDir(kRef + "/models/tiny-sd").absolutePath();
        r.scheduler = QStringLiteral("ddim");
        r.steps = 4;
        r.randomSeed = true;
        // Only the masked crop goes through the (tiny) model, at its native size; what the editor
        // keeps — results, previews, frames — is 512x512 either way, which is what is measured.
        r.region = inpaint::jobs::RegionMode::Masked;
        w.promptPanel()->setSettings(r);
        QCOMPARE(w.promptPanel()->settings().modelPath, r.modelPath);

        auto* strip = w.resultsStrip();
        QCOMPARE(strip->budgetBytes(), qint64(4) << 20);
        const qint64 hwmBefore = statusKb("VmHWM:");
        for (int i = 1; i <= 10; ++i) {
            QSignalSpy finished(w.controller(), &inpaint::ui::GenerationController::jobFinished);
            w.startInpaint();
            QVERIFY(finished.wait(120000));
            const auto res = finished.first().first().value<inpaint::jobs::InpaintResult>();
            QVERIFY2(res.ok(), qPrintable(res.error));
            QVERIFY2(strip->bytes() <= strip->budgetBytes() || strip->count() == 1, qPrintable(QString::number(strip->bytes())));
        }
        const qint64 hwmAfter = statusKb("VmHWM:");
        QCOMPARE(strip->count(), 5);              // 10 made, the 5 oldest dropped for the budget
        QCOMPARE(strip->droppedForBudget(), 5);
        QVERIFY(hwmBefore > 0 && hwmAfter >= hwmBefore);
        qInfo("peak RSS (VmHWM): %lld MB before the first job, %lld MB after 10 jobs at 512x512; "
              "strip holds %d results in %.1f MB (budget %.0f MB)",
              hwmBefore / 1024, hwmAfter / 1024, strip->count(), strip->bytes() / 1048576.0, strip->budgetBytes() / 1048576.0);
    }
};

QTEST_MAIN(TestMemoryBudget)
#include "test_memory_budget.moc"
