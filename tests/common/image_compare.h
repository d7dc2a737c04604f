// Pixel comparisons of a written PNG against a golden image (tests that run the built CLI).
// Include after torch (its headers use the word `slots`, which Qt defines as a macro).
#pragma once

#include <torch/torch.h>

#include <QImage>

#include <algorithm>
#include <cstdlib>

namespace clitest {

// Largest |png - round(golden * 255)| over all channels; golden is HWC float in [0, 1]. 256 when
// the sizes differ.
inline int maxPixelDiff(const QImage& png, const torch::Tensor& hwc)
{
    const QImage rgb = png.convertToFormat(QImage::Format_RGB888);
    torch::Tensor ref = (hwc * 255.0f).round().clamp(0, 255).to(torch::kInt32).contiguous();
    if (rgb.width() != ref.size(1) || rgb.height() != ref.size(0)) return 256;
    int worst = 0;
    const int32_t* r = ref.data_ptr<int32_t>();
    for (int y = 0; y < rgb.height(); ++y) {
        const uchar* s = rgb.constScanLine(y);
        for (int x = 0; x < rgb.width() * 3; ++x) worst = std::max(worst, std::abs(int(s[x]) - r[y * rgb.width() * 3 + x]));
    }
    return worst;
}

}  // namespace clitest

namespace clitest {

// Largest per-channel difference of two images (RGB); 256 when the sizes differ.
inline int maxPixelDiff(const QImage& a, const QImage& b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    if (x.size() != y.size() || x.isNull()) return 256;
    int worst = 0;
    for (int row = 0; row < x.height(); ++row) {
        const uchar* p = x.constScanLine(row);
        const uchar* q = y.constScanLine(row);
        for (int i = 0; i < x.width() * 3; ++i) worst = std::max(worst, std::abs(int(p[i]) - int(q[i])));
    }
    return worst;
}

// Mean per-channel difference of two images (RGB); 256 when the sizes differ.
inline double meanPixelDiff(const QImage& a, const QImage& b)
{
    const QImage x = a.convertToFormat(QImage::Format_RGB888), y = b.convertToFormat(QImage::Format_RGB888);
    if (x.size() != y.size() || x.isNull()) return 256;
    double sum = 0;
    for (int row = 0; row < x.height(); ++row) {
        const uchar* p = x.constScanLine(row);
        const uchar* q = y.constScanLine(row);
        for (int i = 0; i < x.width() * 3; ++i) sum += std::abs(int(p[i]) - int(q[i]));
    }
    return sum / (double(x.width()) * x.height() * 3);
}

}  // namespace clitest
