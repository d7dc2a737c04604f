// The compare window on the real engine with the reference models: two slots with the same model
// and pipeline give identical images, a slot equals a single run with the same settings and seed,
// zoom and pan follow from one view to the others, the step slider shows every slot at the same
// step, the sheet exports with the recipe, a failing slot does not stop the others, and a slot's
// result can go to the results strip and be applied.
#include "core/document/document.h"
#include "core/imaging/image_io.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"
#include "ui/compare_window.h"
#include "ui/dialogs.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/results_strip.h"
#include "ui/synced_image_view.h"

#include <QApplication>
#include <QCheckBox>
#include "core/imaging/heatmap.h"
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

using inpaint::jobs::PipelineKind;
using inpaint::ui::CompareWindow;
using inpaint::ui::MainWindow;

namespace {
const QString kRef = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference");
}

class TestCompareWindow : public QObject {
    Q_OBJECT
    MainWindow* m_w = nullptr;
    CompareWindow* m_c = nullptr;
    QImage m_image, m_mask;

    void runAndWait()
    {
        QSignalSpy done(m_c, &CompareWindow::finished);
        QVERIFY(m_c->run());
        QVERIFY(done.wait(120000));
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("InpaintStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_compare_window"));
        qputenv("INPAINT_MODELS_PATH", (kRef + "/models").toUtf8());
        QString err;
        m_image = inpaint::imaging::loadImage(kRef + "/inputs/image.png", &err);
        m_mask = inpaint::imaging::loadMask(kRef + "/inputs/mask.png", m_image.size(), false, &err);
        m_w = new MainWindow;
        QSignalSpy scanned(m_w, &MainWindow::modelsScanned);
        m_w->show();
        QTRY_VERIFY_WITH_TIMEOUT(scanned.size() == 1, 20000);
        QVERIFY(m_w->openImage(m_image, QStringLiteral("image.png")));
        m_w->document()->addLayerWithPixels(QStringLiteral("mask"), m_mask);
        m_c = m_w->showCompare();
        QVERIFY(m_c);
    }

    void cleanupTestCase() { delete m_w; }

    void sameSlotsAreIdenticalAndEqualASingleRun()
    {
        const QString inp = kRef + "/models/tiny-sd-inpaint";
        inpaint::jobs::InpaintRequest shared;
        shared.prompt = QStringLiteral("a cat");
        shared.seed = 11;
        shared.steps = 3;
        m_c->setSharedSettings(shared);
        m_c->setSlotCount(3);
        m_c->setSlot(0, inp, PipelineKind::InpaintUnet, QStringLiteral("ddim"));
        m_c->setSlot(1, inp, PipelineKind::InpaintUnet, QStringLiteral("ddim"));
        m_c->setSlot(2, kRef + "/models/tiny-sd", PipelineKind::Blend, QStringLiteral("euler"));
        QVERIFY(m_c->noiseNote().contains("identical noise"));
        runAndWait();
        for (int i = 0; i < 3; ++i) QVERIFY2(m_c->result(i).ok(), qPrintable(m_c->result(i).error));
        QVERIFY(m_c->result(0).image == m_c->result(1).image);
        QVERIFY(m_c->result(0).image != m_c->result(2).image);

        // The same request through the editor's own Generate path gives the same pixels.
        inpaint::jobs::InpaintRequest single = shared;
        single.pipeline = PipelineKind::InpaintUnet;
        single.modelPath = inp;
        single.scheduler = QStringLiteral("ddim");
        single.image = m_w->document()->image();
        single.mask = m_w->document()->combinedMask();
        auto runSingle = [this](const inpaint::jobs::InpaintRequest& r) {
            QSignalSpy finished(m_w->jobQueue()->submit(r), &inpaint::jobs::JobHandle::finished);
            return finished.wait(60000) ? finished.first().first().value<inpaint::jobs::InpaintResult>()
                                        : inpaint::jobs::InpaintResult();
        };
        QVERIFY(runSingle(single).image == m_c->result(0).image);
        // The blend slot equals a single blend run with the shared starting noise.
        single.pipeline = PipelineKind::Blend;
        single.modelPath = kRef + "/models/tiny-sd";
        single.scheduler = QStringLiteral("euler");
        single.sharedNoise = true;
        QVERIFY(runSingle(single).image == m_c->result(2).image);

        // Zoom one view: the others follow; pan likewise.
        auto* v1 = m_c->view(0);
        auto* v2 = m_c->view(1);
        QWheelEvent wheel(QPointF(40, 40), v1->mapToGlobal(QPointF(40, 40)), QPoint(), QPoint(0, 240), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(v1, &wheel);
        QVERIFY(v1->zoom() > 0);
        QCOMPARE(v2->zoom(), v1->zoom());
        QCOMPARE(v2->centre(), v1->centre());
        QCOMPARE(m_c->view(2)->zoom(), v1->zoom());

        // Step slider: 3 previews per slot (ddim) and the end shows the results.
        QSlider* s = m_c->stepSlider();
        QVERIFY(s->maximum() >= 3);
        s->setValue(1);
        QVERIFY(v1->image() != m_c->result(0).image);
        QVERIFY(v1->image() == v2->image());  // same step of identical slots
        s->setValue(s->maximum());
        QVERIFY(v1->image() == m_c->result(0).image);

        // Difference view: slot 2 vs slot 1 is all grey (identical).
        m_c->differenceCheck()->setChecked(true);
        inpaint::imaging::ChangeStats stats;
        QVERIFY(!inpaint::imaging::changeHeatmap(m_c->result(0).image, m_c->result(1).image, &stats).isNull());
        QCOMPARE(stats.changedPixels, qint64(0));
        QVERIFY(v2->image() != m_c->result(1).image);  // the heatmap is shown
        m_c->differenceCheck()->setChecked(false);

        // A/B split: slot 1 left of the line, the original right of it.
        m_c->setSplit(true, 0, -1, 0.5);
        const QImage split = m_c->splitView()->image().convertToFormat(QImage::Format_RGB888);
        const QImage a = m_c->result(0).image.convertToFormat(QImage::Format_RGB888);
        const QImage b = m_w->document()->image().convertToFormat(QImage::Format_RGB888);
        QCOMPARE(split.size(), a.size());
        QCOMPARE(split.copy(0, 0, 32, 64), a.copy(0, 0, 32, 64));
        QCOMPARE(split.copy(33, 0, 31, 64), b.copy(33, 0, 31, 64));
        m_c->setSplit(false);

        // The sheet: 5 cells of 384 px and the recipe.
        QTemporaryDir dir;
        QString err;
        QVERIFY2(m_c->exportSheet(dir.filePath("sheet.png"), &err), qPrintable(err));
        const QImage sheet(dir.filePath("sheet.png"));
        QCOMPARE(sheet.size(), QSize(12 + 5 * (384 + 12), 36 + 384 + 28 + 12));
        const QString meta = inpaint::imaging::readImageParameters(dir.filePath("sheet.png"));
        QVERIFY2(meta.contains("Slot 3: tiny-sd · blend · euler"), qPrintable(meta));
    }

    void slotOverridesTakeEffect()
    {
        inpaint::jobs::InpaintRequest shared;
        shared.seed = 3;
        shared.steps = 3;
        m_c->setSharedSettings(shared);
        m_c->setSlotCount(2);
        m_c->setSlot(0, kRef + "/models/tiny-sd", PipelineKind::Blend, QStringLiteral("ddim"));
        m_c->setSlot(1, kRef + "/models/tiny-sd", PipelineKind::Blend, QStringLiteral("ddim"));
        m_c->setSlotOverrides(1, 5, 2.0, 0.6);
        const auto a = m_c->slotAt(0), b = m_c->slotAt(1);
        QVERIFY(!a.steps && !a.guidance && !a.strength);
        QCOMPARE(b.steps.value_or(0), 5);
        QCOMPARE(b.guidance.value_or(0), 2.0);
        QCOMPARE(b.strength.value_or(0), 0.6);
        runAndWait();
        QVERIFY(m_c->result(0).ok() && m_c->result(1).ok());
        QVERIFY(m_c->result(0).image != m_c->result(1).image);
        m_c->setSlotOverrides(1, {});
    }

    void failingSlotAndUseResult()
    {
        m_c->setSlotCount(2);
        m_c->setSlot(0, kRef + "/models/tiny-sd", PipelineKind::InpaintUnet, QStringLiteral("ddim"));  // 4-channel: fails
        m_c->setSlot(1, QString(), PipelineKind::ClassicalTelea);
        runAndWait();
        QVERIFY(!m_c->result(0).ok());
        QVERIFY(m_c->result(0).error.contains("inpainting checkpoint"));
        QVERIFY(m_c->result(1).ok());
        QVERIFY(m_c->view(0)->label().contains("failed"));

        // "Use" sends the classical result to the strip; applying it changes the image.
        const int before = m_w->resultsStrip()->count();
        emit m_c->useResult(m_c->result(1), inpaint::jobs::InpaintRequest());
        QCOMPARE(m_w->resultsStrip()->count(), before + 1);
        QVERIFY(m_w->controller()->applyPending());
        QVERIFY(m_w->document()->image() == m_c->result(1).image);
    }
};

QTEST_MAIN(TestCompareWindow)
#include "test_compare_window.moc"
