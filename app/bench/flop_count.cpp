// FLOP estimates of the UNet and VAE decoder (see flop_count.h).
#include "flop_count.h"

namespace inpaint::bench {

namespace {

double conv(int64_t h, int64_t w, int64_t in, int64_t out, int64_t k)
{
    return 2.0 * h * w * in * out * k * k;
}

double resnet(int64_t h, int64_t w, int64_t in, int64_t out)
{
    return conv(h, w, in, out, 3) + conv(h, w, out, out, 3) + (in != out ? conv(h, w, in, out, 1) : 0.0);
}

// Transformer2DModel with `layers` BasicTransformerBlocks on C channels, N = h*w tokens.
double transformer(int64_t h, int64_t w, int64_t C, int64_t layers, int64_t ctxLen, int64_t ctxDim)
{
    const double N = static_cast<double>(h) * w;
    const double M = static_cast<double>(ctxLen);
    double block = 0;
    block += 2.0 * N * C * C * 4 + 2.0 * N * N * C * 2;                          // self-attn: qkv, out, QK^T, PV
    block += 2.0 * N * C * C * 2 + 2.0 * M * ctxDim * C * 2 + 2.0 * N * M * C * 2;  // cross-attn
    block += 2.0 * N * C * (8.0 * C) + 2.0 * N * (4.0 * C) * C;                  // GEGLU feed-forward
    return 2.0 * 2.0 * N * C * C + layers * block;                                // proj_in/out + blocks
}

}  // namespace

double unetFlops(const models::UNet2DConditionConfig& c, int64_t batch, int64_t h, int64_t w, int64_t ctxLen)
{
    const size_t n = c.blockOutChannels.size();
    double f = conv(h, w, c.inChannels, c.blockOutChannels[0], 3);
    std::vector<int64_t> skipCh{c.blockOutChannels[0]};
    std::vector<std::pair<int64_t, int64_t>> sizes{{h, w}};
    int64_t ch = c.blockOutChannels[0], hh = h, ww = w;
    for (size_t i = 0; i < n; ++i) {
        const int64_t out = c.blockOutChannels[i];
        for (int64_t l = 0; l < c.layersPerBlock[i]; ++l) {
            f += resnet(hh, ww, ch, out);
            ch = out;
            if (c.downBlockTypes[i] == "CrossAttnDownBlock2D")
                f += transformer(hh, ww, ch, c.transformerLayersPerBlock[i], ctxLen, c.crossAttentionDim[i]);
            skipCh.push_back(ch);
        }
        if (i + 1 < n) {
            hh = (hh + 1) / 2;
            ww = (ww + 1) / 2;
            f += conv(hh, ww, ch, ch, 3);
            skipCh.push_back(ch);
        }
    }
    f += 2 * resnet(hh, ww, ch, ch) + transformer(hh, ww, ch, c.transformerLayersPerBlock.back(), ctxLen,
                                                  c.crossAttentionDim.back());
    for (size_t i = 0; i < n; ++i) {
        const size_t bi = n - 1 - i;
        const int64_t out = c.blockOutChannels[bi];
        for (int64_t l = 0; l < c.layersPerBlock[bi] + 1; ++l) {
            const int64_t skip = skipCh.back();
            skipCh.pop_back();
            f += resnet(hh, ww, ch + skip, out);
            ch = out;
            if (c.upBlockTypes[i] == "CrossAttnUpBlock2D")
                f += transformer(hh, ww, ch, c.transformerLayersPerBlock[bi], ctxLen, c.crossAttentionDim[bi]);
        }
        if (i + 1 < n) {
            hh *= 2;
            ww *= 2;
            f += conv(hh, ww, ch, ch, 3);
        }
    }
    f += conv(h, w, ch, c.outChannels, 3);
    return f * batch;
}

double vaeDecodeFlops(const models::AutoencoderKLConfig& c, int64_t h, int64_t w)
{
    const auto& bc = c.blockOutChannels;
    double f = conv(h, w, c.latentChannels, c.latentChannels, 1) + conv(h, w, c.latentChannels, bc.back(), 3);
    int64_t ch = bc.back();
    const double N = static_cast<double>(h) * w;
    f += 2 * resnet(h, w, ch, ch) + 2.0 * N * ch * ch * 4 + 2.0 * N * N * ch * 2;  // mid block with attention
    int64_t hh = h, ww = w;
    for (size_t i = 0; i < bc.size(); ++i) {
        const int64_t out = bc[bc.size() - 1 - i];
        for (int64_t l = 0; l < c.layersPerBlock + 1; ++l) {
            f += resnet(hh, ww, ch, out);
            ch = out;
        }
        if (i + 1 < bc.size()) {
            hh *= 2;
            ww *= 2;
            f += conv(hh, ww, ch, ch, 3);
        }
    }
    return f + conv(hh, ww, ch, c.outChannels, 3);
}

}  // namespace inpaint::bench
