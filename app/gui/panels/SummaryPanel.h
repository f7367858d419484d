// The summary panel: the engine's SummaryTable (the table `strata-cli summary` prints) as rows,
// with total, trainable and non-trainable parameter counts; blocks expand to their layers.
#pragma once

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace strata::gui {

class GraphModel;

class SummaryPanel : public QWidget {
    Q_OBJECT
public:
    explicit SummaryPanel(GraphModel* model, QWidget* parent = nullptr);

    QTreeWidget* table() const { return table_; }
    QString totalsText() const;
    // The cell text of a layer's row (column 0 name, 1 output shape, 2 params, 3 connected to).
    QString cell(const QString& layer, int column) const;
    // The same text as `strata-cli summary`.
    QString plainText() const { return text_; }

public slots:
    void refresh();

signals:
    void layerActivated(const std::string& layer);

private:
    GraphModel* model_;
    QTreeWidget* table_;
    QLabel* totals_;
    QString text_;
};

} // namespace strata::gui
