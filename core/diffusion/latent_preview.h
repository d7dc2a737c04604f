// Cheap previews of SD latents: a fixed linear map from the 4 latent channels to RGB (the
// "approximate" decoder; nearly free next to a UNet step), and the full VAE decode elsewhere
// (pipeline.h decodeLatents).
#pragma once

#include <torch/types.h>

namespace inpaint::models {
class AutoencoderTinyImpl;
}

namespace inpaint::diffusion {

// latents [1, 4, h, w] (latent space, as the pipeline holds them) -> [1, 3, h*scale, w*scale]
// float32 CPU in [0, 1], bilinearly upsampled by `scale` (the VAE scale factor).
torch::Tensor approximateDecode(const torch::Tensor& latents, int64_t scale);

// The tiny VAE's (TAESD's) decode of latents [B, 4, h, w] (latent space, unscaled as the pipeline
// holds them) -> [B, 3, h*f, w*f] float32 CPU in [0, 1], as VaeImageProcessor maps [-1, 1].
// reduce > 1 decodes the latents average-pooled by that factor (a partial last window averages
// what it covers) and upsamples the image bilinearly back to h*f x w*f: reduce 2 costs a quarter
// of the full decode, for step previews on the CPU, where the full one costs ~9 % of a bf16 step.
torch::Tensor tinyDecode(models::AutoencoderTinyImpl& tiny, const torch::Tensor& latents, int64_t reduce = 1);

}  // namespace inpaint::diffusion
