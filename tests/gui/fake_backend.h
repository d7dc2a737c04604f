// A fake job backend for the GUI tests (run through the real runJob): records the thread it
// runs on, reports steps, honours cancel between steps, and "inpaints" by inverting the masked pixels (so the
// expected result is known exactly). It goes through the real JobQueue/worker thread.
#pragma once

#include "core/jobs/backend.h"
#include "models/errors.h"

#include <stdexcept>

#include <QThread>
#include <atomic>
#include <memory>

struct FakeBackendState {
    std::atomic<QThread*> thread{nullptr};
    std::atomic<int> created{0};
    std::atomic<int> runs{0};
    int steps = 3;
    int stepMs = 5;
    bool fail = false;
};

class FakeBackend final : public inpaint::jobs::Backend {
public:
    explicit FakeBackend(std::shared_ptr<FakeBackendState> s) : m_s(std::move(s)) {}
    inpaint::jobs::WorkNeeds prepare(const inpaint::jobs::InpaintRequest&, const inpaint::jobs::StatusSink&,
                                     const std::atomic<bool>&) override {
        inpaint::jobs::WorkNeeds n;
        n.keepFormat = true;  // the document's pixels, whole image: the expected result is exact
        n.multiple = 1;
        return n;
    }
    QImage run(const inpaint::jobs::InpaintRequest&, const QImage& image, const QImage& mask,
               const inpaint::jobs::WorkPreviewSink& onStep, const std::atomic<bool>& cancel) override {
        m_s->thread = QThread::currentThread();
        ++m_s->runs;
        for (int i = 1; i <= m_s->steps; ++i) {
            if (cancel.load()) throw inpaint::models::Cancelled();
            QThread::msleep(m_s->stepMs);
            onStep(i, m_s->steps, QImage());
        }
        if (m_s->fail) throw std::runtime_error("The fake engine failed on purpose.");
        return invertMasked(image, mask);
    }

    // The expected result: RGB inverted where mask > 0, everything else untouched.
    static QImage invertMasked(const QImage& image, const QImage& mask) {
        QImage out = image.copy();
        for (int y = 0; y < out.height(); ++y)
            for (int x = 0; x < out.width(); ++x)
                if (mask.constScanLine(y)[x] > 0) {
                    const QColor c = out.pixelColor(x, y);
                    out.setPixelColor(x, y, QColor(255 - c.red(), 255 - c.green(), 255 - c.blue(), c.alpha()));
                }
        return out;
    }

private:
    std::shared_ptr<FakeBackendState> m_s;
};

inline inpaint::jobs::BackendFactory fakeFactory(std::shared_ptr<FakeBackendState> s) {
    return [s](const inpaint::jobs::InpaintRequest&, QString*) -> std::unique_ptr<inpaint::jobs::Backend> {
        ++s->created;
        return std::make_unique<FakeBackend>(s);
    };
}
