// The issues list: every problem shape inference found in the open level, "layer: message";
// activating one asks to select its layer.
#pragma once

#include <QListWidget>

namespace strata::gui {

class GraphModel;

class IssuesPanel : public QListWidget {
    Q_OBJECT
public:
    explicit IssuesPanel(GraphModel* model, QWidget* parent = nullptr);

public slots:
    void refresh();

signals:
    void layerActivated(const std::string& layer);
    void countChanged(int issues);

private:
    GraphModel* model_;
};

} // namespace strata::gui
