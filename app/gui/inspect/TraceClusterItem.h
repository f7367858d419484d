// The box a drawn traced graph puts around one layer's nodes (TraceClusters.h): a lightly
// tinted rounded rectangle with the layer's name on top, below the nodes and arrows. It is not
// selectable, so a drag on it pans the view; its tooltip names the whole scope.
#pragma once

#include "app/gui/inspect/TraceClusters.h"

#include <QColor>
#include <QGraphicsItem>

namespace strata::gui {

class TraceClusterItem : public QGraphicsItem {
public:
    // `hue`: 0..359, shared by a top-level cluster and the clusters inside it.
    TraceClusterItem(const TraceCluster& cluster, int hue);

    const QString& label() const { return label_; }
    const QString& scope() const { return scope_; }
    QRectF rect() const { return rect_; }
    // The height of the label line that a layout must leave on top of each cluster.
    static double labelHeight();

    QRectF boundingRect() const override { return rect_.adjusted(-1, -1, 1, 1); }
    void paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) override;

private:
    QString label_, scope_;
    QRectF rect_;
    QColor tint_;
};

} // namespace strata::gui
