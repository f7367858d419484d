#include "app/gui/inspect/TraceClusterItem.h"

#include "app/gui/canvas/CanvasStyle.h"

#include <QFontMetricsF>
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

TraceClusterItem::TraceClusterItem(const TraceCluster& cluster, int hue)
    : label_(cluster.label), scope_(QString::fromStdString(cluster.scope)), rect_(cluster.rect),
      tint_(QColor::fromHsv(hue, 150, 200)) {
    // Inner clusters above outer ones, all below the arrows (-1) and the boxes (0).
    setZValue(-100 + cluster.depth);
    setToolTip(scope_);
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
    p->drawText(line, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(label_, Qt::ElideMiddle, line.width()));
}

} // namespace strata::gui
