#include "app/gui/inspect/TraceClusterItem.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/inspect/TraceItems.h"
#include "app/gui/inspect/TraceScene.h"

#include <QFontMetricsF>
#include <QGraphicsSceneHoverEvent>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>

#include <cmath>

namespace strata::gui {

namespace {
constexpr double kRadius = 8, kLabelInset = 7;

QFont labelFont() {
    QFont f = CanvasStyle::current().smallFont;
    f.setBold(true);
    return f;
}
} // namespace

static_assert(int(TraceClusterItem::Type) == int(TraceFrameItemType));

TraceClusterItem::TraceClusterItem(const TraceCluster& cluster, int hue, int index)
    : index_(index), label_(cluster.label), scope_(QString::fromStdString(cluster.scope)), rect_(cluster.rect),
      tint_(QColor::fromHsv(hue, 150, 200)) {
    // Inner clusters above outer ones, all below the arrows (-1) and the boxes (0).
    setZValue(-100 + cluster.depth);
    setToolTip(QObject::tr("%1\nClick the title to collapse").arg(scope_));
    setAcceptHoverEvents(true);
}

QRectF TraceClusterItem::titleRect() const { return QRectF(rect_.left(), rect_.top(), rect_.width(), labelHeight() + 2); }

void TraceClusterItem::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    // The title takes the click; elsewhere the press goes on to the view, which pans.
    event->setAccepted(event->button() == Qt::LeftButton && titleRect().contains(event->pos()));
}

void TraceClusterItem::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
    if (auto* s = qobject_cast<TraceScene*>(scene()); s && index_ >= 0 && isTraceClick(event)) s->clusterClicked(index_);
}

void TraceClusterItem::hoverMoveEvent(QGraphicsSceneHoverEvent* event) {
    if (titleRect().contains(event->pos())) setCursor(Qt::PointingHandCursor);
    else unsetCursor();
}

double TraceClusterItem::labelHeight() { return std::ceil(QFontMetricsF(labelFont()).height() + 2); }

void TraceClusterItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    QColor fill = tint_, border = tint_;
    fill.setAlpha(st.dark ? 34 : 24);
    border.setAlpha(st.dark ? 150 : 120);
    p->setPen(QPen(border, 1.0));
    p->setBrush(fill);
    p->drawRoundedRect(rect_, kRadius, kRadius);

    const QFont f = labelFont();
    const QFontMetricsF fm(f);
    const QRectF line(rect_.left() + kLabelInset, rect_.top() + 2, rect_.width() - 2 * kLabelInset, fm.height());
    p->setFont(f);
    p->setPen(st.dark ? tint_.lighter(150) : tint_.darker(170));
    // A "−" before the name says that the title collapses it.
    p->drawText(line, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(QStringLiteral("− ") + label_, Qt::ElideMiddle, line.width()));
}

} // namespace strata::gui
