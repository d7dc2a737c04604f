// LayerPanel: the mask layers of the document (topmost first), with visibility checkboxes,
// colour swatches, in-place rename, the active-layer selection, the overlay opacity
// slider and buttons for the layer operations. Every operation goes through the
// Document, so each one is a single undo step; the panel only mirrors the document.
#pragma once

#include <QWidget>

class QAction;
class QListWidget;
class QListWidgetItem;
class QSlider;
class QLabel;

namespace inpaint::document {
class Document;
}

namespace inpaint::ui {

class Dialogs;

class LayerPanel : public QWidget {
    Q_OBJECT
public:
    LayerPanel(document::Document* doc, Dialogs* dialogs, QWidget* parent = nullptr);

    // The panel's actions, also placed in the Layer menu.
    QAction* addAction() const { return m_add; }
    QAction* deleteAction() const { return m_delete; }
    QAction* renameAction() const { return m_rename; }
    QAction* moveUpAction() const { return m_up; }
    QAction* moveDownAction() const { return m_down; }
    QAction* colorAction() const { return m_color; }
    QAction* toggleVisibleAction() const { return m_toggleVisible; }
    QAction* clearAction() const { return m_clear; }
    QAction* fillAction() const { return m_fill; }
    QAction* invertAction() const { return m_invert; }
    QAction* importAction() const { return m_import; }
    QAction* exportAction() const { return m_export; }

    QListWidget* list() const { return m_list; }
    QSlider* opacitySlider() const { return m_opacity; }
    // Row in the list for a document layer index and back (the list shows the top first).
    int rowForIndex(int index) const;
    int indexForRow(int row) const;

    void setDialogs(Dialogs* dialogs) { m_dialogs = dialogs; }

signals:
    void importMaskRequested();
    void exportMaskRequested();

private:
    void rebuild();
    void syncActive();
    void updateActions();
    void onItemChanged(QListWidgetItem* item);
    void chooseColor();
    void renameActive();

    document::Document* m_doc;
    Dialogs* m_dialogs;
    QListWidget* m_list;
    QSlider* m_opacity;
    QLabel* m_opacityValue;
    bool m_updating = false;
    QAction *m_add, *m_delete, *m_rename, *m_up, *m_down, *m_color, *m_toggleVisible;
    QAction *m_clear, *m_fill, *m_invert, *m_import, *m_export;
};

}  // namespace inpaint::ui
