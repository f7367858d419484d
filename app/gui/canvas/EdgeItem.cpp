#include "app/gui/canvas/EdgeItem.h"

#include "app/gui/canvas/CanvasStyle.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

namespace strata::gui {

EdgeItem::EdgeItem(std::string from, std::string to, int port) : from_(std::move(from)), to_(std::move(to)), port_(port) {
    setFlags(ItemIsSelectable);
    setZValue(0);
}

QPainterPath EdgeItem::wirePath(QPointF start, QPointF end) {
    QPainterPath path(start);
    double dy = std::max(40.0, std::abs(end.y() - start.y()) * 0.5);
    path.cubicTo(start + QPointF(0, dy), end - QPointF(0, dy), end);
    return path;
}

void EdgeItem::setEnds(QPointF start, QPointF end) {
    if (start == start_ && end == end_ && !path_.isEmpty()) return;
    prepareGeometryChange();
    start_ = start;
    end_ = end;
    path_ = wirePath(start, end);
    updateLabelRect();
}

void EdgeItem::setLabel(const QString& label, bool error) {
    if (label == label_ && error == error_) return;
    prepareGeometryChange();
    label_ = label;
    error_ = error;
    updateLabelRect();
    update();
}

void EdgeItem::updateLabelRect() {
    labelRect_ = QRectF();
    if (!label_.isEmpty() && !path_.isEmpty()) {
        QFontMetricsF fm(CanvasStyle::current().smallFont);
        QSizeF size(fm.horizontalAdvance(label_) + 12, fm.height() + 4);
        QPointF mid = path_.pointAtPercent(0.5);
        labelRect_ = QRectF(mid - QPointF(size.width() / 2, size.height() / 2), size);
    }
    bounds_ = path_.boundingRect().adjusted(-4, -4, 4, 4).united(labelRect_);
}

QRectF EdgeItem::boundingRect() const { return bounds_; }

QPainterPath EdgeItem::shape() const {
    QPainterPathStroker stroker;
    stroker.setWidth(10);
    QPainterPath s = stroker.createStroke(path_);
    if (!label_.isEmpty()) s.addRect(labelRect_);
    return s;
}

void EdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    const bool selected = option->state & QStyle::State_Selected;
    p->setPen(QPen(selected ? st.selection : st.wire, selected ? 2.4 : 1.6));
    p->setBrush(Qt::NoBrush);
    p->drawPath(path_);
    if (label_.isEmpty() || option->levelOfDetailFromTransform(p->worldTransform()) < 0.3) return;
    QRectF r = labelRect_;
    p->setPen(QPen(selected ? st.selection : st.nodeBorder, 1));
    p->setBrush(st.wireLabelBg);
    p->drawRoundedRect(r, r.height() / 2, r.height() / 2);
    p->setFont(st.smallFont);
    p->setPen(error_ ? st.error : st.mutedText);
    p->drawText(r, Qt::AlignCenter, label_);
}

} // namespace strata::gui
