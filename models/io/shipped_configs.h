// The full-size Stable Diffusion configs compiled into the engine (resources/configs/, verbatim
// diffusers files): "stable-diffusion-v1-5/unet/config.json" -> its text.
#pragma once

#include <map>
#include <string>

namespace inpaint::models {

const std::map<std::string, std::string>& shippedConfigFiles();

}  // namespace inpaint::models
