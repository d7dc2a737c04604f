// The tiny reference UNet and VAE (tests/data/reference/models/<model>/{unet,vae}), loaded with
// their weights and in eval mode.
#pragma once

#include "models/io/safetensors.h"
#include "models/unet/unet_2d_condition.h"
#include "models/vae/autoencoder_kl.h"
#include "tests/common/reference.h"

#include <string>

namespace inpaint::test {

// <model>/<component>/config.json and diffusion_pytorch_model.safetensors.
template <typename Module, typename Config>
Module loadTinyComponent(const std::string& model, const std::string& component)
{
    const auto dir = modelDir(model) / component;
    Module m(Config::fromFile(dir / "config.json"));
    m->loadWeights(models::loadSafetensors(dir / "diffusion_pytorch_model.safetensors"), model + " " + component);
    m->eval();
    return m;
}

inline models::UNet2DConditionModel loadTinyUnet(const std::string& model)
{
    return loadTinyComponent<models::UNet2DConditionModel, models::UNet2DConditionConfig>(model, "unet");
}

inline models::AutoencoderKL loadTinyVae(const std::string& model)
{
    return loadTinyComponent<models::AutoencoderKL, models::AutoencoderKLConfig>(model, "vae");
}

}  // namespace inpaint::test
