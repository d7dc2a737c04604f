// RecipeOffer (see recipe_offer.h).
#include "ui/recipe_offer.h"

#include "core/jobs/recipe.h"
#include "ui/dialogs.h"
#include "ui/model_catalogue.h"
#include "ui/prompt_panel.h"

#include <QFileInfo>

namespace inpaint::ui {

RecipeOffer::RecipeOffer(PromptPanel* prompt, const ModelCatalogue* models, Dialogs* dialogs, QWidget* window,
                         QObject* parent)
    : QObject(parent), m_prompt(prompt), m_models(models), m_dialogs(dialogs), m_window(window) {}

QString RecipeOffer::text(const QSize& imageSize) const {
    if (!m_recipe) return {};
    QString model = m_models->nameOf(m_recipe->modelPath);
    if (model.isEmpty() && !m_recipe->modelPath.isEmpty()) model = QFileInfo(m_recipe->modelPath).fileName();
    return jobs::formatParameters(*m_recipe, imageSize, model);
}

void RecipeOffer::offer(const QString& text, const QString& fileName) {
    if (text.isEmpty()) return;
    jobs::InpaintRequest r = m_prompt->settings();
    QString model;
    if (!jobs::parseParameters(text, &r, &model)) return;
    // The one validation every front end uses: values outside the panel's ranges are named here
    // (the panel's boxes would otherwise clamp them without a word).
    QStringList outOfRange;
    for (const jobs::Violation& v : r.validate(false))
        if (v.key != QLatin1String("model")) outOfRange << v.text();
    const QString warning = outOfRange.isEmpty() ? QString()
                                                 : tr("\n\nThese values are outside what this editor allows and will be "
                                                      "clamped: %1.").arg(outOfRange.join(QStringLiteral("; ")));
    const auto answer = m_dialogs->ask(m_window, tr("Restore the recipe?"),
                                       tr("This image carries the settings that made it:\n\n%1\n\nLoad them into the "
                                          "prompt panel?%2").arg(text.left(600), warning),
                                       QMessageBox::Yes | QMessageBox::No, QMessageBox::Yes);
    if (answer != QMessageBox::Yes) return;
    if (const QString path = m_models->pathOf(model); !path.isEmpty()) r.modelPath = path;
    if (r.pipeline == jobs::PipelineKind::Auto) r.pipeline = jobs::PipelineKind::Blend;
    m_prompt->setSettings(r);
    emit statusMessage(tr("Recipe restored from %1").arg(fileName), 6000);
}

}  // namespace inpaint::ui
