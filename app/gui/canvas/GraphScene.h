// The canvas scene: a projection of the graph model at the open level. sync() makes its items
// match the model after every change (creating, updating and removing only what differs);
// gestures (wiring from a port, moving nodes) become calls on the GraphEditor.
#pragma once

#include "app/gui/canvas/NodeItem.h"
#include "app/gui/model/GraphEditor.h"

#include <QGraphicsScene>

#include <map>
#include <optional>
#include <set>

class QGraphicsPathItem;

namespace strata::gui {

class EdgeItem;

// Comparing two versions (app/gui/compare/): how a layer of the shown (newer) version differs,
// and a removed layer drawn as a ghost at its position in the older version's layout.
struct DiffMark {
    NodeItem::Look::Diff diff = NodeItem::Look::Diff::None;
    QString note, details; // drawn under the node; the tooltip's lines
};
struct DiffGhost {
    std::string layer, type;
    QPointF pos;
    QString note, details;
};

class GraphScene : public QGraphicsScene {
    Q_OBJECT
public:
    GraphScene(GraphModel* model, GraphEditor* editor, QObject* parent = nullptr);
    ~GraphScene() override;

    GraphModel* model() const { return model_; }
    GraphEditor* editor() const { return editor_; }

    // Accessors bring the items up to date with the model first.
    NodeItem* node(const std::string& layer) const;
    EdgeItem* edge(const std::string& to, int port) const;
    const std::map<std::string, NodeItem*>& nodes() const;

    std::vector<std::string> selectedLayers() const; // in spec order
    std::vector<Connection> selectedWires() const;
    void selectLayers(const std::vector<std::string>& layers);

    void sync();
    // Model changes mark the scene stale; it syncs once, before the next frame or query.
    void ensureSynced() const;
    void nodeMoved(NodeItem* node); // keeps its wires attached while it is dragged

    // The wiring gesture, also used by tests: from an output port to an input port.
    QString connectPorts(const std::string& from, const std::string& to, int port);

    // Marks the layers of the open level (by name) and draws ghosts of removed ones; empty clears.
    void setDiff(std::map<std::string, DiffMark> marks, const std::vector<DiffGhost>& ghosts);
    const std::vector<NodeItem*>& ghosts() const { return ghosts_; }
    // Read-only: nodes cannot be moved or wired (selection and tooltips still work).
    void setReadOnly(bool on);
    bool readOnly() const { return readOnly_; }

signals:
    void statusMessage(const QString& text);
    void openBlockRequested(const std::string& block);

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseMoveEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* e) override;
    void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* e) override;
    void drawBackground(QPainter* p, const QRectF& rect) override;

private:
    NodeItem* nodeAt(QPointF scenePos) const;
    void updateEdgeGeometry(EdgeItem* e);
    // Puts every wire's label where it overlaps no node and no other label (the middle of the
    // wire first, then further along either way); a label with no such place shows on hover.
    void placeLabels();
    void finishWire(QPointF scenePos);

    GraphModel* model_;
    GraphEditor* editor_;
    std::map<std::string, NodeItem*> nodes_;
    std::map<std::pair<std::string, int>, EdgeItem*> edges_;  // by (to, port)
    std::map<std::string, std::set<EdgeItem*>> edgesOf_;      // by either end's layer, built when dragging
    bool edgesOfValid_ = false;
    bool syncing_ = false;
    bool stale_ = false;

    // The wire being drawn: from `wireFrom` (or picked up from input `wireOldPort` of `wireOldTo`).
    QGraphicsPathItem* wire_ = nullptr;
    std::string wireFrom_, wireOldTo_; // wireFrom_: an inbound entry, "NAME" or a state's "NAME:K"
    int wireOldPort_ = -1;
    bool moving_ = false;

    std::map<std::string, DiffMark> diffMarks_;
    std::vector<NodeItem*> ghosts_;
    bool readOnly_ = false;
};

} // namespace strata::gui
