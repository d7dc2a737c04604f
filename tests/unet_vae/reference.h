// Paths and loaders for the reference data under tests/data/reference (tiny diffusers models
// and goldens produced by diffusers 0.25.1; see tests/data/reference/INDEX.md).
#pragma once

#include "models/errors.h"
#include "models/io/json_config.h"
#include "models/io/safetensors.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

namespace inpaint::test {

inline std::filesystem::path referenceDir()
{
    const char* env = std::getenv("INPAINT_TEST_DATA_DIR");
    return std::filesystem::path(env && *env ? env : INPAINT_TEST_DATA_DIR) / "reference";
}

inline std::filesystem::path modelDir(const std::string& model)
{
    return referenceDir() / "models" / model;
}

inline models::UNet2DConditionModel loadTinyUnet(const std::string& model)
{
    const auto dir = modelDir(model) / "unet";
    models::UNet2DConditionModel unet(models::UNet2DConditionConfig::fromFile(dir / "config.json"));
    unet->loadWeights(models::loadSafetensors(dir / "diffusion_pytorch_model.safetensors"), model + " unet");
    unet->eval();
    return unet;
}

inline models::AutoencoderKL loadTinyVae(const std::string& model)
{
    const auto dir = modelDir(model) / "vae";
    models::AutoencoderKL vae(models::AutoencoderKLConfig::fromFile(dir / "config.json"));
    vae->loadWeights(models::loadSafetensors(dir / "diffusion_pytorch_model.safetensors"), model + " vae");
    vae->eval();
    return vae;
}

// Golden tensors of one section, e.g. "unet" -> golden/unet.safetensors.
inline std::map<std::string, torch::Tensor> loadGolden(const std::string& section)
{
    return models::loadSafetensors(referenceDir() / "golden" / (section + ".safetensors"));
}

inline nlohmann::json loadGoldenJson(const std::string& section)
{
    return models::readConfigJson(referenceDir() / "golden" / (section + ".json"));
}

}  // namespace inpaint::test
