// The items a drawn traced graph is made of (TraceScene): an op's box (title, output shape, and a
// name, path or role), a collapsed cluster's box (its label, how many ops it holds and the shapes
// that leave it; a click expands it), and a wire between two boxes with its arrow head and,
// for a wire that carries one tensor between clusters, that tensor's shape. The frames of
// expanded clusters are TraceClusterItems. Each has its own type(), to be told apart.
#pragma once

#include "app/gui/inspect/TraceLayout.h"
#include "app/gui/inspect/TraceText.h"

#include <QColor>
#include <QGraphicsItem>

namespace strata::gui {

enum TraceItemType { TraceOpItemType = QGraphicsItem::UserType + 301, TraceGroupItemType, TraceWireItemType, TraceFrameItemType };

class TraceNodeItem : public QGraphicsItem {
public:
    TraceNodeItem(int node, TraceNodeKind kind, const TraceNodeText& text, bool isOutput);
    static QSizeF sizeFor(const TraceNodeText& text);

    enum { Type = TraceOpItemType };
    int type() const override { return Type; }
    int node() const { return node_; }
    void setRect(const QRectF& r);
    QRectF boundingRect() const override { return rect_.adjusted(-3, -3, 3, 3); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override;

private:
    int node_;
    TraceNodeKind kind_;
    QString title_, shape_, label_;
    bool isOutput_;
    QRectF rect_;
};

// The words on a collapsed cluster's box.
struct TraceGroupText {
    QString label;   // "dense_1", "encoder"
    QString scope;   // "model/dense_1"
    QString count;   // "7 ops"
    QString outputs; // "(32, 10)"; "(32, 10); (10,) +3 more"
    QString tooltip;
};

class TraceGroupItem : public QGraphicsItem {
public:
    // `cluster`: its index in the scene's cluster tree; `hue` as the cluster's frame would have.
    TraceGroupItem(int cluster, const TraceGroupText& text, int hue);
    static QSizeF sizeFor(const TraceGroupText& text);

    enum { Type = TraceGroupItemType };
    int type() const override { return Type; }
    int cluster() const { return cluster_; }
    const QString& label() const { return text_.label; }
    const QString& scope() const { return text_.scope; }
    const QString& countText() const { return text_.count; }
    const QString& outputsText() const { return text_.outputs; }
    void setRect(const QRectF& r);
    QRectF boundingRect() const override { return rect_.adjusted(-3, -3, 6, 6); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;

private:
    int cluster_;
    TraceGroupText text_;
    QColor tint_;
    QRectF rect_;
};

class TraceEdgeItem : public QGraphicsItem {
public:
    // `from`, `to`: the boxes it joins (an op's or a collapsed cluster's).
    TraceEdgeItem(const TraceEdge& e, const QGraphicsItem* from, const QGraphicsItem* to);

    enum { Type = TraceWireItemType };
    int type() const override { return Type; }
    const QGraphicsItem* from() const { return from_; }
    const QGraphicsItem* to() const { return to_; }
    const QString& label() const { return edge_.label; }
    QRectF boundingRect() const override { return bounds_; }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override;

private:
    QRectF labelRect() const;

    TraceEdge edge_;
    const QGraphicsItem* from_;
    const QGraphicsItem* to_;
    QRectF bounds_;
};

// True for a press and release close enough together to be a click, not a drag.
bool isTraceClick(const QGraphicsSceneMouseEvent* event);

} // namespace strata::gui
