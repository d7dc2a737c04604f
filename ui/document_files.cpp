// DocumentFiles (see document_files.h).
#include "ui/document_files.h"

#include "core/document/document.h"
#include "core/document/ora_project.h"
#include "core/imaging/image_io.h"
#include "ui/dialogs.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileInfo>
#include <QImageReader>
#include <QMenu>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QUrl>

namespace inpaint::ui {

namespace {
constexpr int kMaxRecent = 10;
const char* kRecentKey = "recentFiles";
const char* kLastDirKey = "lastDirectory";

QString firstLocalFile(const QMimeData* mime) {
    if (!mime || !mime->hasUrls()) return {};
    for (const QUrl& u : mime->urls())
        if (u.isLocalFile()) return u.toLocalFile();
    return {};
}
}  // namespace

DocumentFiles::DocumentFiles(document::Document* doc, Dialogs* dialogs, QWidget* window, RecipeProvider recipe,
                             QObject* parent)
    : QObject(parent), m_doc(doc), m_dialogs(dialogs), m_window(window), m_recipe(std::move(recipe)) {}

QString DocumentFiles::lastDir() const {
    const QString d = QSettings().value(kLastDirKey).toString();
    if (!d.isEmpty() && QFileInfo(d).isDir()) return d;
    return QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
}

void DocumentFiles::rememberDir(const QString& path) {
    QSettings().setValue(kLastDirKey, QFileInfo(path).absolutePath());
}

void DocumentFiles::setRecentMenu(QMenu* menu) {
    m_recentMenu = menu;
    rebuildRecentMenu();
}

void DocumentFiles::addRecentFile(const QString& path) {
    QSettings s;
    QStringList list = s.value(kRecentKey).toStringList();
    const QString abs = QFileInfo(path).absoluteFilePath();
    list.removeAll(abs);
    list.prepend(abs);
    while (list.size() > kMaxRecent) list.removeLast();
    s.setValue(kRecentKey, list);
    rebuildRecentMenu();
}

void DocumentFiles::rebuildRecentMenu() {
    if (!m_recentMenu) return;
    m_recentMenu->clear();
    const QStringList list = QSettings().value(kRecentKey).toStringList();
    for (const QString& p : list) {
        QAction* a = m_recentMenu->addAction(QFileInfo(p).fileName());
        a->setToolTip(p);
        a->setStatusTip(p);
        connect(a, &QAction::triggered, this, [this, p] { openFile(p); });
    }
    m_recentMenu->setEnabled(!list.isEmpty());
}

QString DocumentFiles::displayName() const {
    if (m_doc->isNull()) return {};
    if (const QString project = m_project.path ? m_project.path() : QString(); !project.isEmpty())
        return QFileInfo(project).fileName();
    if (!m_doc->savePath().isEmpty()) return QFileInfo(m_doc->savePath()).fileName();
    if (!m_doc->sourcePath().isEmpty()) return QFileInfo(m_doc->sourcePath()).fileName();
    return m_pastedName.isEmpty() ? tr("Pasted image") : m_pastedName;
}

bool DocumentFiles::maybeKeepChanges() {
    if (m_doc->isNull()) return true;
    m_doc->commitActiveStroke();
    if (m_project.path && !m_project.path().isEmpty() && m_doc->isModified()) {
        const auto b = m_dialogs->ask(m_window, tr("Unsaved changes"),
                                      tr("The project “%1” has changes that are not saved. Save them first?").arg(displayName()),
                                      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        if (b == QMessageBox::Save) return m_project.save && m_project.save();
        return b == QMessageBox::Discard;
    }
    if (m_doc->isImageModified()) {
        const auto b = m_dialogs->ask(m_window, tr("Unsaved changes"),
                                      tr("“%1” has changes that are not saved. Save them first?").arg(displayName()),
                                      QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
        if (b == QMessageBox::Save) return save();
        return b == QMessageBox::Discard;
    }
    if (m_doc->isModified() && m_doc->hasVisibleMask()) {
        const auto b = m_dialogs->ask(m_window, tr("Discard the mask?"),
                                      tr("The painted mask is not stored in the image. Discard it? "
                                         "(File ▸ Export Combined Mask saves it as a PNG.)"),
                                      QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
        return b == QMessageBox::Discard;
    }
    return true;
}

bool DocumentFiles::openWithDialog() {
    if (!maybeKeepChanges()) return false;
    const QString path = m_dialogs->openImageFile(m_window, lastDir());
    return !path.isEmpty() && openFile(path);
}

bool DocumentFiles::openFile(const QString& path) {
    if (!maybeKeepChanges()) return false;
    if (document::isOraPath(path) && m_project.open) {
        if (!m_project.open(path)) return false;
        m_pastedName.clear();
        rememberDir(path);
        addRecentFile(path);
        return true;
    }
    QString error;
    const QImage image = imaging::loadImage(path, &error);
    if (image.isNull()) {
        m_dialogs->error(m_window, tr("Could not open the image"),
                         error.isEmpty() ? tr("“%1” could not be read as an image.").arg(path) : error);
        return false;  // the current document stays as it was
    }
    m_pastedName.clear();
    emit aboutToReplace();
    m_doc->reset(image, QFileInfo(path).absoluteFilePath());
    rememberDir(path);
    addRecentFile(path);
    emit statusMessage(tr("Opened %1. Paint over what should go (B), then Inpaint (Ctrl+Return).")
                           .arg(QFileInfo(path).fileName()),
                       8000);
    emit fileOpened(image, QFileInfo(path).fileName());
    return true;
}

bool DocumentFiles::openImage(const QImage& image, const QString& name) {
    if (!maybeKeepChanges()) return false;
    const QImage doc = imaging::toDocumentFormat(image);
    if (doc.isNull() || doc.width() <= 0 || doc.height() <= 0) {
        m_dialogs->error(m_window, tr("Could not open the image"), tr("The image is empty."));
        return false;
    }
    if (qint64(doc.width()) * doc.height() > imaging::kMaxImagePixels) {
        m_dialogs->error(m_window, tr("Could not open the image"),
                         tr("The image is %1 × %2 pixels, more than this editor handles.").arg(doc.width()).arg(doc.height()));
        return false;
    }
    m_pastedName = name;
    emit aboutToReplace();
    m_doc->reset(doc, QString());
    return true;
}

bool DocumentFiles::pasteFromClipboard() {
    const QMimeData* mime = QApplication::clipboard()->mimeData();
    if (!mime) return false;
    if (mime->hasImage()) {
        const QImage img = qvariant_cast<QImage>(mime->imageData());
        if (!img.isNull()) return openImage(img, tr("Pasted image"));
    }
    const QString file = firstLocalFile(mime);
    if (!file.isEmpty()) return openFile(file);
    emit statusMessage(tr("The clipboard holds no image."), 5000);
    return false;
}

bool DocumentFiles::canOpen(const QMimeData* mime) {
    return !firstLocalFile(mime).isEmpty() || (mime && mime->hasImage());
}

bool DocumentFiles::dropLater(const QMimeData* mime) {
    const QString file = firstLocalFile(mime);
    if (!file.isEmpty()) {
        // Open after the drop returns: a dialog inside a drop handler confuses some platforms.
        QMetaObject::invokeMethod(this, [this, file] { openFile(file); }, Qt::QueuedConnection);
        return true;
    }
    if (mime && mime->hasImage()) {
        const QImage img = qvariant_cast<QImage>(mime->imageData());
        QMetaObject::invokeMethod(this, [this, img] { openImage(img, tr("Dropped image")); }, Qt::QueuedConnection);
        return true;
    }
    return false;
}

QString DocumentFiles::suggestedSavePath(const QString& suffix) const {
    const QString src = m_doc->sourcePath();
    QString dir = src.isEmpty() ? lastDir() : QFileInfo(src).absolutePath();
    const QString base = src.isEmpty() ? QStringLiteral("pasted") : QFileInfo(src).completeBaseName();
    return dir + QLatin1Char('/') + base + suffix;
}

bool DocumentFiles::writeImage(const QString& path, bool becomesSaveTarget) {
    if (!imaging::isSupportedSavePath(path)) {
        m_dialogs->error(m_window, tr("Could not save"),
                         tr("“%1” has an extension this editor cannot write; use .png, .jpg, .webp, .tif or .bmp.")
                             .arg(QFileInfo(path).fileName()));
        return false;
    }
    QString error;
    if (!imaging::saveImage(m_doc->image(), path, &error, 95, m_recipe ? m_recipe() : QString())) {
        m_dialogs->error(m_window, tr("Could not save"),
                         tr("%1\n\nNothing was lost: the image and its mask are still open here.").arg(error));
        return false;
    }
    if (becomesSaveTarget) {
        m_doc->markSaved(QFileInfo(path).absoluteFilePath());
        emit saveTargetChanged();
        addRecentFile(path);
    }
    rememberDir(path);
    emit statusMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 6000);
    return true;
}

bool DocumentFiles::save() {
    if (m_doc->isNull()) return false;
    m_doc->commitActiveStroke();
    if (m_project.path && !m_project.path().isEmpty() && m_project.save) return m_project.save();
    // Never over the opened file without the person having chosen it in Save As.
    if (m_doc->savePath().isEmpty()) return saveAs();
    return writeImage(m_doc->savePath(), true);
}

bool DocumentFiles::saveAs() {
    if (m_doc->isNull()) return false;
    const QString suggested = m_doc->savePath().isEmpty() ? suggestedSavePath(QStringLiteral("-inpainted.png"))
                                                          : m_doc->savePath();
    QString path = m_dialogs->saveImageFile(m_window, tr("Save Image As"), suggested);
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
    return writeImage(path, true);
}

bool DocumentFiles::exportImage() {
    if (m_doc->isNull()) return false;
    QString path = m_dialogs->saveImageFile(m_window, tr("Export Image"), suggestedSavePath(QStringLiteral("-export.png")));
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
    return writeImage(path, false);
}

bool DocumentFiles::importMask() {
    if (m_doc->isNull()) return false;
    const QString path = m_dialogs->openMaskFile(m_window, lastDir());
    if (path.isEmpty()) return false;
    QString error;
    QImage mask = imaging::loadMask(path, m_doc->size(), false, &error);
    if (mask.isNull()) {
        const QSize other = QImageReader(path).size();
        if (other.isValid() && other != m_doc->size()) {
            const auto b = m_dialogs->ask(
                m_window, tr("Mask size differs"),
                tr("The mask is %1 × %2 but the image is %3 × %4. Scale the mask to fit the image?")
                    .arg(other.width()).arg(other.height()).arg(m_doc->size().width()).arg(m_doc->size().height()),
                QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Yes);
            if (b != QMessageBox::Yes) return false;
            mask = imaging::loadMask(path, m_doc->size(), true, &error);
        }
    }
    if (mask.isNull()) {
        m_dialogs->error(m_window, tr("Could not import the mask"), error);
        return false;
    }
    m_doc->addLayerWithPixels(QFileInfo(path).completeBaseName(), mask);
    rememberDir(path);
    return true;
}

bool DocumentFiles::exportMask() {
    if (m_doc->isNull()) return false;
    QString path = m_dialogs->saveImageFile(m_window, tr("Export Combined Mask"), suggestedSavePath(QStringLiteral("-mask.png")));
    if (path.isEmpty()) return false;
    if (QFileInfo(path).suffix().isEmpty()) path += QStringLiteral(".png");
    QString error;
    if (!imaging::saveImage(m_doc->combinedMask(), path, &error)) {
        m_dialogs->error(m_window, tr("Could not export the mask"), error);
        return false;
    }
    emit statusMessage(tr("Mask saved to %1 (white = repaint)").arg(QDir::toNativeSeparators(path)), 6000);
    return true;
}

}  // namespace inpaint::ui
