// LayerPanel (see layer_panel.h).
#include "ui/layer_panel.h"

#include "core/document/document.h"
#include "ui/dialogs.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>

namespace inpaint::ui {

namespace {
QIcon swatch(const QColor& c) {
    QPixmap pm(16, 16);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    p.setPen(QPen(QColor(0, 0, 0, 160), 1));
    p.setBrush(c);
    p.drawRoundedRect(QRectF(1.5, 1.5, 13, 13), 3, 3);
    return QIcon(pm);
}

QAction* makeAction(QObject* parent, const QString& icon, const QString& text, const QString& tip,
                    const QKeySequence& key = {}) {
    auto* a = new QAction(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)), text, parent);
    a->setShortcut(key);
    a->setToolTip(key.isEmpty() ? tip : QStringLiteral("%1 (%2)").arg(tip, key.toString(QKeySequence::NativeText)));
    return a;
}

QToolButton* toolButton(QAction* a, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setDefaultAction(a);
    b->setAutoRaise(true);
    b->setIconSize(QSize(18, 18));
    return b;
}
}  // namespace

LayerPanel::LayerPanel(document::Document* doc, Dialogs* dialogs, QWidget* parent)
    : QWidget(parent), m_doc(doc), m_dialogs(dialogs) {
    m_add = makeAction(this, QStringLiteral("layer-add"), tr("&Add Layer"), tr("Add an empty mask layer"),
                       QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    m_delete = makeAction(this, QStringLiteral("layer-delete"), tr("&Delete Layer"), tr("Delete the active layer"));
    m_rename = makeAction(this, QStringLiteral("layer-rename"), tr("&Rename Layer…"),
                          tr("Rename the active layer (or double-click it)"), QKeySequence(Qt::Key_F2));
    m_up = makeAction(this, QStringLiteral("layer-up"), tr("Move Layer &Up"), tr("Move the active layer up"));
    m_down = makeAction(this, QStringLiteral("layer-down"), tr("Move Layer Do&wn"), tr("Move the active layer down"));
    m_color = makeAction(this, QStringLiteral("color"), tr("Layer &Colour…"), tr("Change the overlay colour of the active layer"));
    m_toggleVisible = makeAction(this, QStringLiteral("visible"), tr("Show/&Hide Layer"),
                                 tr("Show or hide the active layer (hidden layers are not part of the mask)"),
                                 QKeySequence(Qt::CTRL | Qt::Key_H));
    m_clear = makeAction(this, QStringLiteral("mask-clear"), tr("C&lear Layer"), tr("Erase the whole active layer"),
                         QKeySequence(Qt::Key_Delete));
    m_fill = makeAction(this, QStringLiteral("mask-fill"), tr("&Fill Layer"), tr("Mark the whole image on the active layer"));
    m_invert = makeAction(this, QStringLiteral("mask-invert"), tr("&Invert Layer"), tr("Swap painted and unpainted on the active layer"),
                          QKeySequence(Qt::CTRL | Qt::Key_I));
    m_import = makeAction(this, QStringLiteral("mask-import"), tr("&Import Mask…"),
                          tr("Import a mask image as a new layer (white = repaint)"));
    m_export = makeAction(this, QStringLiteral("mask-export"), tr("&Export Combined Mask…"),
                          tr("Save the union of the visible layers as a PNG (white = repaint)"));

    connect(m_add, &QAction::triggered, this, [this] { m_doc->addLayer(); });
    connect(m_delete, &QAction::triggered, this, [this] { m_doc->removeLayer(m_doc->activeLayerIndex()); });
    connect(m_rename, &QAction::triggered, this, &LayerPanel::renameActive);
    connect(m_up, &QAction::triggered, this, [this] {
        const int i = m_doc->activeLayerIndex();
        m_doc->moveLayer(i, i + 1);
    });
    connect(m_down, &QAction::triggered, this, [this] {
        const int i = m_doc->activeLayerIndex();
        m_doc->moveLayer(i, i - 1);
    });
    connect(m_color, &QAction::triggered, this, &LayerPanel::chooseColor);
    connect(m_toggleVisible, &QAction::triggered, this, [this] {
        const int i = m_doc->activeLayerIndex();
        if (i >= 0) m_doc->setLayerVisible(i, !m_doc->layer(i).visible);
    });
    connect(m_clear, &QAction::triggered, this, [this] { m_doc->clearLayer(m_doc->activeLayerIndex()); });
    connect(m_fill, &QAction::triggered, this, [this] { m_doc->fillLayer(m_doc->activeLayerIndex()); });
    connect(m_invert, &QAction::triggered, this, [this] { m_doc->invertLayer(m_doc->activeLayerIndex()); });
    connect(m_import, &QAction::triggered, this, &LayerPanel::importMaskRequested);
    connect(m_export, &QAction::triggered, this, &LayerPanel::exportMaskRequested);

    m_list = new QListWidget(this);
    m_list->setObjectName(QStringLiteral("layerList"));
    m_list->setSelectionMode(QAbstractItemView::SingleSelection);
    m_list->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_list->setIconSize(QSize(16, 16));
    m_list->setToolTip(tr("Mask layers: the checkbox shows or hides a layer; double-click renames it.\n"
                          "The inpainting mask is the union of the visible layers."));
    m_list->setMinimumHeight(60);
    connect(m_list, &QListWidget::itemChanged, this, &LayerPanel::onItemChanged);
    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (m_updating || row < 0) return;
        m_doc->setActiveLayerIndex(indexForRow(row));
    });

    m_opacity = new QSlider(Qt::Horizontal, this);
    m_opacity->setObjectName(QStringLiteral("opacitySlider"));
    m_opacity->setRange(0, 100);
    m_opacity->setValue(int(m_doc->overlayOpacity() * 100));
    m_opacity->setToolTip(tr("How strongly the mask overlays tint the image (display only)"));
    m_opacityValue = new QLabel(this);
    m_opacityValue->setMinimumWidth(m_opacityValue->fontMetrics().horizontalAdvance(QStringLiteral("100 %")));
    connect(m_opacity, &QSlider::valueChanged, this, [this](int v) {
        m_opacityValue->setText(tr("%1 %").arg(v));
        if (!m_updating) m_doc->setOverlayOpacity(v / 100.0);
    });
    m_opacityValue->setText(tr("%1 %").arg(m_opacity->value()));

    auto* buttons = new QHBoxLayout;
    buttons->setSpacing(0);
    for (QAction* a : {m_add, m_delete, m_up, m_down, m_color, m_clear, m_fill, m_invert, m_import, m_export})
        buttons->addWidget(toolButton(a, this));
    buttons->addStretch(1);

    auto* opacityRow = new QHBoxLayout;
    opacityRow->addWidget(new QLabel(tr("Overlay"), this));
    opacityRow->addWidget(m_opacity, 1);
    opacityRow->addWidget(m_opacityValue);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_list, 1);
    layout->addLayout(buttons);
    layout->addLayout(opacityRow);

    connect(doc, &document::Document::layersChanged, this, &LayerPanel::rebuild);
    connect(doc, &document::Document::documentReset, this, &LayerPanel::rebuild);
    connect(doc, &document::Document::canvasResized, this, &LayerPanel::rebuild);
    connect(doc, &document::Document::activeLayerChanged, this, &LayerPanel::syncActive);
    connect(doc, &document::Document::overlayOpacityChanged, this, [this](qreal o) {
        m_updating = true;
        m_opacity->setValue(int(std::lround(o * 100)));
        m_updating = false;
    });
    rebuild();
}

int LayerPanel::rowForIndex(int index) const { return index < 0 ? -1 : m_doc->layerCount() - 1 - index; }
int LayerPanel::indexForRow(int row) const { return row < 0 ? -1 : m_doc->layerCount() - 1 - row; }

void LayerPanel::rebuild() {
    m_updating = true;
    m_list->clear();
    for (int row = 0; row < m_doc->layerCount(); ++row) {
        const auto& l = m_doc->layer(indexForRow(row));
        auto* item = new QListWidgetItem(swatch(l.color), l.name);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsEditable | Qt::ItemIsUserCheckable);
        item->setCheckState(l.visible ? Qt::Checked : Qt::Unchecked);
        item->setData(Qt::UserRole, QVariant::fromValue(l.id));
        if (!l.visible) item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
        m_list->addItem(item);
    }
    m_list->setCurrentRow(rowForIndex(m_doc->activeLayerIndex()));
    m_updating = false;
    updateActions();
}

void LayerPanel::syncActive() {
    m_updating = true;
    m_list->setCurrentRow(rowForIndex(m_doc->activeLayerIndex()));
    m_updating = false;
    updateActions();
}

void LayerPanel::updateActions() {
    const bool open = !m_doc->isNull();
    const int i = m_doc->activeLayerIndex();
    const bool has = open && i >= 0;
    m_add->setEnabled(open);
    m_delete->setEnabled(has);
    m_rename->setEnabled(has);
    m_up->setEnabled(has && i < m_doc->layerCount() - 1);
    m_down->setEnabled(has && i > 0);
    m_color->setEnabled(has);
    m_toggleVisible->setEnabled(has);
    m_clear->setEnabled(has);
    m_fill->setEnabled(has);
    m_invert->setEnabled(has);
    m_import->setEnabled(open);
    m_export->setEnabled(open);
}

void LayerPanel::onItemChanged(QListWidgetItem* item) {
    if (m_updating) return;
    const int index = m_doc->indexOfLayer(item->data(Qt::UserRole).value<quint64>());
    if (index < 0) return;
    const bool visible = item->checkState() == Qt::Checked;
    const QString name = item->text().trimmed();
    // Each change is its own undo step; rebuild() runs from the document's signal.
    if (visible != m_doc->layer(index).visible) m_doc->setLayerVisible(index, visible);
    else if (!name.isEmpty() && name != m_doc->layer(index).name) m_doc->renameLayer(index, name);
    else rebuild();  // e.g. an empty name: show the old one again
}

void LayerPanel::chooseColor() {
    const int i = m_doc->activeLayerIndex();
    if (i < 0 || !m_dialogs) return;
    const QColor c = m_dialogs->color(this, m_doc->layer(i).color, tr("Colour of “%1”").arg(m_doc->layer(i).name));
    if (c.isValid()) m_doc->setLayerColor(i, c);
}

void LayerPanel::renameActive() {
    const int i = m_doc->activeLayerIndex();
    if (i < 0) return;
    if (QListWidgetItem* item = m_list->item(rowForIndex(i))) m_list->editItem(item);
}

}  // namespace inpaint::ui
