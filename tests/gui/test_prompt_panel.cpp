// PromptPanel: settings() has no side effects (a random seed is asked for, not drawn), every 64-bit
// seed survives setSettings()/settings() (a spin box stopped at 2^31 - 1 and silently changed
// restored recipes), and the boxes use the ranges of jobs::limits.
#include "core/jobs/inpaint_request.h"
#include "ui/prompt_panel.h"

#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>
#include <QTest>

using namespace inpaint::jobs;
using inpaint::ui::PromptPanel;

class TestPromptPanel : public QObject {
    Q_OBJECT
private slots:
    void settingsHasNoSideEffects()
    {
        PromptPanel p;
        auto* seedBox = p.findChild<QLineEdit*>(QStringLiteral("seed"));
        QVERIFY(seedBox);
        const QString before = seedBox->text();
        const InpaintRequest a = p.settings();
        const InpaintRequest b = p.settings();
        QVERIFY(a.randomSeed);  // Random is checked by default: the queue draws the seed at submit
        QCOMPARE(a.seed, b.seed);
        QCOMPARE(seedBox->text(), before);
        p.showSeedUsed(987654321);
        QCOMPARE(p.settings().seed, quint64(987654321));
        QVERIFY(p.settings().randomSeed);
    }

    void sixtyFourBitSeedsSurvive()
    {
        PromptPanel p;
        for (quint64 seed : {quint64(9223372036854775807ULL), quint64(18446744073709551615ULL), quint64(2147483648ULL)}) {
            InpaintRequest r = p.settings();
            r.seed = seed;
            r.randomSeed = false;
            p.setSettings(r);
            QCOMPARE(p.settings().seed, seed);
            QVERIFY(!p.settings().randomSeed);
        }
    }

    // Fast: LCM, 4 steps, guidance 1. An ordinary model without an LCM-LoRA gets a note saying
    // it needs one; with one in the LoRA folders it is added; an LCM model runs as is.
    void fastPresetNamesWhatTheModelNeeds()
    {
        PromptPanel p;
        p.setModels({{QStringLiteral("sd15"), QStringLiteral("/m/sd15"), {}, {}, false, QStringLiteral("4ch/8x")},
                     {QStringLiteral("dreamshaper-lcm"), QStringLiteral("/m/ds-lcm"), {}, {}, false, QStringLiteral("4ch/8x")}});
        p.setPipeline(PipelineKind::Blend);
        auto* model = p.findChild<QComboBox*>(QStringLiteral("model"));
        QVERIFY(model);
        model->setCurrentIndex(model->findData(QStringLiteral("/m/sd15")));
        QString note = p.applyFastPreset();
        InpaintRequest r = p.settings();
        QCOMPARE(r.scheduler, QStringLiteral("lcm"));
        QCOMPARE(r.steps, 4);
        QCOMPARE(r.guidance, 1.0);
        QVERIFY(r.loras.isEmpty());
        QVERIFY2(note.contains("not an LCM model") && note.contains("LCM-LoRA"), qPrintable(note));
        QCOMPARE(p.fastNote(), note);

        p.setAddOns({QStringLiteral("/l/detail.safetensors"), QStringLiteral("/l/lcm-lora-sdv1-5.safetensors")}, {});
        note = p.applyFastPreset();
        r = p.settings();
        QCOMPARE(r.loras.size(), 1);
        QCOMPARE(r.loras[0].file, QStringLiteral("/l/lcm-lora-sdv1-5.safetensors"));
        QCOMPARE(r.loras[0].weight, 1.0);
        QVERIFY2(note.contains("lcm-lora-sdv1-5"), qPrintable(note));
        QCOMPARE(p.applyFastPreset(), note);  // again: the LoRA is not added twice
        QCOMPARE(p.settings().loras.size(), 1);

        model->setCurrentIndex(model->findData(QStringLiteral("/m/ds-lcm")));
        QVERIFY(p.applyFastPreset().contains("is an LCM model"));
        // Another scheduler: the note goes away.
        auto* scheduler = p.findChild<QComboBox*>(QStringLiteral("scheduler"));
        QVERIFY(scheduler);
        scheduler->setCurrentIndex(scheduler->findData(QStringLiteral("euler")));
        QVERIFY(p.fastNote().isEmpty());
    }

    void rangesComeFromTheLimits()
    {
        PromptPanel p;
        auto* steps = p.findChild<QSpinBox*>(QStringLiteral("steps"));
        QVERIFY(steps);
        QCOMPARE(steps->minimum(), limits::kStepsMin);
        QCOMPARE(steps->maximum(), limits::kStepsMax);
        InpaintRequest r = p.settings();
        r.steps = 1000;
        r.guidance = 30;
        r.maskGrow = -256;
        r.regionPadding = 1024;
        p.setSettings(r);
        const InpaintRequest back = p.settings();
        QCOMPARE(back.steps, 1000);
        QCOMPARE(back.guidance, 30.0);
        QCOMPARE(back.maskGrow, -256);
        QCOMPARE(back.regionPadding, 1024);
        QVERIFY(back.validate(false).isEmpty() || back.validate(false).first().key == QStringLiteral("model"));
    }
};

QTEST_MAIN(TestPromptPanel)
#include "test_prompt_panel.moc"
