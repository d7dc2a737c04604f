// The recipe of a result as the `parameters` text that AUTOMATIC1111's web UI writes into PNGs
// (and that other Stable Diffusion tools read):
//   <prompt>
//   Negative prompt: <negative prompt>
//   Steps: 30, Sampler: Euler a, CFG scale: 7.5, Seed: 1234, Size: 512x512, Model: name, ...
// Keys this editor adds use the same "Key: value" form (Pipeline, Blend timing); values with a
// comma or colon are quoted as A1111 does.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QList>
#include <QPair>
#include <QSize>

namespace inpaint::jobs {

// A1111's sampler name for a scheduler name ("euler-a" -> "Euler a"); "" for "default".
QString samplerLabel(const QString& scheduler);

// `size` is the image's size, `modelName` what the Model key shows (the folder's name). `extra`
// keys go at the end of the settings line (e.g. a comparison sheet's slots).
// sha256 of a file as lower-case hex ("" if it cannot be read); remembered per path while its
// size and modification time stay the same.
QString fileSha256(const QString& path);

QString formatParameters(const InpaintRequest& r, QSize size, const QString& modelName,
                         const QList<QPair<QString, QString>>& extra = {});

// Reads a parameters text back into `out` (only the recipe fields; image, mask and model path are
// left as they are). LoRAs ("Lora: name:weight, ...") and the VAE ("VAE: file") come back as bare
// names for resolveNamedFiles() (model_files.h). `modelName` and `modelHash` receive the Model and
// Model hash values. False when the text has no settings line (then nothing is changed).
bool parseParameters(const QString& text, InpaintRequest* out, QString* modelName = nullptr,
                     QString* modelHash = nullptr);

}  // namespace inpaint::jobs
