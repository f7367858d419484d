// The layer palette: every registered type grouped by category, with its icon and the registry's
// description as tooltip, and a filter box. Dragging an entry carries LayerMime data; a
// double-click asks to append the type after the selected layer.
#pragma once

#include <QWidget>

class QLineEdit;
class QMimeData;
class QTreeWidget;
class QTreeWidgetItem;

namespace strata::gui {

class PaletteTree;

class PalettePanel : public QWidget {
    Q_OBJECT
public:
    explicit PalettePanel(QWidget* parent = nullptr);

    QLineEdit* filterBox() const { return filter_; }
    QTreeWidget* tree() const;
    QTreeWidgetItem* itemFor(const QString& type) const;
    // The drag data of an entry, exactly as a drag from the palette carries it.
    QMimeData* mimeDataFor(const QString& type) const;

    static const QStringList& categories(); // in palette order

public slots:
    void setFilter(const QString& text);

signals:
    void activated(const QString& type); // double-click or Enter

private:
    QLineEdit* filter_;
    PaletteTree* tree_;
};

} // namespace strata::gui
