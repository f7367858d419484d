// The frame a drawn traced graph puts around an expanded cluster's boxes (TraceClusters.h): a
// lightly tinted rounded rectangle with the layer's name on a title line, below the boxes and
// arrows. A click on the title collapses the cluster (TraceScene); it is not selectable, so a
// drag elsewhere on it pans the view; its tooltip names the whole scope.
#pragma once

#include "app/gui/inspect/TraceClusters.h"

#include <QColor>
#include <QGraphicsItem>

namespace strata::gui {

class TraceClusterItem : public QGraphicsItem {
public:
    // `hue`: 0..359, shared by a top-level cluster and the clusters inside it.
    // `index`: the cluster's index in the scene's cluster tree (TraceScene::clusterClicked).
    TraceClusterItem(const TraceCluster& cluster, int hue, int index = -1);

    enum { Type = QGraphicsItem::UserType + 304 }; // TraceFrameItemType (TraceItems.h)
    int type() const override { return Type; }
    int index() const { return index_; }
    // The title line, in scene coordinates: a click there collapses the cluster.
    QRectF titleRect() const;

    const QString& label() const { return label_; }
    const QString& scope() const { return scope_; }
    QRectF rect() const { return rect_; }
    // The height of the label line that a layout must leave on top of each cluster.
    static double labelHeight();

    QRectF boundingRect() const override { return rect_.adjusted(-1, -1, 1, 1); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override;

protected:
    void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
    void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
    void hoverMoveEvent(QGraphicsSceneHoverEvent* event) override;

private:
    int index_;
    QString label_, scope_;
    QRectF rect_;
    QColor tint_;
};

} // namespace strata::gui
