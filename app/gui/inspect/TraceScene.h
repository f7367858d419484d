// The drawn traced graph: one box per node (title, output shape, and a name, path or role),
// arrows from producers to consumers, laid out by TraceLayout, and a labelled cluster around
// each layer's boxes (TraceClusterItem). Selecting a box highlights its arrows and reports the
// node; TraceGraphicsView zooms with Ctrl+wheel and fits the width.
#pragma once

#include "app/gui/inspect/TraceText.h"

#include <QGraphicsView>
#include <QGraphicsScene>

#include <vector>

namespace strata::gui {

class TraceNodeItem;
class TraceEdgeItem;
class TraceClusterItem;

class TraceScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit TraceScene(QObject* parent = nullptr);
    ~TraceScene() override;

    // Draws `trace` (null: empty). `texts` holds one entry per node.
    void setTrace(const train::TracedModel* trace, const std::vector<TraceNodeText>& texts);
    int nodeCount() const { return int(nodes_.size()); }
    int edgeCount() const { return int(edges_.size()); }
    // One cluster per layer scope (and per enclosing block); by scope, e.g. "model/dense_1".
    int clusterCount() const { return int(clusters_.size()); }
    TraceClusterItem* clusterItem(int index) const;
    TraceClusterItem* clusterItem(const QString& scope) const; // null when absent
    bool laidOutByGraphviz() const { return byGraphviz_; }
    // The box of a node (null for an unknown id); the selected node, or -1.
    QGraphicsItem* nodeItem(int node) const;
    int selectedNode() const;
    void selectNode(int node);

signals:
    void nodeSelected(int node); // -1 when nothing is selected

private:
    void onSelectionChanged();

    std::vector<TraceNodeItem*> nodes_;
    std::vector<TraceEdgeItem*> edges_;
    std::vector<TraceClusterItem*> clusters_;
    bool byGraphviz_ = false;
};

class TraceGraphicsView : public QGraphicsView {
    Q_OBJECT
public:
    explicit TraceGraphicsView(QGraphicsScene* scene, QWidget* parent = nullptr);
    // Scales so that the graph's width fits (never above 100%) and shows its top.
    void fitWidth();
    void zoomBy(double factor);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    bool userZoomed_ = false;
};

} // namespace strata::gui
