// Checkpoint comparison (see compare.h).
#include "core/jobs/compare.h"

#include "core/jobs/run_job.h"

#include <QFileInfo>

namespace inpaint::jobs {

bool parseSlotSpec(const QString& spec, const QStringList& schedulerNames, CompareSlot* out, QString* error)
{
    CompareSlot s;
    PipelineKind kind;
    if (parsePipelineName(spec, &kind) && isClassical(kind)) {
        s.pipeline = kind;
        *out = s;
        return true;
    }
    const QStringList parts = spec.split(QLatin1Char(':'));
    if (parts.isEmpty() || parts.first().isEmpty() || parts.size() > 3) {
        if (error) *error = QStringLiteral("slot '%1' must be MODEL_DIR[:pipeline[:scheduler]]").arg(spec);
        return false;
    }
    s.modelPath = parts[0];
    if (parts.size() > 1 && !parts[1].isEmpty()) {
        if (!parsePipelineName(parts[1], &s.pipeline) || isClassical(s.pipeline)) {
            if (error)
                *error = QStringLiteral("slot '%1': unknown pipeline '%2' (use auto, blend or inpaint-unet)").arg(spec, parts[1]);
            return false;
        }
    }
    if (parts.size() > 2 && !parts[2].isEmpty()) {
        if (!schedulerNames.contains(parts[2])) {
            if (error)
                *error = QStringLiteral("slot '%1': unknown scheduler '%2' (use %3)")
                             .arg(spec, parts[2], schedulerNames.join(QStringLiteral(", ")));
            return false;
        }
        s.scheduler = parts[2];
    }
    *out = s;
    return true;
}

InpaintRequest slotRequest(const InpaintRequest& shared, const CompareSlot& slot)
{
    InpaintRequest r = shared;
    r.modelPath = slot.modelPath;
    r.pipeline = slot.pipeline;
    if (!slot.scheduler.isEmpty()) r.scheduler = slot.scheduler;
    if (slot.steps) r.steps = *slot.steps;
    if (slot.guidance) r.guidance = *slot.guidance;
    if (slot.strength) r.strength = *slot.strength;
    if (isClassical(r.pipeline)) r.modelPath.clear();
    r.sharedNoise = true;  // every slot of one latent size starts from the same noise
    return r;
}

QString slotLabel(const CompareSlot& slot, const InpaintRequest& r, const InpaintResult& result)
{
    QStringList parts;
    if (isClassical(r.pipeline)) {
        parts << pipelineName(r.pipeline);
    } else {
        parts << QFileInfo(slot.modelPath).fileName() << pipelineName(r.pipeline) << r.scheduler;
        if (r.pipeline != PipelineKind::InpaintUnet && r.maskedContent != MaskedContent::Original) parts << name(r.maskedContent);
    }
    if (result.ok() && !isClassical(r.pipeline) && r.steps > 0)
        parts << QStringLiteral("%1 s/step").arg(result.seconds / r.steps, 0, 'f', 2);
    else if (result.ok())
        parts << QStringLiteral("%1 s").arg(result.seconds, 0, 'f', 2);
    else if (result.status == JobStatus::Canceled)
        parts << QStringLiteral("cancelled");
    else
        parts << QStringLiteral("failed");
    return parts.join(QStringLiteral(" · "));
}

QList<InpaintResult> runCompare(const InpaintRequest& shared, const QList<CompareSlot>& slotList, const BackendFactory& factory,
                                const SlotStepSink& onStep, const std::atomic<bool>& cancel)
{
    InpaintRequest base = shared;
    base.resolveSeed();  // one seed for every slot
    QList<InpaintResult> out;
    for (int i = 0; i < slotList.size(); ++i) {
        InpaintResult r = runJob(slotRequest(base, slotList[i]), factory,
                                 [&](const StepReport& s) { if (onStep) onStep(i, s); }, cancel);
        r.jobId = quint64(i + 1);
        out << r;
    }
    return out;
}

}  // namespace inpaint::jobs
