// RecipeOffer: the recipe (A1111 "parameters" text) of an image. On open it parses the text the
// file carries, names the values outside the editor's limits, asks whether to load it and restores
// it into the prompt panel; for Save it holds the recipe of the last applied result and writes it
// as text. Questions go through Dialogs (parented to the window); status lines through statusMessage().
#pragma once

#include "core/jobs/backend.h"

#include <QObject>
#include <QSize>
#include <QString>
#include <optional>

class QWidget;

namespace inpaint::ui {

class Dialogs;
class ModelCatalogue;
class PromptPanel;

class RecipeOffer : public QObject {
    Q_OBJECT
public:
    RecipeOffer(PromptPanel* prompt, const ModelCatalogue* models, Dialogs* dialogs, QWidget* window,
                QObject* parent = nullptr);
    void setDialogs(Dialogs* dialogs) { m_dialogs = dialogs; }

    // The recipe of the last applied result, written into saved PNGs; cleared with a new image.
    void setRecipe(const jobs::InpaintRequest& recipe) { m_recipe = recipe; }
    void clear() { m_recipe.reset(); }
    const std::optional<jobs::InpaintRequest>& recipe() const { return m_recipe; }
    // The held recipe as "parameters" text for an image of this size; empty when none is held.
    QString text(const QSize& imageSize) const;

    // Offers the recipe an opened file carries (`text` empty or unparsable: nothing happens).
    void offer(const QString& text, const QString& fileName);

signals:
    void statusMessage(const QString& text, int timeoutMs);

private:
    PromptPanel* m_prompt;
    const ModelCatalogue* m_models;
    Dialogs* m_dialogs;
    QWidget* m_window;
    std::optional<jobs::InpaintRequest> m_recipe;
};

}  // namespace inpaint::ui
