// The model library: finds Stable Diffusion models (diffusers folders) in the person's models
// folders and describes each one from its configs and safetensors headers (kind, size, dtype)
// without loading any weights. A folder that cannot be used is listed with the reason.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace inpaint::jobs {

struct ModelInfo {
    QString path;             // the diffusers folder (has model_index.json)
    QString name;             // the folder's name
    QString kind;             // sd1, sd2, sd1-inpaint, sd2-inpaint, unknown
    QString dtype;            // fp32, fp16, bf16 (of the UNet's weights), or mixed
    QString defaultScheduler; // scheduler_config.json _class_name
    QString predictionType;   // epsilon or v_prediction
    int unetInChannels = 0;   // 4 (ordinary) or 9 (inpainting)
    QString latentShape;      // "4ch/8x": the VAE's latent channels and scale factor
    qint64 bytes = 0;         // all weight files of the used components
    QString error;            // why it cannot be used; empty when it can

    bool ok() const { return error.isEmpty(); }
    bool inpainting() const { return unetInChannels == 9; }
    QString summary() const;  // "SD 1.x inpainting · fp16 · 2.1 GB" or the error
};

// Describes one folder; never throws (problems go to ModelInfo::error).
ModelInfo describeModel(const QString& folder);

// Every model in `folders`: a folder that is itself a model, and each direct subfolder that has a
// model_index.json, sorted by name. Missing folders are skipped.
QList<ModelInfo> scanModelFolders(const QStringList& folders);

// $XDG_DATA_HOME/inpaint-studio/models (~/.local/share/inpaint-studio/models).
QString defaultModelsFolder();

}  // namespace inpaint::jobs
