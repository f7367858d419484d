#include "app/gui/inspect/TraceScene.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/inspect/TraceClusterItem.h"
#include "app/gui/inspect/TraceLayout.h"

#include <QFontMetricsF>
#include <QGraphicsItem>
#include <QPainter>
#include <QStyleOptionGraphicsItem>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace strata::gui {

namespace {
constexpr double kPad = 6, kStripe = 5, kMinWidth = 120, kMaxWidth = 300;

QColor kindColor(TraceNodeKind kind) {
    switch (kind) {
    case TraceNodeKind::Input: return QColor(0x3b, 0x82, 0xf6);
    case TraceNodeKind::Variable: return QColor(0x22, 0xa0, 0x6b);
    case TraceNodeKind::Constant: return QColor(0x8b, 0x8d, 0x98);
    case TraceNodeKind::Random: return QColor(0xe8, 0x8c, 0x1e);
    case TraceNodeKind::Op: return QColor(0x8e, 0x4e, 0xc6);
    }
    return {};
}

QFont titleFont() {
    QFont f = CanvasStyle::current().bodyFont;
    f.setBold(true);
    return f;
}
QFont smallFont() { return CanvasStyle::current().smallFont; }
} // namespace

class TraceNodeItem : public QGraphicsItem {
public:
    TraceNodeItem(int node, TraceNodeKind kind, const TraceNodeText& text, bool isOutput)
        : node_(node), kind_(kind), title_(text.title), shape_(text.outputs), label_(text.label), isOutput_(isOutput) {
        setFlag(ItemIsSelectable);
        setToolTip(QStringLiteral("%1%2\n%3%4%5").arg(text.title, text.layer.isEmpty() ? QString() : QStringLiteral(" in ") + text.layer, text.outputs,
                                                    text.attributes.isEmpty() ? QString() : QStringLiteral("\n") + text.attributes,
                                                    text.role.isEmpty() ? QString() : QStringLiteral("\n") + text.role));
        setCursor(Qt::PointingHandCursor);
    }

    static QSizeF sizeFor(const TraceNodeText& text) {
        const QFontMetricsF title(titleFont()), small(smallFont());
        double w = std::max({title.horizontalAdvance(text.title), small.horizontalAdvance(text.outputs),
                             small.horizontalAdvance(text.label)});
        w = std::clamp(w + 2 * kPad + kStripe, kMinWidth, kMaxWidth);
        double h = title.height() + small.height() + 2 * kPad;
        if (!text.label.isEmpty()) h += small.height();
        return {std::ceil(w), std::ceil(h)};
    }

    int node() const { return node_; }
    void setRect(const QRectF& r) {
        prepareGeometryChange();
        setPos(r.topLeft());
        rect_ = QRectF(QPointF(0, 0), r.size());
    }
    QRectF boundingRect() const override { return rect_.adjusted(-3, -3, 3, 3); }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override {
        const CanvasStyle& st = CanvasStyle::current();
        p->setRenderHint(QPainter::Antialiasing);
        const QColor accent = kindColor(kind_);
        QPen border(isSelected() ? st.selection : (isOutput_ ? accent : st.nodeBorder), isSelected() || isOutput_ ? 2.5 : 1.0);
        p->setPen(border);
        p->setBrush(st.nodeBody);
        p->drawRoundedRect(rect_, 5, 5);
        p->setPen(Qt::NoPen);
        p->setBrush(accent);
        p->drawRoundedRect(QRectF(rect_.left() + 1, rect_.top() + 1, kStripe, rect_.height() - 2), 2, 2);

        const double x = kStripe + kPad, w = rect_.width() - x - kPad;
        double y = kPad;
        const QFont tf = titleFont(), sf = smallFont();
        const QFontMetricsF tm(tf), sm(sf);
        p->setPen(st.text);
        p->setFont(tf);
        p->drawText(QRectF(x, y, w, tm.height()), Qt::AlignLeft | Qt::AlignVCenter, tm.elidedText(title_, Qt::ElideRight, w));
        y += tm.height();
        p->setFont(sf);
        p->setPen(st.mutedText);
        p->drawText(QRectF(x, y, w, sm.height()), Qt::AlignLeft | Qt::AlignVCenter, sm.elidedText(shape_, Qt::ElideRight, w));
        y += sm.height();
        if (!label_.isEmpty()) {
            p->setPen(kind_ == TraceNodeKind::Op ? st.text : accent.darker(st.dark ? 70 : 130));
            p->drawText(QRectF(x, y, w, sm.height()), Qt::AlignLeft | Qt::AlignVCenter, sm.elidedText(label_, Qt::ElideMiddle, w));
        }
    }

private:
    int node_;
    TraceNodeKind kind_;
    QString title_, shape_, label_;
    bool isOutput_;
    QRectF rect_;
};

class TraceEdgeItem : public QGraphicsItem {
public:
    TraceEdgeItem(const TraceEdge& e, const TraceNodeItem* from, const TraceNodeItem* to)
        : edge_(e), from_(from), to_(to) {
        setZValue(-1);
        QPainterPath all = e.path;
        all.addRect(QRectF(e.arrowTip, e.arrowBase).normalized());
        bounds_ = all.boundingRect().adjusted(-6, -6, 6, 6);
    }
    QRectF boundingRect() const override { return bounds_; }

    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override {
        const CanvasStyle& st = CanvasStyle::current();
        const bool lit = from_->isSelected() || to_->isSelected();
        const QColor c = lit ? st.selection : st.wire;
        p->setRenderHint(QPainter::Antialiasing);
        p->setPen(QPen(c, lit ? 2.2 : 1.2));
        p->setBrush(Qt::NoBrush);
        p->drawPath(edge_.path);
        // The arrow head: a triangle from its base to the tip.
        const QPointF d = edge_.arrowTip - edge_.arrowBase;
        const double len = std::hypot(d.x(), d.y());
        if (len < 1e-6) return;
        const QPointF normal(-d.y() / len * 4.5, d.x() / len * 4.5);
        p->setPen(Qt::NoPen);
        p->setBrush(c);
        p->drawPolygon(QPolygonF{edge_.arrowTip, edge_.arrowBase + normal, edge_.arrowBase - normal});
    }

private:
    TraceEdge edge_;
    const TraceNodeItem* from_;
    const TraceNodeItem* to_;
    QRectF bounds_;
};

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
    const QSignalBlocker block(this);
    clear();
    nodes_.clear();
    edges_.clear();
    clusters_.clear();
    byGraphviz_ = false;
    if (!trace) {
        setSceneRect(QRectF());
        return;
    }
    const ir::Graph& g = trace->graph;
    std::vector<QSizeF> sizes;
    for (const TraceNodeText& t : texts) sizes.push_back(TraceNodeItem::sizeFor(t));
    const TraceLayoutResult layout = TraceLayout::dot(g, sizes, TraceClusterItem::labelHeight());
    byGraphviz_ = layout.byGraphviz;
    // Neighbouring layers in different tints; a block's layers share the block's.
    std::vector<int> hues;
    int topLevel = 0;
    for (const TraceCluster& c : layout.clusters) {
        hues.push_back(c.parent < 0 ? (topLevel++ * 67 + 200) % 360 : hues[std::size_t(c.parent)]);
        if (c.rect.isNull()) continue;
        auto* item = new TraceClusterItem(c, hues.back());
        addItem(item);
        clusters_.push_back(item);
    }
    for (int n = 0; n < g.nodeCount(); ++n) {
        bool isOutput = false;
        for (ir::ValueId v : g.node(n).outputs)
            isOutput = isOutput || std::find(trace->outputs.begin(), trace->outputs.end(), v) != trace->outputs.end();
        auto* item = new TraceNodeItem(n, traceNodeKind(g, n), texts[std::size_t(n)], isOutput);
        item->setRect(layout.nodes[std::size_t(n)]);
        addItem(item);
        nodes_.push_back(item);
    }
    for (const TraceEdge& e : layout.edges) {
        auto* item = new TraceEdgeItem(e, nodes_[std::size_t(e.from)], nodes_[std::size_t(e.to)]);
        addItem(item);
        edges_.push_back(item);
    }
    setSceneRect(itemsBoundingRect().adjusted(-24, -24, 24, 24));
}

TraceClusterItem* TraceScene::clusterItem(int index) const {
    return index >= 0 && index < int(clusters_.size()) ? clusters_[std::size_t(index)] : nullptr;
}

TraceClusterItem* TraceScene::clusterItem(const QString& scope) const {
    for (TraceClusterItem* c : clusters_)
        if (c->scope() == scope) return c;
    return nullptr;
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
    if (!userZoomed_) fitWidth();
}

} // namespace strata::gui
