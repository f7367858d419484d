#include "app/gui/canvas/EdgeItem.h"

#include "app/gui/canvas/CanvasStyle.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

#include <algorithm>

namespace strata::gui {

namespace {
constexpr double kZ = 0, kHoveredZ = 2.5; // a hovered wire's label draws above the nodes
} // namespace

EdgeItem::EdgeItem(std::string from, std::string to, int port, int output)
    : from_(std::move(from)), to_(std::move(to)), port_(port), output_(output) {
    setFlags(ItemIsSelectable);
    setAcceptHoverEvents(true);
    setZValue(kZ);
}

QPainterPath EdgeItem::wirePath(QPointF start, QPointF end, bool leftToRight) {
    QPainterPath path(start);
    if (leftToRight) {
        double dx = std::max(40.0, std::abs(end.x() - start.x()) * 0.5);
        path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end);
    } else {
        double dy = std::max(40.0, std::abs(end.y() - start.y()) * 0.5);
        path.cubicTo(start + QPointF(0, dy), end - QPointF(0, dy), end);
    }
    return path;
}

void EdgeItem::setEnds(QPointF start, QPointF end, bool leftToRight) {
    if (start == start_ && end == end_ && leftToRight == leftToRight_ && !path_.isEmpty()) return;
    prepareGeometryChange();
    start_ = start;
    end_ = end;
    leftToRight_ = leftToRight;
    path_ = wirePath(start, end, leftToRight);
    updateLabelRect();
}

void EdgeItem::setLabel(const QString& label, bool error) {
    if (label == label_ && error == error_) return;
    prepareGeometryChange();
    label_ = label;
    labelSize_ = QSizeF();
    error_ = error;
    updateLabelRect();
    update();
}

QPointF EdgeItem::pointAt(double t) const {
    // The wire is one cubic (wirePath): evaluated directly, which costs far less than
    // QPainterPath::pointAtPercent's arc lengths when every label of a large model is placed.
    if (path_.elementCount() != 4) return path_.pointAtPercent(std::clamp(t, 0.0, 1.0));
    t = std::clamp(t, 0.0, 1.0);
    const double u = 1 - t;
    const QPointF p0 = path_.elementAt(0), p1 = path_.elementAt(1), p2 = path_.elementAt(2), p3 = path_.elementAt(3);
    return u * u * u * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t * t * t * p3;
}

QRectF EdgeItem::labelRectAt(double t) const {
    if (label_.isEmpty() || path_.isEmpty()) return {};
    const QFont& font = CanvasStyle::current().smallFont;
    if (labelSize_.isEmpty() || font != labelFont_) { // measured once per text and font
        QFontMetricsF fm(font);
        labelFont_ = font;
        labelSize_ = QSizeF(fm.horizontalAdvance(label_) + 12, fm.height() + 4);
    }
    QPointF at = pointAt(t);
    return QRectF(at - QPointF(labelSize_.width() / 2, labelSize_.height() / 2), labelSize_);
}

void EdgeItem::updateLabelRect() {
    // A hidden label is drawn at the middle while hovered.
    labelRect_ = labelRectAt(labelAt_.value_or(0.5));
    bounds_ = path_.boundingRect().adjusted(-4, -4, 4, 4).united(labelRect_);
}

void EdgeItem::placeLabel(std::optional<double> t) {
    if (t == labelAt_) return;
    prepareGeometryChange();
    labelAt_ = t;
    updateLabelRect();
    update();
}

void EdgeItem::hoverEnterEvent(QGraphicsSceneHoverEvent*) {
    hovered_ = true;
    setZValue(kHoveredZ);
    update();
}

void EdgeItem::hoverLeaveEvent(QGraphicsSceneHoverEvent*) {
    hovered_ = false;
    setZValue(kZ);
    update();
}

QRectF EdgeItem::boundingRect() const { return bounds_; }

QPainterPath EdgeItem::shape() const {
    QPainterPathStroker stroker;
    stroker.setWidth(10);
    QPainterPath s = stroker.createStroke(path_);
    if (!label_.isEmpty() && labelShown()) s.addRect(labelRect_);
    return s;
}

void EdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    const bool selected = option->state & QStyle::State_Selected;
    p->setPen(QPen(selected ? st.selection : st.wire, selected ? 2.4 : 1.6));
    p->setBrush(Qt::NoBrush);
    p->drawPath(path_);
    if (label_.isEmpty() || !labelShown() || option->levelOfDetailFromTransform(p->worldTransform()) < 0.3) return;
    QRectF r = labelRect_;
    p->setPen(QPen(selected ? st.selection : st.nodeBorder, 1));
    p->setBrush(st.wireLabelBg);
    p->drawRoundedRect(r, r.height() / 2, r.height() / 2);
    p->setFont(st.smallFont);
    p->setPen(error_ ? st.error : st.mutedText);
    p->drawText(r, Qt::AlignCenter, label_);
}

} // namespace strata::gui
