// QImage <-> tensor (see tensor_image.h).
#include "core/jobs/tensor_image.h"

#include <torch/torch.h>

#include <cstring>

namespace inpaint::jobs {

torch::Tensor rgbToTensor(const QImage& rgb888)
{
    const int w = rgb888.width(), h = rgb888.height();
    torch::Tensor t = torch::empty({h, w, 3}, torch::kUInt8);
    for (int y = 0; y < h; ++y) std::memcpy(t[y].data_ptr<uint8_t>(), rgb888.constScanLine(y), static_cast<size_t>(w) * 3);
    return (t.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat32) / 255.0f) * 2.0f - 1.0f;
}

torch::Tensor maskToTensor(const QImage& grey8)
{
    const int w = grey8.width(), h = grey8.height();
    torch::Tensor t = torch::empty({h, w}, torch::kUInt8);
    for (int y = 0; y < h; ++y) std::memcpy(t[y].data_ptr<uint8_t>(), grey8.constScanLine(y), static_cast<size_t>(w));
    return t.unsqueeze(0).unsqueeze(0).to(torch::kFloat32) / 255.0f;
}

QImage tensorToRgb(const torch::Tensor& img01)
{
    torch::Tensor u8 = (img01[0].permute({1, 2, 0}) * 255.0f).round().clamp(0, 255).to(torch::kUInt8).contiguous();
    const int h = static_cast<int>(u8.size(0)), w = static_cast<int>(u8.size(1));
    QImage out(w, h, QImage::Format_RGB888);
    for (int y = 0; y < h; ++y) std::memcpy(out.scanLine(y), u8[y].data_ptr<uint8_t>(), static_cast<size_t>(w) * 3);
    return out;
}

}  // namespace inpaint::jobs
