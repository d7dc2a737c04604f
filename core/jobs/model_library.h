// The model library: finds Stable Diffusion models (diffusers folders and single-file
// checkpoints) in the person's models folders and describes each one from its configs and
// safetensors headers / pickles (kind, size, dtype) without loading any weights. A folder that cannot be used is listed with the reason.
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace inpaint::jobs {

struct ModelInfo {
    QString path;             // the diffusers folder (has model_index.json), or the single file
    QString name;             // the folder's name, or the file's name
    bool singleFile = false;  // a .safetensors / .ckpt checkpoint in the LDM layout
    QString kind;             // sd1, sd2, sd1-inpaint, sd2-inpaint, sdxl, sdxl-inpaint, unknown
    QString dtype;            // fp32, fp16, bf16 (of the UNet's weights), or mixed
    QString defaultScheduler; // scheduler_config.json _class_name
    QString predictionType;   // epsilon or v_prediction
    int unetInChannels = 0;   // 4 (ordinary) or 9 (inpainting)
    QString latentShape;      // "4ch/8x": the VAE's latent channels and scale factor
    int nativeSize = 0;       // the UNet's sample_size x the VAE's scale (512, 768, 1024); 0: unknown
    qint64 bytes = 0;         // all weight files of the used components
    QString error;            // why it cannot be used; empty when it can

    bool ok() const { return error.isEmpty(); }
    bool inpainting() const { return unetInChannels == 9; }
    QString summary() const;  // "SD 1.x inpainting · fp16 · 2.1 GB" or the error
    QString family() const;   // "SD 1.x", "SD 2.x", "SDXL"; empty when the kind is unknown
};

// The family of the model at `path` (a diffusers folder or a single file) from its configs or
// keys, without reading weights: "SD 1.x", "SD 2.x", "SDXL", or empty when it cannot tell.
// Remembered per path and modification time; thread-safe; never throws.
QString modelFamily(const QString& path);

// Describes one folder; never throws (problems go to ModelInfo::error).
ModelInfo describeModel(const QString& folder);

// A single-file checkpoint; nullopt when the file holds no UNet (a VAE, LoRA or embedding file).
// Never throws.
std::optional<ModelInfo> describeSingleFile(const QString& file);

// Every model in `folders`: a folder that is itself a model, each direct subfolder that has a
// model_index.json, and the .safetensors / .ckpt checkpoints in the folder and in its other direct
// subfolders (not loras/, embeddings/, vae/ and the like), sorted by name. Missing folders are
// skipped.
QList<ModelInfo> scanModelFolders(const QStringList& folders);

// The add-on files beside the models: LoRAs anywhere under <folder>/loras (or lora/, Lora/,
// LyCORIS/), VAEs in <folder>/vae (files, and diffusers vae folders with a config.json), and the
// embeddings and LoRA folders that exist (for <lora:NAME> tags and textual-inversion triggers).
// Sorted by file name; listing only, nothing is opened.
struct AddOnFiles {
    QStringList loras;          // files
    QStringList vaes;           // files or folders
    QStringList tinyVaes;       // AutoencoderTiny (TAESD) folders: in vae/ or directly in a models folder
    QStringList loraFolders;    // existing <folder>/loras-like folders
    QStringList embeddingFolders;
};
AddOnFiles scanAddOnFiles(const QStringList& folders);

// $XDG_DATA_HOME/inpaint-studio/models (~/.local/share/inpaint-studio/models).
QString defaultModelsFolder();

}  // namespace inpaint::jobs
