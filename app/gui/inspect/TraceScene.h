// The drawn traced graph, as TensorBoard draws name scopes: each top-level cluster (a layer's
// scope, a block's, "gradients", "optimizer", "loss") starts collapsed into one box with its
// label, op count and output shapes; a click on it expands it into a labelled frame around its
// ops (a block's layers inside it, collapsed in turn), a click on a frame's title collapses it
// again. Ops outside any cluster are their own boxes. Wires join boxes, one per pair of boxes,
// labelled with the tensor's shape when they carry one. Each expand or collapse lays the graph
// out again (TraceLayout) and keeps the clicked cluster where it was in the view. Selecting an op
// (a box, or selectNode for one inside a collapsed cluster, which expands it) highlights its
// wires and reports the node; TraceGraphicsView zooms with Ctrl+wheel and fits the width.
#pragma once

#include "app/gui/inspect/TraceClusters.h"
#include "app/gui/inspect/TraceText.h"

#include <QGraphicsScene>
#include <QGraphicsView>

#include <set>
#include <string>
#include <vector>

namespace strata::gui {

class TraceNodeItem;
class TraceEdgeItem;
class TraceGroupItem;
class TraceClusterItem;

class TraceScene : public QGraphicsScene {
    Q_OBJECT
public:
    explicit TraceScene(QObject* parent = nullptr);
    ~TraceScene() override;

    // Draws `trace` (null: empty), which must outlive the drawing. `texts` holds one entry per
    // node. The clusters expanded before stay expanded when the new trace has them.
    void setTrace(const train::TracedModel* trace, const std::vector<TraceNodeText>& texts);
    // The ops drawn as boxes of their own (not inside a collapsed cluster).
    int nodeCount() const;
    int edgeCount() const { return int(edges_.size()); }
    const std::vector<TraceEdgeItem*>& edgeItems() const { return edges_; }
    // Every cluster of the trace, expanded or not (TraceClusterTree::of).
    const TraceClusterTree& clusterTree() const { return tree_; }
    // The frames of the expanded clusters drawn; by scope, e.g. "model/dense_1" (null when not drawn).
    int clusterCount() const { return int(clusters_.size()); }
    TraceClusterItem* clusterItem(int index) const;
    TraceClusterItem* clusterItem(const QString& scope) const;
    // The boxes of the collapsed clusters drawn; by scope (null when not drawn collapsed).
    const std::vector<TraceGroupItem*>& groupItems() const { return groups_; }
    TraceGroupItem* groupItem(const QString& scope) const;
    bool laidOutByGraphviz() const { return byGraphviz_; }

    bool isExpanded(const QString& scope) const;
    // Expands or collapses one cluster (its enclosing ones are left as they are).
    void setExpanded(const QString& scope, bool expanded);
    void expandAll();
    void collapseAll();
    // A click on a collapsed box or an expanded frame's title: toggles it once the click is done.
    void clusterClicked(int cluster);

    // The box of a node; null for an unknown id or one inside a collapsed cluster.
    QGraphicsItem* nodeItem(int node) const;
    int selectedNode() const;
    // Selects a node's box, first expanding the clusters that hide it (-1: none).
    void selectNode(int node);

signals:
    void nodeSelected(int node); // -1 when nothing is selected

protected:
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;

private:
    void onSelectionChanged();
    // Draws the trace again with the clusters in expanded_; `anchor` (a cluster, or -1) keeps
    // its place in every view.
    void rebuild(int anchor);
    QRectF anchorRect(int cluster) const;
    std::vector<bool> expandedFlags() const;

    const train::TracedModel* trace_ = nullptr;
    std::vector<TraceNodeText> texts_;
    TraceClusterTree tree_;
    std::vector<int> hues_;
    std::set<std::string> expanded_; // scopes
    std::vector<TraceNodeItem*> nodes_; // per node; null inside a collapsed cluster
    std::vector<TraceEdgeItem*> edges_;
    std::vector<TraceGroupItem*> groups_;
    std::vector<TraceClusterItem*> clusters_;
    int pendingToggle_ = -1;
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
    QSize fittedFor_; // the view's size when it last fitted on a resize
};

} // namespace strata::gui
