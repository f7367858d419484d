#include "app/gui/inspect/TraceItems.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/inspect/TraceScene.h"

#include <QFontMetricsF>
#include <QGraphicsSceneMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

namespace strata::gui {

namespace {
constexpr double kPad = 6, kStripe = 5, kMinWidth = 120, kMaxWidth = 300, kGroupMinWidth = 140, kStack = 4;

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

// Lines of text in a box, from its top: the first in the title font, the rest small.
void drawLines(QPainter* p, const QRectF& rect, const QStringList& lines, const QList<QColor>& colors) {
    const double x = rect.left() + kStripe + kPad, w = rect.width() - kStripe - 2 * kPad;
    double y = rect.top() + kPad;
    for (int i = 0; i < lines.size(); ++i) {
        const QFont f = i == 0 ? titleFont() : smallFont();
        const QFontMetricsF m(f);
        p->setFont(f);
        p->setPen(colors[i]);
        const auto elide = i == 0 ? Qt::ElideRight : Qt::ElideMiddle;
        p->drawText(QRectF(x, y, w, m.height()), Qt::AlignLeft | Qt::AlignVCenter, m.elidedText(lines[i], elide, w));
        y += m.height();
    }
}
} // namespace

bool isTraceClick(const QGraphicsSceneMouseEvent* event) {
    const QPointF moved = event->screenPos() - event->buttonDownScreenPos(Qt::LeftButton);
    return event->button() == Qt::LeftButton && moved.manhattanLength() < 6;
}

TraceNodeItem::TraceNodeItem(int node, TraceNodeKind kind, const TraceNodeText& text, bool isOutput)
    : node_(node), kind_(kind), title_(text.title), shape_(text.outputs), label_(text.label), isOutput_(isOutput) {
    setFlag(ItemIsSelectable);
    setToolTip(QStringLiteral("%1%2\n%3%4%5").arg(text.title, text.layer.isEmpty() ? QString() : QStringLiteral(" in ") + text.layer, text.outputs,
                                                text.attributes.isEmpty() ? QString() : QStringLiteral("\n") + text.attributes,
                                                text.role.isEmpty() ? QString() : QStringLiteral("\n") + text.role));
    setCursor(Qt::PointingHandCursor);
}

namespace {
// A box of a title line, a second line and an optional third, at least `minWidth` wide.
QSizeF boxSize(const QString& first, const QString& second, const QString& third, double minWidth) {
    const QFontMetricsF title(titleFont()), small(smallFont());
    double w = std::max({title.horizontalAdvance(first), small.horizontalAdvance(second), small.horizontalAdvance(third)});
    w = std::clamp(w + 2 * kPad + kStripe, minWidth, kMaxWidth);
    double h = title.height() + small.height() + 2 * kPad;
    if (!third.isEmpty()) h += small.height();
    return {std::ceil(w), std::ceil(h)};
}

// Places `item` (drawn in local coordinates from (0, 0)) at `r`; returns its local rectangle.
QRectF placeBox(QGraphicsItem* item, const QRectF& r) {
    item->setPos(r.topLeft());
    return QRectF(QPointF(0, 0), r.size());
}
} // namespace

QSizeF TraceNodeItem::sizeFor(const TraceNodeText& text) { return boxSize(text.title, text.outputs, text.label, kMinWidth); }

void TraceNodeItem::setRect(const QRectF& r) {
    prepareGeometryChange();
    rect_ = placeBox(this, r);
}

void TraceNodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    const QColor accent = kindColor(kind_);
    p->setPen(QPen(isSelected() ? st.selection : (isOutput_ ? accent : st.nodeBorder), isSelected() || isOutput_ ? 2.5 : 1.0));
    p->setBrush(st.nodeBody);
    p->drawRoundedRect(rect_, 5, 5);
    p->setPen(Qt::NoPen);
    p->setBrush(accent);
    p->drawRoundedRect(QRectF(rect_.left() + 1, rect_.top() + 1, kStripe, rect_.height() - 2), 2, 2);
    QStringList lines{title_, shape_};
    QList<QColor> colors{st.text, st.mutedText};
    if (!label_.isEmpty()) {
        lines << label_;
        colors << (kind_ == TraceNodeKind::Op ? st.text : accent.darker(st.dark ? 70 : 130));
    }
    drawLines(p, rect_, lines, colors);
}

TraceGroupItem::TraceGroupItem(int cluster, const TraceGroupText& text, int hue)
    : cluster_(cluster), text_(text), tint_(QColor::fromHsv(hue, 150, 200)) {
    setToolTip(text.tooltip);
    setCursor(Qt::PointingHandCursor);
}

QSizeF TraceGroupItem::sizeFor(const TraceGroupText& text) { return boxSize(text.label, text.count, text.outputs, kGroupMinWidth); }

void TraceGroupItem::setRect(const QRectF& r) {
    prepareGeometryChange();
    rect_ = placeBox(this, r);
}

void TraceGroupItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    QColor fill = tint_, border = tint_.darker(st.dark ? 100 : 130);
    // A second box behind, offset: a stack of ops, as TensorBoard draws a collapsed scope.
    fill.setAlpha(st.dark ? 60 : 45);
    p->setPen(QPen(border, 1.0));
    p->setBrush(st.nodeBody);
    p->drawRoundedRect(rect_.translated(kStack, kStack).adjusted(0, 0, -1, -1), 7, 7);
    p->drawRoundedRect(rect_, 7, 7);
    p->setBrush(fill);
    p->drawRoundedRect(rect_, 7, 7);
    p->setPen(Qt::NoPen);
    p->setBrush(tint_);
    p->drawRoundedRect(QRectF(rect_.left() + 1, rect_.top() + 1, kStripe, rect_.height() - 2), 2, 2);
    QStringList lines{text_.label, text_.count};
    QList<QColor> colors{st.text, st.mutedText};
    if (!text_.outputs.isEmpty()) {
        lines << text_.outputs;
        colors << st.mutedText;
    }
    drawLines(p, rect_, lines, colors);
}

void TraceGroupItem::mousePressEvent(QGraphicsSceneMouseEvent* event) {
    event->setAccepted(event->button() == Qt::LeftButton); // a click, not a pan, starts here
}

void TraceGroupItem::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
    if (auto* s = qobject_cast<TraceScene*>(scene()); s && isTraceClick(event)) s->clusterClicked(cluster_);
}

TraceEdgeItem::TraceEdgeItem(const TraceEdge& e, const QGraphicsItem* from, const QGraphicsItem* to)
    : edge_(e), from_(from), to_(to) {
    setZValue(-1);
    QPainterPath all = e.path;
    all.addRect(QRectF(e.arrowTip, e.arrowBase).normalized());
    if (!e.label.isEmpty()) all.addRect(labelRect());
    bounds_ = all.boundingRect().adjusted(-6, -6, 6, 6);
}

QRectF TraceEdgeItem::labelRect() const {
    const QFontMetricsF m(smallFont());
    const QSizeF s(m.horizontalAdvance(edge_.label) + 4, m.height());
    return QRectF(edge_.labelCenter - QPointF(s.width() / 2, s.height() / 2), s);
}

void TraceEdgeItem::paint(QPainter* p, const QStyleOptionGraphicsItem*, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    const bool lit = from_->isSelected() || to_->isSelected();
    const QColor c = lit ? st.selection : st.wire;
    p->setRenderHint(QPainter::Antialiasing);
    p->setPen(QPen(c, lit ? 2.2 : 1.2));
    p->setBrush(Qt::NoBrush);
    p->drawPath(edge_.path);
    if (!edge_.label.isEmpty()) {
        p->setFont(smallFont());
        p->setPen(st.mutedText);
        p->drawText(labelRect(), Qt::AlignCenter, edge_.label);
    }
    // The arrow head: a triangle from its base to the tip.
    const QPointF d = edge_.arrowTip - edge_.arrowBase;
    const double len = std::hypot(d.x(), d.y());
    if (len < 1e-6) return;
    const QPointF normal(-d.y() / len * 4.5, d.x() / len * 4.5);
    p->setPen(Qt::NoPen);
    p->setBrush(c);
    p->drawPolygon(QPolygonF{edge_.arrowTip, edge_.arrowBase + normal, edge_.arrowBase - normal});
}

} // namespace strata::gui
