// Names of the pipelines as the CLI and the settings files spell them.
#include "core/jobs/inpaint_request.h"

namespace inpaint::jobs {

namespace {
struct NamedPipeline {
    PipelineKind kind;
    const char* name;
};
constexpr NamedPipeline kPipelines[] = {
    {PipelineKind::ClassicalTelea, "classical-telea"},
    {PipelineKind::ClassicalNS, "classical-ns"},
    {PipelineKind::Blend, "blend"},
    {PipelineKind::InpaintUnet, "inpaint-unet"},
    {PipelineKind::Auto, "auto"},
};
}  // namespace

QString pipelineName(PipelineKind k)
{
    for (const auto& p : kPipelines)
        if (p.kind == k) return QString::fromLatin1(p.name);
    return QStringLiteral("unknown");
}

bool parsePipelineName(const QString& s, PipelineKind* out)
{
    for (const auto& p : kPipelines) {
        if (s == QLatin1String(p.name)) {
            if (out) *out = p.kind;
            return true;
        }
    }
    return false;
}

bool isClassical(PipelineKind k)
{
    return k == PipelineKind::ClassicalTelea || k == PipelineKind::ClassicalNS;
}

}  // namespace inpaint::jobs
