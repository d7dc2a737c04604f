// 2-D convolution layer with the parameter names of torch::nn::Conv2d (weight, bias) whose CPU
// forward can run on oneDNN with weights reordered ("prepacked") once instead of on every call.
// LibTorch 1.13 reorders a dense weight into oneDNN's blocked layout inside every conv call; for
// the UNet's 1280-channel 3x3 convs at 8x8 or 16x16 latents that reorder (59 MB) costs 10-50x the
// arithmetic. A weight in channels-last memory format is packed into oneDNN's own convolution
// context (the mkldnn_prepacked::conv2d_prepack operator) and runs NHWC-in / NHWC-out, so
// channels-last activations stay channels-last with no reorder of input or output per call (nor of
// a 3x3 weight; see packedContext); a contiguous (NCHW) weight takes ATen's packed NCHW-in /
// NCHW-out path.
#pragma once

#include <ATen/core/ivalue.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <mutex>

namespace inpaint::models::nn {

enum class ConvBackend {
    Auto,    // Packed on CPU for bf16 when oneDNN is available, Dense for fp32 (conv.cpp) and elsewhere
    Dense,   // at::conv2d with the dense weight (cuDNN on CUDA)
    Packed,  // oneDNN with the cached blocked weight (CPU only; falls back to Dense elsewhere)
};

void setConvBackend(ConvBackend backend);  // process-wide (tests, inpaint-bench); INPAINT_CONV_PACK=0|1 sets Dense|Packed at start
ConvBackend convBackend();
// True when a conv on a CPU tensor of this dtype would take the packed path.
bool packedConvActive(c10::ScalarType dtype);
// True when this LibTorch registers oneDNN's channels-last convolution context
// (mkldnn_prepacked::conv2d_prepack / conv2d_run); without it channels-last weights use the NCHW path.
bool channelsLastPackAvailable();

struct Conv2dOptions {
    int64_t in = 0, out = 0, kernel = 3, stride = 1, padding = 0;
    bool bias = true;
};

class Conv2dImpl : public torch::nn::Module {
public:
    explicit Conv2dImpl(const Conv2dOptions& options);
    torch::Tensor forward(const torch::Tensor& x);
    // Drops the packed copy (weights changed in place, e.g. by a load).
    void invalidatePacked();
    // Packs the weight now where a forward would take the packed path (CPU, fp32/bf16).
    void prepack();

    Conv2dOptions options;
    torch::Tensor weight, bias;

private:
    // Which weight a packed copy was made from: its storage, version counter and dtype.
    struct PackKey {
        const void* from = nullptr;
        int64_t version = -1;
        c10::ScalarType dtype = c10::ScalarType::Undefined;
    };
    torch::Tensor packedWeight();
    // The oneDNN convolution context for a channels-last weight. A 3x3 kernel's packed layout is
    // what its primitive uses at any input size. For a 1x1 kernel oneDNN's brgconv_1x1 still
    // reorders the packed weight (0.5 ms for 2560->1280) in each call at 4x4/8x8 inputs, whatever
    // input size it was packed for: 14 small reorders, 3 ms of a 660 ms 32x32 UNet call.
    c10::IValue packedContext();
    // True when a forward on an input in this layout takes the convolution context: a channels-last
    // weight, or for a 1x1 kernel (whose two layouts are the same bytes) a channels-last input.
    bool contextFor(bool channelsLastInput) const;
    bool stale(const PackKey& key) const;
    PackKey keyOfWeight() const;

    std::mutex m_mutex;
    // Each is built only when the forward needs it; a 3x3 weight in one layout only ever builds one.
    torch::Tensor m_packed;
    PackKey m_packedKey;
    c10::IValue m_context;
    PackKey m_contextKey;
};
TORCH_MODULE(Conv2d);

// invalidatePacked() on every Conv2d inside `module`.
void invalidatePackedConvs(torch::nn::Module& module);
// prepack() on every Conv2d inside `module`: a model's load pays the reorders (and the first touch
// of the packed copies' pages) once, instead of its first job's first step and decode.
void prepackConvs(torch::nn::Module& module);

}  // namespace inpaint::models::nn
