// QImage <-> cv::Mat views (see opencv_bridge.h).
#include "core/imaging/opencv_bridge.h"

namespace inpaint::imaging::detail {

int cvTypeFor(QImage::Format f)
{
    switch (f) {
    case QImage::Format_Grayscale8:
    case QImage::Format_Alpha8:
        return CV_8UC1;
    case QImage::Format_RGB888:
    case QImage::Format_BGR888:
        return CV_8UC3;
    case QImage::Format_RGB32:
    case QImage::Format_ARGB32:
    case QImage::Format_ARGB32_Premultiplied:
    case QImage::Format_RGBX8888:
    case QImage::Format_RGBA8888:
    case QImage::Format_RGBA8888_Premultiplied:
        return CV_8UC4;
    case QImage::Format_Grayscale16:
        return CV_16UC1;
    case QImage::Format_RGBX64:
    case QImage::Format_RGBA64:
    case QImage::Format_RGBA64_Premultiplied:
        return CV_16UC4;
    default:
        return -1;
    }
}

cv::Mat matView(QImage& image)
{
    const int type = cvTypeFor(image.format());
    if (image.isNull() || type < 0) return {};
    return cv::Mat(image.height(), image.width(), type, image.bits(),
                   static_cast<size_t>(image.bytesPerLine()));
}

cv::Mat constMatView(const QImage& image)
{
    const int type = cvTypeFor(image.format());
    if (image.isNull() || type < 0) return {};
    // OpenCV has no const Mat view; callers only read through it.
    return cv::Mat(image.height(), image.width(), type, const_cast<uchar*>(image.constBits()),
                   static_cast<size_t>(image.bytesPerLine()));
}

}  // namespace inpaint::imaging::detail
