// Comparing checkpoints: one shared request (image, mask, prompts, seed, settings) run through 2 to
// 4 slots, each a model + pipeline (+ optional scheduler, steps, guidance, strength), one after
// another through the same backend factory (so a model shared by two slots loads once). Every slot
// draws from the same seed; slots whose pipeline draws in the same order start from identical
// noise, and a slot's result is exactly what a single run with its settings and seed gives.
#pragma once

#include "core/jobs/backend.h"

#include <QList>
#include <QStringList>

#include <optional>

namespace inpaint::jobs {

struct CompareSlot {
    QString modelPath;                  // empty for the classical pipelines
    PipelineKind pipeline = PipelineKind::Auto;
    QString scheduler;                  // empty: the shared request's
    std::optional<int> steps;
    std::optional<double> guidance;
    std::optional<double> strength;
    // Masked content "fill" for a blend slot (the object-removal preset's second blend slot). The
    // compare window's session applies it (ui/compare_session.h); slotRequest() leaves it alone.
    bool fill = false;
};

// "MODEL_DIR[:pipeline[:scheduler]]", or a classical pipeline name alone ("classical-telea").
// False with *error set (naming the spec) when the pipeline or scheduler name is unknown.
bool parseSlotSpec(const QString& spec, const QStringList& schedulerNames, CompareSlot* out, QString* error);

// The request a slot runs: the shared one with the slot's model, pipeline and overrides.
InpaintRequest slotRequest(const InpaintRequest& shared, const CompareSlot& slot);

// "tiny-sd · blend · euler-a · 0.42 s/step" (what the sheet and the views show).
QString slotLabel(const CompareSlot& slot, const InpaintRequest& request, const InpaintResult& result);

using SlotStepSink = std::function<void(int slot, const StepReport& report)>;

// Runs every slot in order; a slot that fails keeps its error and the others still run. `cancel`
// stops the current slot and skips the rest (their results are Canceled).
QList<InpaintResult> runCompare(const InpaintRequest& shared, const QList<CompareSlot>& slotList,
                                const BackendFactory& factory, const SlotStepSink& onStep,
                                const std::atomic<bool>& cancel);

}  // namespace inpaint::jobs
