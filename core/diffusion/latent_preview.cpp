// Approximate latent -> RGB decoding. The 4x3 matrix is the least-squares fit of SD 1.x/2.x VAE
// decodes to their latents that the community uses for live previews (the same numbers appear
// in several open-source SD front ends); it gives the right colours and layout, not detail.
#include "core/diffusion/latent_preview.h"

#include "models/vae/autoencoder_tiny.h"

#include <torch/torch.h>

namespace inpaint::diffusion {

torch::Tensor approximateDecode(const torch::Tensor& latents, int64_t scale)
{
    static const float kFactors[4][3] = {
        {0.3512f, 0.2297f, 0.3227f},
        {0.3250f, 0.4974f, 0.2350f},
        {-0.2829f, 0.1762f, 0.2721f},
        {-0.2120f, -0.2616f, -0.7177f},
    };
    torch::NoGradGuard noGrad;
    torch::Tensor m = torch::from_blob(const_cast<float*>(&kFactors[0][0]), {4, 3}, torch::kFloat32);
    torch::Tensor z = latents.detach().to(torch::kCPU, torch::kFloat32);
    if (z.size(1) != 4) z = z.narrow(1, 0, std::min<int64_t>(4, z.size(1)));
    // [1, 4, h, w] -> [1, h, w, 4] x [4, 3] -> [1, 3, h, w]
    torch::Tensor rgb = torch::matmul(z.permute({0, 2, 3, 1}), m.narrow(0, 0, z.size(1))).permute({0, 3, 1, 2});
    rgb = ((rgb + 1.0) / 2.0).clamp(0, 1);
    if (scale > 1)
        rgb = torch::nn::functional::interpolate(
            rgb, torch::nn::functional::InterpolateFuncOptions()
                     .scale_factor(std::vector<double>{static_cast<double>(scale), static_cast<double>(scale)})
                     .mode(torch::kBilinear)
                     .align_corners(false));
    return rgb.contiguous();
}

torch::Tensor tinyDecode(models::AutoencoderTinyImpl& tiny, const torch::Tensor& latents, int64_t reduce)
{
    namespace F = torch::nn::functional;
    torch::NoGradGuard noGrad;
    const auto p = tiny.parameters();
    const auto opts = p.empty() ? latents.options() : p.front().options();
    torch::Tensor z = latents.detach();
    const int64_t h = z.size(2), w = z.size(3);
    if (reduce > 1 && (h > 1 || w > 1))
        z = F::avg_pool2d(z.to(torch::kFloat32), F::AvgPool2dFuncOptions(reduce).ceil_mode(true));
    torch::Tensor img = tiny.decode(z.to(opts) / tiny.config().scalingFactor);
    img = (img.to(torch::kFloat32) / 2 + 0.5).clamp(0, 1);
    const int64_t f = tiny.config().scaleFactor();
    if (img.size(2) != h * f || img.size(3) != w * f)
        img = F::interpolate(img, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{h * f, w * f})
                                      .mode(torch::kBilinear)
                                      .align_corners(false))
                  .clamp(0, 1);
    return img.to(torch::kCPU).contiguous();
}

}  // namespace inpaint::diffusion
