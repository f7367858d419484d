// A Sequential model as a plain ordered list: one row per layer with its type, key config and
// output shape. Functional models show a note instead; selection follows the canvas.
#pragma once

#include <QWidget>

class QLabel;
class QTreeWidget;

namespace strata::gui {

class GraphModel;

class LayerListPanel : public QWidget {
    Q_OBJECT
public:
    explicit LayerListPanel(GraphModel* model, QWidget* parent = nullptr);

    QTreeWidget* list() const { return list_; }
    void selectLayers(const std::vector<std::string>& layers);

public slots:
    void refresh();

signals:
    void layerSelected(const std::string& layer);

private:
    GraphModel* model_;
    QLabel* note_;
    QTreeWidget* list_;
    bool syncing_ = false;
};

} // namespace strata::gui
