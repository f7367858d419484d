#include "app/gui/inspect/TraceScene.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/inspect/TraceClusterItem.h"
#include "app/gui/inspect/TraceFold.h"
#include "app/gui/inspect/TraceItems.h"
#include "app/gui/inspect/TraceLayout.h"

#include <QFontMetricsF>
#include <QGraphicsSceneMouseEvent>
#include <QScrollBar>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

QString counted(int n, const char* noun) {
    return QStringLiteral("%1 %2%3").arg(n).arg(QLatin1String(noun)).arg(n == 1 ? "" : "s");
}

// The words on a collapsed cluster's box: its label, how many ops, and the shapes that leave it.
TraceGroupText groupText(const ir::Graph& g, const TraceCluster& c, int ops, const std::vector<ir::ValueId>& outputs) {
    TraceGroupText t;
    t.label = c.label;
    t.scope = q(c.scope);
    t.count = counted(ops, "op");
    QStringList shapes;
    for (ir::ValueId v : outputs)
        if (const QString s = q(g.shape(v).toString()); !shapes.contains(s)) shapes << s;
    t.outputs = shapes.mid(0, 2).join(QStringLiteral("; "));
    if (shapes.size() > 2) t.outputs += QObject::tr(" +%1 more").arg(shapes.size() - 2);
    t.tooltip = QObject::tr("%1\n%2; %3 out: %4\nClick to expand")
                    .arg(t.scope, t.count)
                    .arg(outputs.size())
                    .arg(shapes.isEmpty() ? QObject::tr("none") : shapes.mid(0, 8).join(QStringLiteral(", ")) +
                                                                   (shapes.size() > 8 ? QStringLiteral(", …") : QString()));
    return t;
}
} // namespace

TraceScene::TraceScene(QObject* parent) : QGraphicsScene(parent) {
    setBackgroundBrush(CanvasStyle::current().background);
    connect(this, &QGraphicsScene::selectionChanged, this, &TraceScene::onSelectionChanged);
}

TraceScene::~TraceScene() {
    // Deleting a selected item changes the selection: no handler may touch half-deleted items.
    blockSignals(true);
    clear();
}

void TraceScene::setTrace(const train::TracedModel* trace, const std::vector<TraceNodeText>& texts) {
    trace_ = trace;
    texts_ = trace ? texts : std::vector<TraceNodeText>{};
    tree_ = trace ? TraceClusterTree::of(trace->graph) : TraceClusterTree{};
    // Neighbouring layers in different tints; a block's layers share the block's.
    hues_.clear();
    int topLevel = 0;
    for (const TraceCluster& c : tree_.clusters)
        hues_.push_back(c.parent < 0 ? (topLevel++ * 67 + 200) % 360 : hues_[std::size_t(c.parent)]);
    {
        const QSignalBlocker block(this);
        clearSelection();
    }
    rebuild(-1);
}

std::vector<bool> TraceScene::expandedFlags() const {
    std::vector<bool> flags;
    for (const TraceCluster& c : tree_.clusters) flags.push_back(expanded_.count(c.scope) > 0);
    return flags;
}

QRectF TraceScene::anchorRect(int cluster) const {
    if (cluster < 0 || cluster >= int(tree_.clusters.size())) return {};
    const QString scope = q(tree_.clusters[std::size_t(cluster)].scope);
    if (TraceGroupItem* g = groupItem(scope)) return g->sceneBoundingRect();
    if (TraceClusterItem* c = clusterItem(scope)) return c->rect();
    return {};
}

void TraceScene::rebuild(int anchor) {
    // Where the anchor is in each view, to put it back there.
    const QRectF before = anchorRect(anchor);
    std::vector<QPoint> anchorInView;
    for (QGraphicsView* v : views()) anchorInView.push_back(v->mapFromScene(QPointF(before.center().x(), before.top())));
    const int selected = selectedNode();

    QSignalBlocker block(this); // not for sceneRectChanged, which the views need
    clear();
    nodes_.clear();
    edges_.clear();
    groups_.clear();
    clusters_.clear();
    byGraphviz_ = false;
    if (!trace_) {
        block.unblock();
        setSceneRect(QRectF());
        return;
    }
    const ir::Graph& g = trace_->graph;
    const TraceFold fold = TraceFold::of(g, trace_->outputs, tree_, expandedFlags());
    std::vector<QSizeF> sizes;
    std::vector<TraceGroupText> groupTexts(fold.boxes.size());
    for (std::size_t b = 0; b < fold.boxes.size(); ++b) {
        const TraceFold::Box& box = fold.boxes[b];
        if (box.node >= 0) {
            sizes.push_back(TraceNodeItem::sizeFor(texts_[std::size_t(box.node)]));
            continue;
        }
        groupTexts[b] = groupText(g, tree_.clusters[std::size_t(box.cluster)], fold.clusterNodeCount[std::size_t(box.cluster)],
                                  fold.boxOutputs[b]);
        sizes.push_back(TraceGroupItem::sizeFor(groupTexts[b]));
    }
    // A wire to or from a collapsed cluster that carries one tensor is labelled with its shape
    // (an op's box shows its own output shape).
    std::vector<QString> labels;
    for (std::size_t e = 0; e < fold.edges.size(); ++e) {
        const auto [from, to] = fold.edges[e];
        const bool group = fold.boxes[std::size_t(from)].cluster >= 0 || fold.boxes[std::size_t(to)].cluster >= 0;
        labels.push_back(group && fold.edgeValue[e] != ir::kNoValue ? q(g.shape(fold.edgeValue[e]).toString()) : QString());
    }
    const double labelSize = QFontMetricsF(CanvasStyle::current().smallFont).height() / 1.2;
    const TraceLayoutResult layout =
        TraceLayout::dot(fold.layoutGraph(tree_, sizes, labels), TraceClusterItem::labelHeight(), labelSize);
    byGraphviz_ = layout.byGraphviz;

    for (std::size_t k = 0; k < fold.frames.size(); ++k) {
        const int c = fold.frames[k];
        auto* item = new TraceClusterItem(layout.clusters[k], hues_[std::size_t(c)], c);
        addItem(item);
        clusters_.push_back(item);
    }
    nodes_.assign(std::size_t(g.nodeCount()), nullptr);
    std::vector<QGraphicsItem*> boxes;
    for (std::size_t b = 0; b < fold.boxes.size(); ++b) {
        const TraceFold::Box& box = fold.boxes[b];
        if (box.node >= 0) {
            const int n = box.node;
            bool isOutput = false;
            for (ir::ValueId v : g.node(n).outputs)
                isOutput = isOutput || std::find(trace_->outputs.begin(), trace_->outputs.end(), v) != trace_->outputs.end();
            auto* item = new TraceNodeItem(n, traceNodeKind(g, n), texts_[std::size_t(n)], isOutput);
            item->setRect(layout.nodes[b]);
            addItem(item);
            nodes_[std::size_t(n)] = item;
            boxes.push_back(item);
        } else {
            auto* item = new TraceGroupItem(box.cluster, groupTexts[b], hues_[std::size_t(box.cluster)]);
            item->setRect(layout.nodes[b]);
            addItem(item);
            groups_.push_back(item);
            boxes.push_back(item);
        }
    }
    for (const TraceEdge& e : layout.edges) {
        auto* item = new TraceEdgeItem(e, boxes[std::size_t(e.from)], boxes[std::size_t(e.to)]);
        addItem(item);
        edges_.push_back(item);
    }
    if (QGraphicsItem* item = nodeItem(selected)) item->setSelected(true);
    block.unblock();
    setSceneRect(itemsBoundingRect().adjusted(-24, -24, 24, 24));
    if (selected >= 0 && !nodeItem(selected)) emit nodeSelected(-1); // collapsed out of sight: the table follows

    const QRectF after = anchorRect(anchor);
    if (after.isNull()) return;
    const QList<QGraphicsView*> all = views();
    for (qsizetype i = 0; i < all.size() && std::size_t(i) < anchorInView.size(); ++i) {
        QGraphicsView* v = all[i];
        const double scale = v->transform().m11();
        const QPointF offset = QPointF(v->viewport()->rect().center() - anchorInView[std::size_t(i)]) / scale;
        v->centerOn(QPointF(after.center().x(), after.top()) + offset);
    }
}

int TraceScene::nodeCount() const {
    return int(std::count_if(nodes_.begin(), nodes_.end(), [](const TraceNodeItem* n) { return n != nullptr; }));
}

TraceClusterItem* TraceScene::clusterItem(int index) const {
    return index >= 0 && index < int(clusters_.size()) ? clusters_[std::size_t(index)] : nullptr;
}

TraceClusterItem* TraceScene::clusterItem(const QString& scope) const {
    for (TraceClusterItem* c : clusters_)
        if (c->scope() == scope) return c;
    return nullptr;
}

TraceGroupItem* TraceScene::groupItem(const QString& scope) const {
    for (TraceGroupItem* g : groups_)
        if (g->scope() == scope) return g;
    return nullptr;
}

bool TraceScene::isExpanded(const QString& scope) const { return expanded_.count(scope.toStdString()) > 0; }

void TraceScene::setExpanded(const QString& scope, bool expanded) {
    if (isExpanded(scope) == expanded) return;
    const std::string s = scope.toStdString();
    if (expanded) expanded_.insert(s);
    else expanded_.erase(s);
    int anchor = -1;
    for (std::size_t k = 0; k < tree_.clusters.size(); ++k)
        if (tree_.clusters[k].scope == s) anchor = int(k);
    rebuild(anchor);
}

void TraceScene::expandAll() {
    for (const TraceCluster& c : tree_.clusters) expanded_.insert(c.scope);
    rebuild(-1);
}

void TraceScene::collapseAll() {
    expanded_.clear();
    rebuild(-1);
}

void TraceScene::clusterClicked(int cluster) { pendingToggle_ = cluster; }

void TraceScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
    QGraphicsScene::mouseReleaseEvent(event); // the clicked item is done with the event
    const int cluster = pendingToggle_;
    pendingToggle_ = -1;
    if (cluster < 0 || cluster >= int(tree_.clusters.size())) return;
    const QString scope = q(tree_.clusters[std::size_t(cluster)].scope);
    setExpanded(scope, !isExpanded(scope));
}

QGraphicsItem* TraceScene::nodeItem(int node) const {
    return node >= 0 && node < int(nodes_.size()) ? nodes_[std::size_t(node)] : nullptr;
}

int TraceScene::selectedNode() const {
    for (QGraphicsItem* item : selectedItems())
        if (auto* n = dynamic_cast<TraceNodeItem*>(item)) return n->node();
    return -1;
}

void TraceScene::selectNode(int node) {
    if (node >= 0 && node < int(nodes_.size()) && !nodes_[std::size_t(node)] && trace_) {
        // Hidden in a collapsed cluster: expand the clusters around it, keeping the outermost in place.
        int anchor = -1;
        for (int c = tree_.nodeCluster[std::size_t(node)]; c >= 0; c = tree_.clusters[std::size_t(c)].parent)
            if (expanded_.insert(tree_.clusters[std::size_t(c)].scope).second) anchor = c;
        rebuild(anchor);
    }
    QGraphicsItem* item = nodeItem(node);
    if (item && item->isSelected() && selectedItems().size() == 1) return;
    {
        const QSignalBlocker block(this);
        clearSelection();
        if (item) item->setSelected(true);
    }
    onSelectionChanged();
}

void TraceScene::onSelectionChanged() {
    for (TraceEdgeItem* e : edges_) e->update();
    emit nodeSelected(selectedNode());
}

TraceGraphicsView::TraceGraphicsView(QGraphicsScene* scene, QWidget* parent) : QGraphicsView(scene, parent) {
    setRenderHint(QPainter::Antialiasing);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setToolTip(tr("Ctrl+wheel zooms; drag to pan"));
}

void TraceGraphicsView::fitWidth() {
    userZoomed_ = false;
    const QRectF r = sceneRect();
    if (r.isEmpty()) return;
    // Never so small that the boxes cannot be read: a wide graph scrolls sideways instead.
    const double s = std::clamp((viewport()->width() - 4) / r.width(), 0.4, 1.0);
    setTransform(QTransform::fromScale(s, s));
    ensureVisible(QRectF(r.center().x(), r.top(), 1, 1), 0, 0);
    centerOn(r.center().x(), r.top() + viewport()->height() / (2 * s));
}

void TraceGraphicsView::zoomBy(double factor) {
    userZoomed_ = true;
    const double s = std::clamp(transform().m11() * factor, 0.05, 4.0);
    setTransform(QTransform::fromScale(s, s));
}

void TraceGraphicsView::wheelEvent(QWheelEvent* event) {
    if (event->modifiers() & Qt::ControlModifier) {
        zoomBy(std::pow(1.0015, event->angleDelta().y()));
        event->accept();
        return;
    }
    QGraphicsView::wheelEvent(event);
}

void TraceGraphicsView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    // The viewport's resizes come here too: a scroll bar that appears as a cluster expands must
    // not change the zoom, only the view's own new size fits again.
    if (size() == fittedFor_) return;
    fittedFor_ = size();
    if (!userZoomed_) fitWidth();
}

} // namespace strata::gui
