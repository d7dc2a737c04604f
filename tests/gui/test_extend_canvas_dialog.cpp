// Image ▸ Extend Canvas's real dialog (Dialogs::extendCanvas), driven as a person would: the
// aspect ratio fills the sides and locks them, the new size is shown, a zero extension cannot be
// confirmed, and OK returns exactly what the widgets say.
#include "ui/dialogs.h"

#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QLabel>
#include <QPushButton>
#include <QScopeGuard>
#include <QSpinBox>
#include <QTest>
#include <QTimer>
#include <functional>

using inpaint::ui::Dialogs;

namespace {

// Runs `drive` on the dialog once it is up (the dialog's exec() loop delivers the timer).
void whenDialogShows(std::function<void(QDialog*)> drive) {
    auto* timer = new QTimer;
    QObject::connect(timer, &QTimer::timeout, [timer, drive] {
        auto* dlg = qobject_cast<QDialog*>(QApplication::activeModalWidget());
        if (!dlg) return;
        timer->stop();
        timer->deleteLater();
        // A failed check returns early: the dialog closes anyway, so exec() never hangs.
        const auto closeAnyway = qScopeGuard([dlg] {
            if (dlg->isVisible()) dlg->reject();
        });
        drive(dlg);
    });
    timer->start(10);
}

template <class T>
T* child(QDialog* dlg, const char* name) {
    return dlg->findChild<T*>(QString::fromLatin1(name));
}

}  // namespace

class TestExtendCanvasDialog : public QObject {
    Q_OBJECT
private slots:
    void aspectRatioFillsAndLocksTheSides() {
        bool driven = false;
        whenDialogShows([&](QDialog* dlg) {
            QCOMPARE(dlg->objectName(), QStringLiteral("extendCanvasDialog"));
            auto* aspect = child<QComboBox>(dlg, "aspect");
            auto* anchor = child<QComboBox>(dlg, "anchor");
            QVERIFY(aspect && anchor);
            QCOMPARE(child<QLabel>(dlg, "newSize")->text(), QStringLiteral("856 × 400 px"));  // 256 px right by default
            QVERIFY(!anchor->isEnabled());
            aspect->setCurrentIndex(aspect->findText(QStringLiteral("16:9")));
            anchor->setCurrentIndex(anchor->findText(QStringLiteral("Left")));
            // 600x400 at 16:9: 711 px wide, all of it added on the right (the picture kept left).
            QCOMPARE(child<QSpinBox>(dlg, "left")->value(), 0);
            QCOMPARE(child<QSpinBox>(dlg, "right")->value(), 111);
            QCOMPARE(child<QSpinBox>(dlg, "top")->value(), 0);
            QCOMPARE(child<QSpinBox>(dlg, "bottom")->value(), 0);
            QVERIFY(!child<QSpinBox>(dlg, "right")->isEnabled());
            QVERIFY(anchor->isEnabled());
            QCOMPARE(child<QLabel>(dlg, "newSize")->text(), QStringLiteral("711 × 400 px"));
            anchor->setCurrentIndex(anchor->findText(QStringLiteral("Centre")));
            QCOMPARE(child<QSpinBox>(dlg, "left")->value(), 55);
            QCOMPARE(child<QSpinBox>(dlg, "right")->value(), 56);
            auto* prefill = child<QComboBox>(dlg, "prefill");
            prefill->setCurrentIndex(prefill->findData(int(inpaint::imaging::Prefill::Telea)));
            child<QSpinBox>(dlg, "overlap")->setValue(24);
            QPushButton* ok = dlg->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
            QVERIFY(ok->isEnabled());
            driven = true;
            QTest::mouseClick(ok, Qt::LeftButton);
        });
        Dialogs d;
        const auto choice = d.extendCanvas(nullptr, QSize(600, 400));
        QVERIFY(driven);
        QVERIFY(choice.has_value());
        QCOMPARE(choice->extension, (inpaint::imaging::CanvasExtension{55, 56, 0, 0}));
        QCOMPARE(choice->prefill, inpaint::imaging::Prefill::Telea);
        QCOMPARE(choice->overlap, 24);
    }

    void aZeroExtensionCannotBeConfirmed() {
        bool driven = false;
        whenDialogShows([&](QDialog* dlg) {
            child<QSpinBox>(dlg, "right")->setValue(0);
            QCOMPARE(child<QLabel>(dlg, "newSize")->text(), QStringLiteral("600 × 400 px"));
            QPushButton* ok = dlg->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok);
            QVERIFY(!ok->isEnabled());
            child<QSpinBox>(dlg, "top")->setValue(64);
            QVERIFY(ok->isEnabled());
            QCOMPARE(child<QLabel>(dlg, "newSize")->text(), QStringLiteral("600 × 464 px"));
            driven = true;
            dlg->reject();  // Cancel
        });
        Dialogs d;
        QVERIFY(!d.extendCanvas(nullptr, QSize(600, 400)).has_value());
        QVERIFY(driven);
    }
};

QTEST_MAIN(TestExtendCanvasDialog)
#include "test_extend_canvas_dialog.moc"
