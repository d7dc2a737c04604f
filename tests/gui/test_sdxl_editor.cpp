// SDXL in the editor, on the real engine with the tiny reference models: the model library lists
// SD 1.x and SDXL models with their family, picking the SDXL inpainting model selects inpaint-unet,
// Generate runs it end to end on the worker (unmasked pixels identical once applied), the saved
// PNG's recipe names the family, and compare mixes an SD 1.x and an SDXL slot (both run; the
// window says their latent sizes differ, so noise cannot be shared).
#include "core/document/document.h"
#include "core/imaging/image_io.h"
#include "core/jobs/job_handle.h"
#include "core/jobs/job_queue.h"
#include "ui/compare_window.h"
#include "ui/dialogs.h"
#include "scripted_dialogs.h"
#include "ui/generation_controller.h"
#include "ui/main_window.h"
#include "ui/prompt_panel.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using inpaint::jobs::PipelineKind;
using inpaint::ui::MainWindow;

namespace {
const QString kRef = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference");

using guitest::copyTree;
using guitest::ScriptedDialogs;
}  // namespace

class TestSdxlEditor : public QObject {
    Q_OBJECT
    QTemporaryDir m_models;
    MainWindow* m_w = nullptr;
    ScriptedDialogs* m_dialogs = nullptr;
    QImage m_image, m_mask;

    QComboBox* modelPicker() const
    {
        for (QComboBox* c : m_w->promptPanel()->findChildren<QComboBox*>())
            for (int i = 0; i < c->count(); ++i)
                if (c->itemData(i).toString().startsWith(m_models.path())) return c;
        return nullptr;
    }

private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("InpaintStudioTests"));
        QCoreApplication::setApplicationName(QStringLiteral("test_sdxl_editor"));
        QVERIFY(m_models.isValid());
        QVERIFY(copyTree(kRef + "/models/tiny-sd-inpaint", m_models.filePath("tiny-sd-inpaint")));
        QVERIFY(copyTree(kRef + "/models/tiny-sdxl-inpaint", m_models.filePath("tiny-sdxl-inpaint")));
        qputenv("INPAINT_MODELS_PATH", m_models.path().toUtf8());
        QString err;
        m_image = inpaint::imaging::loadImage(kRef + "/inputs/sdxl_image.png", &err);
        QVERIFY2(!m_image.isNull(), qPrintable(err));
        m_mask = inpaint::imaging::loadMask(kRef + "/inputs/sdxl_mask.png", m_image.size(), false, &err);
        QVERIFY2(!m_mask.isNull(), qPrintable(err));
        m_w = new MainWindow;
        auto dialogs = std::make_unique<ScriptedDialogs>();
        m_dialogs = dialogs.get();
        m_w->setDialogs(std::move(dialogs));
        QSignalSpy scanned(m_w, &MainWindow::modelsScanned);
        m_w->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_w));
        QTRY_VERIFY_WITH_TIMEOUT(scanned.size() == 1, 20000);
        QVERIFY(m_w->openImage(m_image, QStringLiteral("sdxl_image.png")));
        m_w->document()->addLayerWithPixels(QStringLiteral("mask"), m_mask);
    }

    void cleanupTestCase() { delete m_w; }

    void libraryShowsTheFamily()
    {
        const auto& models = m_w->models();
        QCOMPARE(models.size(), 2);
        QCOMPARE(models[0].name, QStringLiteral("tiny-sd-inpaint"));
        QCOMPARE(models[1].name, QStringLiteral("tiny-sdxl-inpaint"));
        QVERIFY2(models[1].ok(), qPrintable(models[1].error));
        QCOMPARE(models[1].kind, QStringLiteral("sdxl-inpaint"));
        QCOMPARE(models[1].family(), QStringLiteral("SDXL"));
        QVERIFY2(models[1].summary().startsWith("SDXL inpainting"), qPrintable(models[1].summary()));
        QCOMPARE(models[0].family(), QStringLiteral("SD 1.x"));
        QComboBox* picker = modelPicker();
        QVERIFY(picker);
        QCOMPARE(picker->itemText(0), QStringLiteral("tiny-sd-inpaint · SD 1.x"));
        QCOMPARE(picker->itemText(1), QStringLiteral("tiny-sdxl-inpaint · SDXL"));
    }

    void sdxlInpaintingRunsEndToEnd()
    {
        QComboBox* picker = modelPicker();
        QVERIFY(picker);
        picker->setCurrentIndex(1);
        QCOMPARE(m_w->promptPanel()->pipeline(), PipelineKind::InpaintUnet);
        inpaint::jobs::InpaintRequest r = m_w->promptPanel()->settings();
        QCOMPARE(r.modelPath, QDir(m_models.filePath("tiny-sdxl-inpaint")).absolutePath());
        r.prompt = QStringLiteral("a red fox sitting in tall grass, golden hour");
        r.steps = 4;
        r.seed = 4101;
        r.randomSeed = false;
        m_w->promptPanel()->setSettings(r);
        m_w->startInpaint();
        QTRY_VERIFY_WITH_TIMEOUT(m_w->controller()->hasPendingResult(), 120000);
        const auto* pending = m_w->controller()->pendingResult();
        QVERIFY2(pending->result.ok(), qPrintable(pending->result.error));
        QCOMPARE(pending->result.family, QStringLiteral("SDXL"));
        QVERIFY(pending->result.image != m_image);
        QVERIFY(m_w->controller()->applyPending());
        const QImage after = m_w->document()->image();
        // Outside the mask and its feather (the default blur of 4 px) the photo is untouched.
        int unmaskedChanged = 0;
        const QImage grown = inpaint::imaging::loadMask(kRef + "/inputs/sdxl_mask.png", m_image.size(), false, nullptr);
        for (int y = 0; y < m_image.height(); ++y)
            for (int x = 0; x < m_image.width(); ++x) {
                bool nearMask = false;
                for (int dy = -12; dy <= 12 && !nearMask; ++dy)
                    for (int dx = -12; dx <= 12 && !nearMask; ++dx) {
                        const int yy = y + dy, xx = x + dx;
                        nearMask = yy >= 0 && xx >= 0 && yy < m_image.height() && xx < m_image.width() &&
                                   grown.constScanLine(yy)[xx] > 0;
                    }
                if (!nearMask && after.pixel(x, y) != m_image.convertToFormat(after.format()).pixel(x, y)) ++unmaskedChanged;
            }
        QCOMPARE(unmaskedChanged, 0);
        QTemporaryDir out;
        const QString png = out.filePath("sdxl.png");
        m_dialogs->saveAnswers = {png};
        QVERIFY(m_w->saveAs());
        const QString text = inpaint::imaging::readImageParameters(png);
        QVERIFY2(text.contains("Model: tiny-sdxl-inpaint") && text.contains("Model family: SDXL") &&
                     text.contains("Pipeline: inpaint-unet"),
                 qPrintable(text));
    }

    void compareMixesSd15AndSdxl()
    {
        inpaint::ui::CompareWindow* c = m_w->showCompare();
        QVERIFY(c);
        inpaint::jobs::InpaintRequest shared;
        shared.prompt = QStringLiteral("a fox");
        shared.seed = 3;
        shared.steps = 2;
        c->setSharedSettings(shared);
        c->setSlotCount(2);
        c->setSlot(0, m_models.filePath("tiny-sd-inpaint"), PipelineKind::InpaintUnet, QStringLiteral("ddim"));
        c->setSlot(1, m_models.filePath("tiny-sdxl-inpaint"), PipelineKind::InpaintUnet, QStringLiteral("ddim"));
        // tiny-sd's VAE scales by 2, tiny-sdxl's by 4: different latent sizes for the same image.
        QVERIFY2(c->noiseNote().contains("different latent sizes") && c->noiseNote().contains("SD 1.x, SDXL"),
                 qPrintable(c->noiseNote()));
        QSignalSpy done(c, &inpaint::ui::CompareWindow::finished);
        QVERIFY(c->run());
        QVERIFY(done.wait(120000));
        for (int i = 0; i < 2; ++i) QVERIFY2(c->result(i).ok(), qPrintable(c->result(i).error));
        QCOMPARE(c->result(0).family, QStringLiteral("SD 1.x"));
        QCOMPARE(c->result(1).family, QStringLiteral("SDXL"));
        QVERIFY(c->result(0).image != c->result(1).image);
    }

    // The fast preset names the LCM-LoRA of the model's family.
    void fastPresetNamesTheFamilysLcmLora()
    {
        QComboBox* picker = modelPicker();
        QVERIFY(picker);
        picker->setCurrentIndex(1);
        const QString xl = m_w->promptPanel()->applyFastPreset();
        QVERIFY2(xl.contains("lcm-lora-sdxl.safetensors"), qPrintable(xl));
        picker->setCurrentIndex(0);
        const QString sd = m_w->promptPanel()->applyFastPreset();
        QVERIFY2(sd.contains("lcm-lora-sdv1-5.safetensors"), qPrintable(sd));
    }
};

QTEST_MAIN(TestSdxlEditor)
#include "test_sdxl_editor.moc"
