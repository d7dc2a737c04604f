// Shared by the inpaint-cli commands that read an image and a mask: stderr capture around the
// decoders, the same-file check, and loading an image with its mask (sizes checked).
#pragma once

#include <QImage>
#include <QString>

#include <cstdio>
#include <filesystem>
#include <string>

#include <unistd.h>

namespace inpaint::cli {

// libpng and libtiff print their errors straight to stderr (fd 2), and Qt's decoders add
// qWarning lines, all next to our one-line error. While files are decoded and encoded, fd 2
// goes to a temporary file instead; --verbose prints what was collected.
class StderrCapture {
public:
    StderrCapture()
    {
        std::fflush(stderr);
        m_tmp = std::tmpfile();
        m_saved = m_tmp ? ::dup(STDERR_FILENO) : -1;
        if (m_saved >= 0) ::dup2(::fileno(m_tmp), STDERR_FILENO);
    }
    ~StderrCapture() { release(); }
    // Restores stderr and returns what was written meanwhile.
    std::string release()
    {
        std::string text;
        if (m_saved >= 0) {
            std::fflush(stderr);
            ::dup2(m_saved, STDERR_FILENO);
            ::close(m_saved);
            m_saved = -1;
        }
        if (m_tmp) {
            std::rewind(m_tmp);
            char buf[4096];
            size_t n;
            while ((n = std::fread(buf, 1, sizeof buf, m_tmp)) > 0) text.append(buf, n);
            std::fclose(m_tmp);
            m_tmp = nullptr;
        }
        return text;
    }

private:
    std::FILE* m_tmp = nullptr;
    int m_saved = -1;
};

// True when both paths name the same existing file.
inline bool sameFile(const QString& a, const QString& b)
{
    std::error_code ec;
    const bool same = std::filesystem::equivalent(std::filesystem::path(a.toStdString()),
                                                  std::filesystem::path(b.toStdString()), ec);
    return !ec && same;
}

// Loads the image and its mask; a mask of another size is an error naming both sizes unless
// `resizeMask` (nearest neighbour). False with *error set.
bool loadImageAndMask(const QString& imagePath, const QString& maskPath, bool resizeMask, QImage* image, QImage* mask,
                      QString* error);

}  // namespace inpaint::cli
