// The diffusion backend's model cache: loading reports its stages before the first step, a
// cached model is not loaded again, and the byte budget decides how many models stay (the newest
// always does). Runs the real backend on the reference models.
#include "core/imaging/image_io.h"
#include <torch/torch.h>

#include "core/diffusion/pipeline.h"
#include "core/diffusion/sd_model.h"
#include "core/jobs/diffusion_backend.h"
#include "models/errors.h"
#include "models/nn/cancel.h"
#include "core/jobs/model_cache.h"
#include "core/jobs/run_job.h"

#include <QTest>

using namespace inpaint::jobs;

namespace {
const QString kRef = QStringLiteral(INPAINT_TEST_DATA_DIR "/reference");
}

class TestModelCache : public QObject {
    Q_OBJECT
    InpaintRequest m_req;

    struct Run {
        InpaintResult result;
        QStringList statuses;
        int steps = 0;
    };
    Run run(const std::shared_ptr<ModelCache>& cache, const QString& model)
    {
        InpaintRequest r = m_req;
        r.modelPath = kRef + "/models/" + model;
        Run out;
        const std::atomic<bool> cancel{false};
        const BackendFactory factory = [cache](const InpaintRequest&, QString*) {
            return std::make_unique<DiffusionBackend>(cache);
        };
        out.result = runJob(r, factory, [&](const StepReport& s) {
            if (!s.status.isEmpty()) {
                QCOMPARE(out.steps, 0);  // stages come before the steps
                out.statuses << s.status;
            } else {
                ++out.steps;
            }
        }, cancel);
        return out;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString err;
        m_req.image = inpaint::imaging::loadImage(kRef + "/inputs/image.png", &err);
        m_req.mask = inpaint::imaging::loadMask(kRef + "/inputs/mask.png", m_req.image.size(), false, &err);
        QVERIFY(!m_req.image.isNull() && !m_req.mask.isNull());
        m_req.pipeline = PipelineKind::Auto;
        m_req.steps = 2;
        m_req.scheduler = QStringLiteral("ddim");
        m_req.previewMode = PreviewMode::None;
    }

    void loadsOnceAndReportsStages()
    {
        auto cache = std::make_shared<ModelCache>(qint64(1) << 40);
        const Run first = run(cache, "tiny-sd");
        QVERIFY2(first.result.ok(), qPrintable(first.result.error));
        QVERIFY(first.statuses.size() >= 3);
        QVERIFY2(first.statuses.first().startsWith("Loading tiny-sd:"), qPrintable(first.statuses.first()));
        QVERIFY(first.statuses.join(' ').contains("unet"));
        QCOMPARE(first.steps, 2);
        QCOMPARE(cache->size(), 1);
        const qint64 used = cache->usedBytes();
        QVERIFY(used > 5'000'000 && used < 20'000'000);  // ~9.8 MB of fp32 weights

        const Run again = run(cache, "tiny-sd");
        QVERIFY(again.statuses.isEmpty());  // cached: no load
        QCOMPARE(again.result.image, first.result.image);
        QCOMPARE(cache->usedBytes(), used);

        QVERIFY(run(cache, "tiny-sd-inpaint").result.ok());
        QCOMPARE(cache->size(), 2);  // both fit the budget
    }

    void cancelDuringTheModelLoad()
    {
        // The flag is raised at the first load stage: the load is abandoned (nothing cached) and
        // the job ends Canceled without running a step.
        auto cache = std::make_shared<ModelCache>(qint64(1) << 40);
        const BackendFactory factory = [cache](const InpaintRequest&, QString*) { return std::make_unique<DiffusionBackend>(cache); };
        InpaintRequest r = m_req;
        r.modelPath = kRef + "/models/tiny-sd";
        std::atomic<bool> cancel{false};
        int stages = 0, steps = 0;
        const InpaintResult res = runJob(r, factory, [&](const StepReport& s) {
            if (!s.status.isEmpty()) {
                ++stages;
                cancel = true;
            } else {
                ++steps;
            }
        }, cancel);
        QCOMPARE(res.status, JobStatus::Canceled);
        QCOMPARE(stages, 1);
        QCOMPARE(steps, 0);
        QCOMPARE(cache->size(), 0);
    }

    void cancelInsideTheNetworks()
    {
        // With the flag already raised, a VAE decode (ResNet blocks) unwinds with models::Cancelled
        // at its first block instead of finishing; without a scope it runs.
        ModelCache cache(qint64(1) << 40);
        inpaint::diffusion::ModelLoadOptions o;
        auto model = cache.get((kRef + "/models/tiny-sd").toStdString(), o, {});
        c10::InferenceMode guard;
        const torch::Tensor latents = torch::zeros({1, model->latentChannels(), 8, 8});
        QVERIFY(inpaint::diffusion::decodeLatents(*model, latents).defined());
        const std::atomic<bool> raised{true};
        bool cancelled = false;
        try {
            const inpaint::models::CancelScope scope(&raised);
            (void)inpaint::diffusion::decodeLatents(*model, latents);
        } catch (const inpaint::models::Cancelled&) {
            cancelled = true;
        }
        QVERIFY(cancelled);
        QVERIFY(!inpaint::models::cancelRequested());  // the scope is gone with the exception
    }

    void budgetKeepsOnlyWhatFits()
    {
        auto cache = std::make_shared<ModelCache>(qint64(1));  // nothing fits: only the newest stays
        QVERIFY(run(cache, "tiny-sd").result.ok());
        QCOMPARE(cache->size(), 1);
        QVERIFY(run(cache, "tiny-sd-inpaint").result.ok());
        QCOMPARE(cache->size(), 1);
        const Run reloaded = run(cache, "tiny-sd");
        QVERIFY(!reloaded.statuses.isEmpty());  // it had been dropped, so it loads again
    }
};

QTEST_GUILESS_MAIN(TestModelCache)
#include "test_model_cache.moc"
