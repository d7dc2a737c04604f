// Where the files a job names live: LoRAs by name (A1111's <lora:NAME> lookup: a file whose stem
// is NAME anywhere under the LoRA folders), VAEs by name, and the folders searched (those given,
// then loras/, embeddings/ or vae/ beside the model). Torch-free: the CLI, the editor and the
// backend share it.
#pragma once

#include "core/jobs/inpaint_request.h"

#include <QString>
#include <QStringList>

namespace inpaint::jobs {

// `dirs`, then <folder of the model>/<sub> when it exists.
QStringList searchFolders(const QStringList& dirs, const QString& modelPath, const QString& sub);

// The LoRA file whose stem is `name` under `folders` (recursively). Empty with *error naming the
// folders searched when there is none; `what` says who asked ("The prompt names <lora:x>").
QString findLora(const QString& name, const QStringList& folders, const QString& what, QString* error);

// True when `s` names a file by its name alone (no folder part, not an existing path).
bool isBareName(const QString& s);

// Replaces bare names in r.loras (recipe "Lora: name:w") and r.vaePath (recipe "VAE: file") by
// the files found in r.loraDirs / loras/ and vae/ beside the model (or the model's folder). False
// with *error naming what was not found and where it was looked for.
bool resolveNamedFiles(InpaintRequest* r, QString* error);

}  // namespace inpaint::jobs
