// Animated WebP writer (see animation.h).
#include "core/imaging/animation.h"

#include <QFileInfo>
#include <QSaveFile>

#include <webp/encode.h>
#include <webp/mux.h>

#include <algorithm>
#include <memory>

namespace inpaint::imaging {

bool saveAnimatedWebp(const QList<QImage>& frames, const QString& path, QString* error, const AnimationOptions& o)
{
    auto fail = [&](const QString& msg) {
        if (error) *error = msg;
        return false;
    };
    if (frames.isEmpty() || frames.first().isNull()) return fail(QStringLiteral("There are no step previews to export."));
    QSize size = frames.first().size();
    if (std::max(size.width(), size.height()) > o.maxSide) size.scale(o.maxSide, o.maxSide, Qt::KeepAspectRatio);
    size = size.expandedTo(QSize(1, 1));

    WebPAnimEncoderOptions encOptions;
    if (!WebPAnimEncoderOptionsInit(&encOptions)) return fail(QStringLiteral("libwebp version mismatch."));
    encOptions.anim_params.loop_count = 0;  // forever
    std::unique_ptr<WebPAnimEncoder, void (*)(WebPAnimEncoder*)> enc(
        WebPAnimEncoderNew(size.width(), size.height(), &encOptions), WebPAnimEncoderDelete);
    if (!enc) return fail(QStringLiteral("Cannot start the WebP encoder (the image may be too large)."));
    WebPConfig config;
    if (!WebPConfigInit(&config)) return fail(QStringLiteral("libwebp version mismatch."));
    config.lossless = o.quality >= 100 ? 1 : 0;
    config.quality = float(std::clamp(o.quality, 0, 100));

    int timestamp = 0;
    for (int i = 0; i < frames.size(); ++i) {
        QImage f = frames[i];
        if (f.isNull()) continue;
        if (f.size() != size) f = f.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        f = f.convertToFormat(QImage::Format_RGBA8888);
        WebPPicture pic;
        if (!WebPPictureInit(&pic)) return fail(QStringLiteral("libwebp version mismatch."));
        pic.use_argb = 1;
        pic.width = f.width();
        pic.height = f.height();
        if (!WebPPictureImportRGBA(&pic, f.constBits(), int(f.bytesPerLine()))) {
            WebPPictureFree(&pic);
            return fail(QStringLiteral("Not enough memory for the animation."));
        }
        const bool ok = WebPAnimEncoderAdd(enc.get(), &pic, timestamp, &config);
        WebPPictureFree(&pic);
        if (!ok) return fail(QStringLiteral("The WebP encoder failed: %1").arg(QString::fromLatin1(WebPAnimEncoderGetError(enc.get()))));
        timestamp += i + 1 == frames.size() ? o.lastFrameMs : o.frameMs;
    }
    WebPAnimEncoderAdd(enc.get(), nullptr, timestamp, nullptr);  // end of stream
    WebPData data;
    WebPDataInit(&data);
    if (!WebPAnimEncoderAssemble(enc.get(), &data)) return fail(QStringLiteral("The WebP encoder failed to assemble the animation."));
    QSaveFile file(path);
    const bool written = file.open(QIODevice::WriteOnly) &&
                         file.write(reinterpret_cast<const char*>(data.bytes), qint64(data.size)) == qint64(data.size) &&
                         file.commit();
    WebPDataClear(&data);
    if (!written) return fail(QStringLiteral("Cannot write '%1': %2.").arg(path, file.errorString()));
    return true;
}

}  // namespace inpaint::imaging
