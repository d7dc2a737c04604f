// ModelCatalogue: the diffusion models the editor knows. Its folders are QSettings
// "models/folders" (default: the XDG data folder) plus those in $INPAINT_MODELS_PATH
// (colon-separated); scanning runs off the UI thread, one scan at a time (a rescan asked for
// during a scan runs after it, with the newest folders). Widget-free.
#pragma once

#include "core/jobs/model_library.h"
#include "ui/prompt_panel.h"  // ModelEntry

#include <QList>
#include <QObject>
#include <QStringList>

template <typename T>
class QFutureWatcher;

namespace inpaint::ui {

class ModelCatalogue : public QObject {
    Q_OBJECT
public:
    explicit ModelCatalogue(QObject* parent = nullptr);

    QStringList folders() const;
    void setFolders(const QStringList& folders);  // remembers them and rescans
    void addFolder(const QString& dir);           // remembers it (once) and rescans
    void rescan();

    const QList<jobs::ModelInfo>& models() const { return m_models; }
    // LoRAs, VAEs, and the LoRA / embeddings folders beside the models (the newest scan).
    const jobs::AddOnFiles& addOns() const { return m_addOns; }
    QList<ModelEntry> entries() const;  // the models as the pickers list them
    int brokenCount() const;            // models that cannot be loaded
    // The model's display name for a path ("" when the path is not in the list).
    QString nameOf(const QString& path) const;
    // The path of the usable model with this name ("" when none).
    QString pathOf(const QString& name) const;

signals:
    void scanned();  // models() holds the newest scan

private:
    struct Scan {
        QList<jobs::ModelInfo> models;
        jobs::AddOnFiles addOns;
    };
    QList<jobs::ModelInfo> m_models;
    jobs::AddOnFiles m_addOns;
    QFutureWatcher<Scan>* m_scan = nullptr;
    bool m_rescanQueued = false;
};

}  // namespace inpaint::ui
