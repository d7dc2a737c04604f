// QImage <-> tensor conversions at the engine's edge, as diffusers' VaeImageProcessor does them.
// Torch-only header use: included by the torch-side files of core/jobs.
#pragma once

#include <QImage>

#include <torch/types.h>

namespace inpaint::jobs {

torch::Tensor rgbToTensor(const QImage& rgb888);  // [1, 3, H, W] float32 in [-1, 1]
torch::Tensor maskToTensor(const QImage& grey8);  // [1, 1, H, W] float32 in [0, 1]
QImage tensorToRgb(const torch::Tensor& img01);   // [1, 3, H, W] in [0, 1] -> RGB888, round(x * 255)

}  // namespace inpaint::jobs
