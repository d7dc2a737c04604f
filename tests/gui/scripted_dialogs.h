// What the GUI tests on the real engine share: a Dialogs that answers from a script (file names
// to save to, "yes"/"discard" to questions) and records what was asked, and a recursive copy of a
// reference model folder into a test's models folder.
#pragma once

#include "ui/dialogs.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStringList>

namespace guitest {

inline bool copyTree(const QString& from, const QString& to)
{
    if (!QDir().mkpath(to)) return false;
    for (const QFileInfo& fi : QDir(from).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QString dst = QDir(to).filePath(fi.fileName());
        if (fi.isDir() ? !copyTree(fi.filePath(), dst) : !QFile::copy(fi.filePath(), dst)) return false;
    }
    return true;
}

class ScriptedDialogs : public inpaint::ui::Dialogs {
public:
    QStringList saveAnswers;  // taken in order by saveImageFile; empty: cancelled
    QStringList asked;        // question titles, error and information texts, in order
    QString saveImageFile(QWidget*, const QString&, const QString&) override
    {
        return saveAnswers.isEmpty() ? QString() : saveAnswers.takeFirst();
    }
    QMessageBox::StandardButton ask(QWidget*, const QString& title, const QString&, QMessageBox::StandardButtons buttons,
                                    QMessageBox::StandardButton) override
    {
        asked << title;
        return buttons.testFlag(QMessageBox::Discard) ? QMessageBox::Discard : QMessageBox::Yes;
    }
    void error(QWidget*, const QString&, const QString& text) override { asked << text; }
    void information(QWidget*, const QString&, const QString& text) override { asked << text; }
};

}  // namespace guitest
