// 2-D convolution layer with the parameter names of torch::nn::Conv2d (weight, bias) whose CPU
// forward can run on oneDNN with weights reordered ("prepacked") once instead of on every call.
// LibTorch 1.13 reorders a dense weight into oneDNN's blocked layout inside every conv call; for
// the UNet's 1280-channel 3x3 convs at 8x8 or 16x16 latents that reorder (59 MB) costs 10-50x the
// arithmetic. Prepacked weights take oneDNN's NCHW-in / NCHW-out path.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <mutex>

namespace inpaint::models::nn {

enum class ConvBackend {
    Auto,    // Packed on CPU for fp32/bf16 when oneDNN is available, Dense otherwise
    Dense,   // at::conv2d with the dense weight (cuDNN on CUDA)
    Packed,  // oneDNN with the cached blocked weight (CPU only; falls back to Dense elsewhere)
};

void setConvBackend(ConvBackend backend);  // process-wide (tests, inpaint-bench)
ConvBackend convBackend();
// True when a conv on a CPU tensor of this dtype would take the packed path.
bool packedConvActive(c10::ScalarType dtype);

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
    torch::Tensor packedWeight();

    std::mutex m_mutex;
    torch::Tensor m_packed;
    const void* m_packedFrom = nullptr;
    int64_t m_packedVersion = -1;
    c10::ScalarType m_packedDtype = c10::ScalarType::Undefined;
};
TORCH_MODULE(Conv2d);

// invalidatePacked() on every Conv2d inside `module`.
void invalidatePackedConvs(torch::nn::Module& module);
// prepack() on every Conv2d inside `module`: a model's load pays the reorders (and the first touch
// of the packed copies' pages) once, instead of its first job's first step and decode.
void prepackConvs(torch::nn::Module& module);

}  // namespace inpaint::models::nn
