// GrabCut and magic-wand selection (see selection.h).
#include "core/imaging/selection.h"

#include "core/imaging/opencv_bridge.h"

#include <QCoreApplication>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace inpaint::imaging {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("Selection", text); }

QImage fail(QString* error, const QString& message) {
    if (error) *error = message;
    return {};
}

// A Grayscale8 QImage copy of an 8UC1 Mat.
QImage grayFromMat(const cv::Mat& m) {
    QImage out(m.cols, m.rows, QImage::Format_Grayscale8);
    for (int y = 0; y < m.rows; ++y) std::memcpy(out.scanLine(y), m.ptr<uchar>(y), size_t(m.cols));
    return out;
}

// OpenCV's default RNG is what grabCut's k-means initialisation draws from; a fixed state
// before every call makes a selection repeat exactly.
constexpr std::uint64_t kGrabCutSeed = 0x5E1EC7ULL;
constexpr int kMinBackgroundSamples = 16;  // GMMs of 5 components need a few samples each

}  // namespace

QImage combineSelection(const QImage& current, const QImage& selection, SelectionMode mode) {
    const QImage sel = selection.convertToFormat(QImage::Format_Grayscale8);
    if (mode == SelectionMode::Replace || current.isNull()) {
        if (mode == SelectionMode::Subtract) {
            QImage z(sel.size(), QImage::Format_Grayscale8);
            z.fill(0);
            return z;
        }
        return sel.copy();
    }
    QImage out = current.convertToFormat(QImage::Format_Grayscale8).copy();
    if (out.size() != sel.size()) return out;
    for (int y = 0; y < out.height(); ++y) {
        uchar* o = out.scanLine(y);
        const uchar* s = sel.constScanLine(y);
        for (int x = 0; x < out.width(); ++x)
            o[x] = mode == SelectionMode::Add ? std::max(o[x], s[x]) : uchar(std::max(0, int(o[x]) - int(s[x])));
    }
    return out;
}

QImage grabCutSelect(const QImage& image, QRect rect, const QImage& hints, int iterations, QString* error) {
    if (image.isNull()) return fail(error, tr("There is no image to select in."));
    const QRect requested = rect.normalized();
    if (requested.width() < kGrabCutMinSide || requested.height() < kGrabCutMinSide)
        return fail(error, tr("The rectangle is empty: drag a rectangle around the object (at least %1 × %1 pixels).")
                               .arg(kGrabCutMinSide));
    const QRect r = requested & image.rect();
    if (r.isEmpty())
        return fail(error, tr("The rectangle lies outside the image: drag it around the object."));
    if (r.width() < kGrabCutMinSide || r.height() < kGrabCutMinSide)
        return fail(error, tr("Only %1 × %2 pixels of the rectangle lie on the image: drag it around the object.")
                               .arg(r.width())
                               .arg(r.height()));
    if (!hints.isNull() && hints.size() != image.size())
        return fail(error, tr("The hint strokes do not have the image's size."));
    iterations = std::clamp(iterations, 1, 20);

    // Hint strokes as two 0/255 masks over the whole image (null when there are none).
    QImage hint8 = hints.isNull() ? QImage() : hints.convertToFormat(QImage::Format_Grayscale8);
    cv::Mat fgHint, bgHint;
    if (!hint8.isNull()) {
        const cv::Mat h = detail::constMatView(hint8);
        cv::inRange(h, cv::Scalar(192), cv::Scalar(255), fgHint);
        cv::inRange(h, cv::Scalar(64), cv::Scalar(191), bgHint);
        if (cv::countNonZero(fgHint) == 0 && cv::countNonZero(bgHint) == 0) fgHint = bgHint = cv::Mat();
    }
    const bool withHints = !fgHint.empty();

    // The work area: the rectangle, a margin of surroundings, and every hint stroke.
    const int margin = std::max(16, int(std::lround(kGrabCutMargin * std::max(r.width(), r.height()))));
    QRect roi = r.adjusted(-margin, -margin, margin, margin);
    if (withHints) {
        std::vector<cv::Point> pts;
        cv::findNonZero(fgHint | bgHint, pts);
        const cv::Rect b = cv::boundingRect(pts);
        roi |= QRect(b.x, b.y, b.width, b.height);
    }
    roi &= image.rect();

    const QImage rgb = image.copy(roi).convertToFormat(QImage::Format_RGB888);
    // R,G,B rather than OpenCV's B,G,R: GrabCut's colour models do not depend on the order.
    cv::Mat work = detail::constMatView(rgb);
    const double s = std::min(1.0, double(kGrabCutWorkSide) / std::max(roi.width(), roi.height()));
    const cv::Size workSize = s < 1.0 ? cv::Size(std::max(1, int(std::lround(roi.width() * s))),
                                                 std::max(1, int(std::lround(roi.height() * s))))
                                      : cv::Size(roi.width(), roi.height());
    if (s < 1.0) {
        cv::Mat small;
        cv::resize(work, small, workSize, 0, 0, cv::INTER_AREA);
        work = small;
    } else {
        work = work.clone();  // grabCut wants continuous memory it may read freely
    }
    const double sx = double(workSize.width) / roi.width(), sy = double(workSize.height) / roi.height();
    const int x0 = std::clamp(int(std::floor((r.left() - roi.left()) * sx)), 0, workSize.width - 1);
    const int y0 = std::clamp(int(std::floor((r.top() - roi.top()) * sy)), 0, workSize.height - 1);
    const int x1 = std::clamp(int(std::ceil((r.right() + 1 - roi.left()) * sx)), x0 + 1, workSize.width);
    const int y1 = std::clamp(int(std::ceil((r.bottom() + 1 - roi.top()) * sy)), y0 + 1, workSize.height);
    const cv::Rect workRect(x0, y0, x1 - x0, y1 - y0);

    cv::Mat mask(workSize, CV_8UC1, cv::Scalar(cv::GC_BGD));
    mask(workRect).setTo(cv::Scalar(cv::GC_PR_FGD));
    if (withHints) {
        // Thin strokes must survive the downscale: any coverage of a work pixel marks it.
        auto toWork = [&](const cv::Mat& full) {
            cv::Mat part = full(cv::Rect(roi.x(), roi.y(), roi.width(), roi.height()));
            if (s >= 1.0) return part.clone();
            cv::Mat small;
            cv::resize(part, small, workSize, 0, 0, cv::INTER_AREA);
            return cv::Mat(small > 0);
        };
        mask.setTo(cv::Scalar(cv::GC_BGD), toWork(bgHint));
        mask.setTo(cv::Scalar(cv::GC_FGD), toWork(fgHint));
    }
    const int background = cv::countNonZero(mask == cv::GC_BGD);
    if (background < kMinBackgroundSamples)
        return fail(error, tr("The rectangle covers the whole image: leave some background around the object, "
                              "or mark background with strokes."));
    if (cv::countNonZero(mask != cv::GC_BGD) < kMinBackgroundSamples)
        return fail(error, tr("Background strokes cover the whole rectangle: there is nothing left to select."));

    cv::Mat bgdModel, fgdModel;
    try {
        cv::theRNG() = cv::RNG(kGrabCutSeed);
        cv::grabCut(work, mask, workRect, bgdModel, fgdModel, iterations, cv::GC_INIT_WITH_MASK);
    } catch (const cv::Exception& e) {
        return fail(error, tr("GrabCut failed: %1").arg(QString::fromStdString(e.msg)));
    }

    // GC_FGD (1) and GC_PR_FGD (3) are the odd labels.
    cv::Mat object = (mask & 1) * 255;
    if (s < 1.0) {
        cv::Mat big;
        cv::resize(object, big, cv::Size(roi.width(), roi.height()), 0, 0, cv::INTER_LINEAR);
        cv::threshold(big, object, 127, 255, cv::THRESH_BINARY);
    }
    if (cv::countNonZero(object) == 0)
        return fail(error, tr("GrabCut found no object in the rectangle: draw it closer around the object, "
                              "or mark the object with a stroke."));
    QImage out(image.size(), QImage::Format_Grayscale8);
    out.fill(0);
    for (int y = 0; y < roi.height(); ++y)
        std::memcpy(out.scanLine(roi.top() + y) + roi.left(), object.ptr<uchar>(y), size_t(roi.width()));
    if (error) error->clear();
    return out;
}

QImage magicWandSelect(const QImage& image, QPoint seed, int tolerance, WandChannel channel, bool contiguous,
                       QString* error) {
    if (image.isNull()) return fail(error, tr("There is no image to select in."));
    if (!image.rect().contains(seed))
        return fail(error, tr("The point (%1, %2) is outside the image.").arg(seed.x()).arg(seed.y()));
    tolerance = std::clamp(tolerance, 0, 255);

    const QImage rgba = image.convertToFormat(QImage::Format_RGBA8888);
    const cv::Mat m = detail::constMatView(rgba);
    cv::Mat src;
    switch (channel) {
    case WandChannel::Composite: cv::cvtColor(m, src, cv::COLOR_RGBA2RGB); break;
    case WandChannel::Red: cv::extractChannel(m, src, 0); break;
    case WandChannel::Green: cv::extractChannel(m, src, 1); break;
    case WandChannel::Blue: cv::extractChannel(m, src, 2); break;
    case WandChannel::Alpha: cv::extractChannel(m, src, 3); break;
    case WandChannel::Luma:
        src.create(m.rows, m.cols, CV_8UC1);
        for (int y = 0; y < m.rows; ++y) {
            const uchar* p = m.ptr<uchar>(y);
            uchar* o = src.ptr<uchar>(y);
            for (int x = 0; x < m.cols; ++x, p += 4) o[x] = uchar(qGray(p[0], p[1], p[2]));
        }
        break;
    }

    cv::Mat selected;
    const cv::Scalar tol = cv::Scalar::all(tolerance);
    if (contiguous) {
        cv::Mat ff = cv::Mat::zeros(src.rows + 2, src.cols + 2, CV_8UC1);
        const int flags = 4 | cv::FLOODFILL_FIXED_RANGE | cv::FLOODFILL_MASK_ONLY | (255 << 8);
        cv::floodFill(src, ff, cv::Point(seed.x(), seed.y()), cv::Scalar(), nullptr, tol, tol, flags);
        selected = ff(cv::Rect(1, 1, src.cols, src.rows));
    } else {
        cv::Scalar lo, hi;
        const int n = src.channels();
        for (int c = 0; c < n; ++c) {
            const int v = n == 1 ? src.at<uchar>(seed.y(), seed.x()) : src.at<cv::Vec3b>(seed.y(), seed.x())[c];
            lo[c] = std::max(0, v - tolerance);
            hi[c] = std::min(255, v + tolerance);
        }
        cv::inRange(src, lo, hi, selected);
    }
    if (error) error->clear();
    return grayFromMat(selected);
}

}  // namespace inpaint::imaging
