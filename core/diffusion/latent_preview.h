// Cheap previews of SD latents: a fixed linear map from the 4 latent channels to RGB (the
// "approximate" decoder; nearly free next to a UNet step), and the full VAE decode elsewhere
// (pipeline.h decodeLatents).
#pragma once

#include <torch/types.h>

namespace inpaint::diffusion {

// latents [1, 4, h, w] (latent space, as the pipeline holds them) -> [1, 3, h*scale, w*scale]
// float32 CPU in [0, 1], bilinearly upsampled by `scale` (the VAE scale factor).
torch::Tensor approximateDecode(const torch::Tensor& latents, int64_t scale);

}  // namespace inpaint::diffusion
