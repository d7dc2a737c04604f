// Analytic multiply-add counts of the UNet and VAE decoder forward passes (2 FLOPs per MAC), so
// inpaint-bench can print the throughput it achieves next to the GEMM / conv peak it measures.
// Counts convolutions, linear layers and attention matmuls; norms and element-wise ops are
// memory-bound and left out.
#pragma once

#include "models/unet/unet_config.h"
#include "models/vae/vae_config.h"

namespace inpaint::bench {

double unetFlops(const models::UNet2DConditionConfig& c, int64_t batch, int64_t h, int64_t w, int64_t contextLen);
double vaeDecodeFlops(const models::AutoencoderKLConfig& c, int64_t h, int64_t w);

}  // namespace inpaint::bench
