#include "app/gui/canvas/GraphScene.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/EdgeItem.h"
#include "app/gui/canvas/NodeItem.h"

#include "engine/LayerRegistry.h"

#include <QGraphicsPathItem>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
constexpr double kGrid = 24;
} // namespace

GraphScene::GraphScene(GraphModel* model, GraphEditor* editor, QObject* parent)
    : QGraphicsScene(parent), model_(model), editor_(editor) {
    setItemIndexMethod(QGraphicsScene::BspTreeIndex);
    connect(model_, &GraphModel::changed, this, [this] {
        if (stale_) return;
        stale_ = true;
        QMetaObject::invokeMethod(this, &GraphScene::ensureSynced, Qt::QueuedConnection);
    });
    connect(model_, &GraphModel::levelChanged, this, [this] {
        clearSelection();
        sync();
    });
    sync();
}

GraphScene::~GraphScene() {
    // The base class deletes the items; nobody should hear about selections changing meanwhile.
    blockSignals(true);
    ghosts_.clear();
    nodes_.clear();
    edges_.clear();
    edgesOf_.clear();
}

void GraphScene::ensureSynced() const {
    if (stale_) const_cast<GraphScene*>(this)->sync();
}

const std::map<std::string, NodeItem*>& GraphScene::nodes() const {
    ensureSynced();
    return nodes_;
}

NodeItem* GraphScene::node(const std::string& layer) const {
    ensureSynced();
    auto it = nodes_.find(layer);
    return it == nodes_.end() ? nullptr : it->second;
}

EdgeItem* GraphScene::edge(const std::string& to, int port) const {
    ensureSynced();
    auto it = edges_.find({to, port});
    return it == edges_.end() ? nullptr : it->second;
}

std::vector<std::string> GraphScene::selectedLayers() const {
    ensureSynced();
    std::vector<std::string> out;
    for (const auto& l : model_->spec().layers)
        if (NodeItem* n = node(l.name); n && n->isSelected()) out.push_back(l.name);
    return out;
}

std::vector<Connection> GraphScene::selectedWires() const {
    std::vector<Connection> out;
    for (auto* item : selectedItems())
        if (item->type() == EdgeItem::Type) {
            auto* e = static_cast<EdgeItem*>(item);
            out.push_back({e->from(), e->to(), e->port(), e->output()});
        }
    return out;
}

void GraphScene::selectLayers(const std::vector<std::string>& layers) {
    ensureSynced();
    clearSelection();
    for (const auto& l : layers)
        if (NodeItem* n = node(l)) n->setSelected(true);
}

void GraphScene::sync() {
    stale_ = false;
    syncing_ = true;
    const ModelSpec& spec = model_->spec();
    const auto& reg = LayerRegistry::instance();
    std::set<std::string> alive, consumed;
    for (const auto& l : spec.layers) // a layer whose outputs (its states too) feed another is no model output
        for (const auto& in : l.inbound) consumed.insert(model_->layerOf(in));
    for (const auto& l : spec.layers) {
        alive.insert(l.name);
        NodeItem*& n = nodes_[l.name];
        if (!n) {
            n = new NodeItem(l.name);
            addItem(n);
        }
        NodeItem::Look look;
        look.type = q(l.type);
        look.name = q(l.name);
        look.keyConfig = model_->keyConfigText(l.name);
        const LayerTypeInfo* info = reg.find(l.type);
        look.category = info ? q(info->category) : QString();
        look.inputPorts = model_->inputPortCount(l.name);
        look.hasOutput = true;
        look.extraOutputs = model_->extraOutputNames(l.name);
        look.inputConnected.assign(std::size_t(look.inputPorts), false);
        look.leftToRight = model_->flow() == Flow::LeftToRight;
        for (std::size_t i = 0; i < l.inbound.size() && i < look.inputConnected.size(); ++i) look.inputConnected[i] = true;
        look.errors = model_->errorsOf(l.name);
        if (!consumed.count(l.name)) look.outputLabel = model_->outputShapeText(l.name);
        if (auto m = diffMarks_.find(l.name); m != diffMarks_.end())
            look.diff = m->second.diff, look.diffNote = m->second.note, look.diffDetails = m->second.details;
        n->setLook(look);
        n->setFlag(QGraphicsItem::ItemIsMovable, !readOnly_);
        QPointF pos = model_->position(l.name);
        if (n->pos() != pos) n->setPos(pos);
    }
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        if (!alive.count(it->first)) {
            delete it->second;
            it = nodes_.erase(it);
        } else {
            ++it;
        }
    }

    std::set<std::pair<std::string, int>> wired;
    edgesOf_.clear();
    edgesOfValid_ = false;
    for (const auto& c : model_->connections()) {
        std::pair key{c.to, c.port};
        wired.insert(key);
        EdgeItem*& e = edges_[key];
        if (!e) {
            e = new EdgeItem(c.from, c.to, c.port, c.output);
            addItem(e);
        }
        e->setFrom(c.from);
        e->setOutput(c.output);
        QString shape = model_->outputShapeText(c.from, c.output);
        e->setLabel(shape.isEmpty() ? QStringLiteral("?") : shape, shape.isEmpty());
        updateEdgeGeometry(e);
    }
    for (auto it = edges_.begin(); it != edges_.end();) {
        if (!wired.count(it->first)) {
            delete it->second;
            it = edges_.erase(it);
        } else {
            ++it;
        }
    }
    placeLabels();
    syncing_ = false;
}

void GraphScene::placeLabels() {
    // Obstacles in a coarse grid of cells, so that a large model is placed in near-linear time.
    constexpr double kCell = 128;
    std::unordered_map<uint64_t, std::vector<QRectF>> grid;
    auto cells = [&](const QRectF& r, auto&& f) {
        for (int64_t x = int64_t(std::floor(r.left() / kCell)); x <= int64_t(std::floor(r.right() / kCell)); ++x)
            for (int64_t y = int64_t(std::floor(r.top() / kCell)); y <= int64_t(std::floor(r.bottom() / kCell)); ++y)
                f(grid[(uint64_t(x) << 32) ^ uint64_t(uint32_t(y))]);
    };
    auto add = [&](const QRectF& r) { cells(r, [&](std::vector<QRectF>& c) { c.push_back(r); }); };
    auto free = [&](const QRectF& r) {
        bool ok = true;
        cells(r, [&](std::vector<QRectF>& c) {
            for (const QRectF& o : c) ok = ok && !o.intersects(r);
        });
        return ok;
    };
    const QRectF body(0, 0, NodeGeometry::width, NodeGeometry::height);
    for (const auto& [name, n] : nodes_) {
        add(body.translated(n->pos()).adjusted(-3, -3, 3, 3));
        if (QRectF r = n->outputLabelRect(); !r.isEmpty()) add(r.translated(n->pos()));
    }
    for (NodeItem* g : ghosts_) add(body.translated(g->pos()).adjusted(-3, -3, 3, 3));
    // Labels that report a problem are placed first; then in the order of the layers they feed.
    std::vector<EdgeItem*> order;
    for (const auto& [key, e] : edges_) order.push_back(e);
    std::stable_partition(order.begin(), order.end(), [](EdgeItem* e) { return e->labelIsError(); });
    for (EdgeItem* e : order) {
        std::optional<double> at;
        for (double t : {0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78}) {
            QRectF r = e->labelRectAt(t);
            if (!r.isEmpty() && free(r.adjusted(-2, -2, 2, 2))) {
                at = t;
                add(r);
                break;
            }
        }
        e->placeLabel(at);
    }
}

void GraphScene::updateEdgeGeometry(EdgeItem* e) {
    NodeItem* a = node(e->from());
    NodeItem* b = node(e->to());
    if (a && b) e->setEnds(a->outputPortPos(e->output()), b->inputPortPos(e->port()), model_->flow() == Flow::LeftToRight);
}

void GraphScene::nodeMoved(NodeItem* n) {
    if (syncing_) return; // sync() lays out every wire after it has placed the nodes
    moving_ = true;
    if (!edgesOfValid_) { // built on the first move after a change, not on every edit
        edgesOf_.clear();
        for (const auto& [key, e] : edges_) {
            edgesOf_[e->from()].insert(e);
            edgesOf_[e->to()].insert(e);
        }
        edgesOfValid_ = true;
    }
    // The labels of the wires that move hide until the drop places them all again.
    if (auto it = edgesOf_.find(n->layer()); it != edgesOf_.end())
        for (EdgeItem* e : it->second) {
            e->placeLabel(std::nullopt);
            updateEdgeGeometry(e);
        }
}

NodeItem* GraphScene::nodeAt(QPointF scenePos) const {
    for (QGraphicsItem* item : items(scenePos, Qt::IntersectsItemBoundingRect))
        if (item->type() == NodeItem::Type) return static_cast<NodeItem*>(item);
    return nullptr;
}

QString GraphScene::connectPorts(const std::string& from, const std::string& to, int port) {
    QString why = editor_->connect(from, to, port);
    if (!why.isEmpty()) emit statusMessage(tr("Not connected: %1").arg(why));
    return why;
}

void GraphScene::setDiff(std::map<std::string, DiffMark> marks, const std::vector<DiffGhost>& ghosts) {
    diffMarks_ = std::move(marks);
    for (NodeItem* g : ghosts_) delete g;
    ghosts_.clear();
    const auto& reg = LayerRegistry::instance();
    for (const auto& g : ghosts) {
        auto* n = new NodeItem(g.layer);
        NodeItem::Look look;
        look.type = q(g.type);
        look.name = q(g.layer);
        const LayerTypeInfo* info = reg.find(g.type);
        look.category = info ? q(info->category) : QString();
        look.inputPorts = g.type == "Input" ? 0 : 1;
        look.leftToRight = model_->flow() == Flow::LeftToRight;
        look.diff = NodeItem::Look::Diff::Removed;
        look.diffNote = g.note;
        look.diffDetails = g.details;
        n->setLook(look);
        n->setFlags({}); // a ghost is neither selected nor moved
        n->setOpacity(0.55);
        n->setZValue(0.5);
        n->setPos(g.pos);
        addItem(n);
        ghosts_.push_back(n);
    }
    sync();
}

void GraphScene::setReadOnly(bool on) {
    readOnly_ = on;
    sync();
}

void GraphScene::mousePressEvent(QGraphicsSceneMouseEvent* e) {
    ensureSynced();
    if (e->button() == Qt::LeftButton && !readOnly_)
        if (NodeItem* n = nodeAt(e->scenePos()))
            if (auto hit = n->portAt(e->scenePos())) {
                const LayerSpec* l = model_->layer(n->layer());
                QPointF start;
                if (hit->output) {
                    wireFrom_ = outputRefText(n->layer(), hit->index); // "lstm:1" from a state's port
                    wireOldTo_.clear();
                    wireOldPort_ = -1;
                    start = n->outputPortPos(hit->index);
                } else if (l && hit->index < int(l->inbound.size()) && node(model_->layerOf(l->inbound[std::size_t(hit->index)]))) {
                    // Pick up the wire at this input to move it elsewhere or drop it.
                    wireFrom_ = l->inbound[std::size_t(hit->index)];
                    wireOldTo_ = n->layer();
                    wireOldPort_ = hit->index;
                    start = node(model_->layerOf(wireFrom_))->outputPortPos(model_->resolve(wireFrom_).output);
                    if (EdgeItem* old = edge(wireOldTo_, wireOldPort_)) old->setVisible(false);
                } else {
                    QGraphicsScene::mousePressEvent(e);
                    return;
                }
                wire_ = addPath(EdgeItem::wirePath(start, e->scenePos(), model_->flow() == Flow::LeftToRight),
                                QPen(CanvasStyle::current().selection, 2, Qt::DashLine));
                wire_->setZValue(3);
                wire_->setData(0, start);
                e->accept();
                return;
            }
    moving_ = false;
    QGraphicsScene::mousePressEvent(e);
}

void GraphScene::mouseMoveEvent(QGraphicsSceneMouseEvent* e) {
    if (wire_) {
        wire_->setPath(EdgeItem::wirePath(wire_->data(0).toPointF(), e->scenePos(), model_->flow() == Flow::LeftToRight));
        return;
    }
    QGraphicsScene::mouseMoveEvent(e);
}

void GraphScene::finishWire(QPointF scenePos) {
    delete wire_;
    wire_ = nullptr;
    NodeItem* target = nodeAt(scenePos);
    std::optional<PortHit> hit = target ? target->portAt(scenePos, 16) : std::nullopt;
    int port = -1;
    if (target && hit && !hit->output) port = hit->index;
    else if (target && target->layer() != model_->layerOf(wireFrom_)) {
        // Dropped on the body: the first free input.
        const LayerSpec* l = model_->layer(target->layer());
        port = l ? int(l->inbound.size()) : 0;
    }
    QString why;
    if (!wireOldTo_.empty()) {
        if (EdgeItem* old = edge(wireOldTo_, wireOldPort_)) old->setVisible(true);
        if (!target || port < 0) why = editor_->disconnect(wireOldTo_, wireOldPort_);
        else if (!(target->layer() == wireOldTo_ && port == wireOldPort_))
            why = editor_->reconnect(wireOldTo_, wireOldPort_, target->layer(), port);
    } else if (target && port >= 0) {
        connectPorts(wireFrom_, target->layer(), port);
        return;
    }
    if (!why.isEmpty()) emit statusMessage(tr("Not connected: %1").arg(why));
}

void GraphScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* e) {
    ensureSynced();
    if (wire_) {
        finishWire(e->scenePos());
        return;
    }
    QGraphicsScene::mouseReleaseEvent(e);
    if (!moving_) return;
    moving_ = false;
    // One undo step for the whole drag of every moved node.
    std::map<std::string, QPointF> moved;
    for (const auto& [name, n] : nodes_)
        if (n->pos() != model_->position(name)) moved[name] = QPointF(std::round(n->pos().x()), std::round(n->pos().y()));
    if (!moved.empty() && editor_->moveNodes(moved).isEmpty()) return; // the change re-syncs and places labels
    placeLabels();
}

void GraphScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* e) {
    if (NodeItem* n = nodeAt(e->scenePos()))
        if (n->look().type == "Block") {
            emit openBlockRequested(n->layer());
            return;
        }
    QGraphicsScene::mouseDoubleClickEvent(e);
}

void GraphScene::drawBackground(QPainter* p, const QRectF& rect) {
    const CanvasStyle& st = CanvasStyle::current();
    p->fillRect(rect, st.background);
    double scale = p->worldTransform().m11();
    if (scale < 0.45) return;
    // Cosmetic 2-pixel dots without antialiasing: a grid that costs little to paint.
    QPen pen(st.grid, 2, Qt::SolidLine, Qt::SquareCap);
    pen.setCosmetic(true);
    p->save();
    p->setRenderHint(QPainter::Antialiasing, false);
    p->setPen(pen);
    double left = std::floor(rect.left() / kGrid) * kGrid;
    double top = std::floor(rect.top() / kGrid) * kGrid;
    QVector<QPointF> dots;
    for (double x = left; x < rect.right(); x += kGrid)
        for (double y = top; y < rect.bottom(); y += kGrid) dots.append(QPointF(x, y));
    p->drawPoints(dots.data(), int(dots.size()));
    p->restore();
}

} // namespace strata::gui
