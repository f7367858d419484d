#include "app/gui/canvas/NodeItem.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/GraphScene.h"
#include "app/gui/model/GraphModel.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

namespace strata::gui {

namespace {
constexpr double kW = NodeGeometry::width;
constexpr double kH = NodeGeometry::height;
constexpr double kHeader = 22;
constexpr double kRadius = 7;
constexpr double kPortR = 5.5;
} // namespace

NodeItem::NodeItem(std::string layer) : layer_(std::move(layer)) {
    setFlags(ItemIsSelectable | ItemIsMovable | ItemSendsGeometryChanges);
    setZValue(1);
    // Repaints of a node blit a cached pixmap instead of shaping its text again.
    setCacheMode(DeviceCoordinateCache);
}

bool NodeItem::setLook(const Look& look) {
    if (look == look_) return false;
    prepareGeometryChange();
    look_ = look;
    setToolTip((look_.errors.isEmpty()
                    ? QStringLiteral("<b>%1</b> — %2").arg(look_.name.toHtmlEscaped(), look_.type)
                    : QStringLiteral("<b>%1</b><br><span style='color:#e5484d'>%2</span>")
                          .arg(look_.name.toHtmlEscaped(), look_.errors.join("<br>").toHtmlEscaped())) +
               (look_.diffDetails.isEmpty() ? QString() : "<br>" + look_.diffDetails));
    update();
    return true;
}

QRectF NodeItem::boundingRect() const {
    const double m = look_.extraOutputs.isEmpty() ? 12 : 28; // room for the extra ports' labels
    return QRectF(-m, -m, kW + 2 * m, kH + 2 * m).united(outputLabelRect());
}

QRectF NodeItem::outputLabelRect() const {
    if (look_.outputLabel.isEmpty() || !look_.hasOutput) return {};
    QFontMetricsF fm(CanvasStyle::current().smallFont);
    const QSizeF size(fm.horizontalAdvance(look_.outputLabel) + 12, fm.height() + 4);
    const QPointF port = outputPortLocal();
    const QPointF centre = look_.leftToRight ? port + QPointF(kPortR + 6 + size.width() / 2, 0)
                                             : port + QPointF(0, kPortR + 6 + size.height() / 2);
    return QRectF(centre - QPointF(size.width() / 2, size.height() / 2), size);
}

QColor NodeItem::diffColor(Look::Diff d) {
    switch (d) {
    case Look::Diff::Added: return QColor(0x2f, 0x9e, 0x44);
    case Look::Diff::Changed: return QColor(0xf0, 0x8c, 0x00);
    case Look::Diff::Removed: return QColor(0xe0, 0x31, 0x31);
    case Look::Diff::Resized: return QColor(0x1c, 0x7e, 0xd6);
    default: return {};
    }
}

QPointF NodeItem::inputPortLocal(int index) const {
    int n = std::max(1, look_.inputPorts);
    double spacing = inputPortSpacing();
    if (look_.leftToRight) return {0, kH / 2 + (index - (n - 1) / 2.0) * spacing};
    return {kW / 2 + (index - (n - 1) / 2.0) * spacing, 0};
}

double NodeItem::inputPortSpacing() const {
    const int n = std::max(1, look_.inputPorts);
    return std::min(NodeGeometry::portSpacing * 1.4, look_.leftToRight ? (kH - 6) / n : (kW - 24) / n);
}

// Many inputs on a node's short left side: smaller ports, so that they stay apart.
double NodeItem::inputPortRadius() const { return std::min(kPortR, inputPortSpacing() * 0.42); }

// The first output in the middle of its side, the extra ones (states) spread after it.
QPointF NodeItem::outputPortLocal(int index) const {
    const int n = std::max(1, outputPorts());
    const double spacing = NodeGeometry::portSpacing * 1.4;
    const double offset = n == 1 ? 0 : (index - (n - 1) / 2.0) * spacing;
    return look_.leftToRight ? QPointF(kW, kH / 2 + offset) : QPointF(kW / 2 + offset, kH);
}

QPointF NodeItem::inputPortPos(int index) const { return mapToScene(inputPortLocal(index)); }
QPointF NodeItem::outputPortPos(int index) const { return mapToScene(outputPortLocal(index)); }

std::optional<PortHit> NodeItem::portAt(QPointF scenePos, double radius) const {
    QPointF local = mapFromScene(scenePos);
    auto near = [&](QPointF p) { return QLineF(p, local).length() <= radius; };
    for (int k = 0; k < outputPorts(); ++k)
        if (near(outputPortLocal(k))) return PortHit{true, k};
    // The nearest input port within reach: ports may sit closer together than `radius`.
    std::optional<PortHit> best;
    double bestDistance = radius;
    for (int i = 0; i < look_.inputPorts; ++i)
        if (double d = QLineF(inputPortLocal(i), local).length(); d <= bestDistance) {
            bestDistance = d;
            best = PortHit{false, i};
        }
    return best;
}

QRectF NodeItem::badgeRect() const { return QRectF(kW - 11, -9, 20, 20); }

void NodeItem::paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget*) {
    const CanvasStyle& st = CanvasStyle::current();
    p->setRenderHint(QPainter::Antialiasing);
    const bool selected = option->state & QStyle::State_Selected;
    const QColor accent = CanvasStyle::categoryColor(look_.category, look_.type);
    QRectF body(0, 0, kW, kH);

    // Zoomed far out: a coloured card, no text (unreadable at that size anyway).
    if (option->levelOfDetailFromTransform(p->worldTransform()) < 0.3) {
        p->setPen(selected ? QPen(st.selection, 3) : Qt::NoPen);
        p->setBrush(st.nodeBody);
        p->drawRect(body);
        p->setPen(Qt::NoPen);
        p->setBrush(look_.errors.isEmpty() ? accent : st.error);
        p->drawRect(QRectF(0, 0, kW, kHeader));
        if (look_.diff != Look::Diff::None) { // the comparison's colour stays visible from afar
            p->setPen(QPen(diffColor(look_.diff), 8));
            p->setBrush(Qt::NoBrush);
            p->drawRect(body.adjusted(-4, -4, 4, 4));
        }
        return;
    }

    // Shadow, body, header band.
    p->setPen(Qt::NoPen);
    p->setBrush(QColor(0, 0, 0, st.dark ? 70 : 22));
    p->drawRoundedRect(body.translated(0, 2), kRadius, kRadius);
    p->setBrush(st.nodeBody);
    QPen border(selected ? st.selection : (look_.errors.isEmpty() ? st.nodeBorder : st.error), selected ? 2.2 : 1.1);
    p->setPen(border);
    p->drawRoundedRect(body, kRadius, kRadius);
    QPainterPath header;
    header.addRoundedRect(QRectF(0, 0, kW, kHeader), kRadius, kRadius);
    QPainterPath clip;
    clip.addRect(QRectF(0, 0, kW, kHeader));
    p->setPen(Qt::NoPen);
    QColor band = accent;
    band.setAlpha(st.dark ? 200 : 235);
    p->setBrush(band);
    p->save();
    p->setClipRect(QRectF(0, 0, kW, kHeader));
    p->drawRoundedRect(QRectF(0.6, 0.6, kW - 1.2, kHeader + kRadius), kRadius - 0.6, kRadius - 0.6);
    p->restore();

    // Header: type and key config; body: name.
    p->setPen(Qt::white);
    p->setFont(st.titleFont);
    QFontMetricsF fmTitle(st.titleFont);
    QString typeText = look_.type;
    p->drawText(QRectF(10, 0, kW - 20, kHeader), Qt::AlignVCenter | Qt::AlignLeft, typeText);
    if (!look_.keyConfig.isEmpty()) {
        p->setFont(st.bodyFont);
        double used = fmTitle.horizontalAdvance(typeText) + 18;
        QFontMetricsF fm(st.bodyFont);
        p->drawText(QRectF(used, 0, kW - used - 10, kHeader), Qt::AlignVCenter | Qt::AlignRight,
                    fm.elidedText(look_.keyConfig, Qt::ElideRight, kW - used - 10));
    }
    p->setPen(st.text);
    p->setFont(st.bodyFont);
    QFontMetricsF fmBody(st.bodyFont);
    // With a comparison's note the name takes the upper half of the body, the note the lower.
    const bool noted = look_.diff != Look::Diff::None && !look_.diffNote.isEmpty();
    const QRectF nameRect = noted ? QRectF(10, kHeader + 2, kW - 20, 18) : QRectF(10, kHeader, kW - 20, kH - kHeader - 4);
    p->drawText(nameRect, Qt::AlignVCenter | Qt::AlignLeft, fmBody.elidedText(look_.name, Qt::ElideMiddle, kW - 20));

    // Ports: filled when wired.
    for (int i = 0; i < look_.inputPorts; ++i) {
        bool on = i < int(look_.inputConnected.size()) && look_.inputConnected[std::size_t(i)];
        p->setPen(QPen(on ? accent.darker(115) : st.portFree.darker(120), 1.2));
        p->setBrush(on ? accent : st.nodeBody);
        p->drawEllipse(inputPortLocal(i), inputPortRadius(), inputPortRadius());
    }
    if (look_.hasOutput) {
        p->setPen(QPen(accent.darker(115), 1.2));
        p->setBrush(accent);
        p->drawEllipse(outputPortLocal(), kPortR, kPortR);
        // Extra outputs (states): hollow ports, each with its short name inside the node's edge.
        p->setFont(st.smallFont);
        for (int k = 1; k < outputPorts(); ++k) {
            const QPointF at = outputPortLocal(k);
            p->setPen(QPen(accent.darker(115), 1.6));
            p->setBrush(st.nodeBody);
            p->drawEllipse(at, kPortR - 0.5, kPortR - 0.5);
            QString label = look_.extraOutputs[k - 1];
            if (label.startsWith(QStringLiteral("state_"))) label = label.mid(6);
            label.replace(QStringLiteral("forward_state_"), QStringLiteral("f")).replace(QStringLiteral("backward_state_"), QStringLiteral("b"));
            p->setPen(st.mutedText);
            // Outside the node, beside the port, clear of the wire that leaves it.
            const QRectF box = look_.leftToRight ? QRectF(at.x() + 4, at.y() - 17, 20, 11) : QRectF(at.x() + 6, at.y() + 2, 20, 11);
            p->drawText(box, Qt::AlignLeft | Qt::AlignVCenter, label);
        }
    }

    if (QRectF r = outputLabelRect(); !r.isEmpty()) { // a model output: its shape past the port
        p->setPen(QPen(st.nodeBorder, 1));
        p->setBrush(st.wireLabelBg);
        p->drawRoundedRect(r, r.height() / 2, r.height() / 2);
        p->setFont(st.smallFont);
        p->setPen(st.mutedText);
        p->drawText(r, Qt::AlignCenter, look_.outputLabel);
    }

    if (look_.diff != Look::Diff::None) { // a thick outline in the diff's colour, its note below
        const QColor c = diffColor(look_.diff);
        const bool dashed = look_.diff == Look::Diff::Removed || look_.diff == Look::Diff::Resized;
        QPen pen(c, look_.diff == Look::Diff::Resized ? 2.2 : 3.2, dashed ? Qt::DashLine : Qt::SolidLine);
        p->setPen(pen);
        p->setBrush(Qt::NoBrush);
        p->drawRoundedRect(body.adjusted(-3, -3, 3, 3), kRadius + 2, kRadius + 2);
        if (noted) {
            QFont f = st.bodyFont;
            f.setBold(true);
            p->setFont(f);
            p->setPen(c.darker(look_.diff == Look::Diff::Changed ? 125 : 105));
            p->drawText(QRectF(10, kHeader + 20, kW - 20, 16), Qt::AlignVCenter | Qt::AlignLeft,
                        QFontMetricsF(f).elidedText(look_.diffNote, Qt::ElideRight, kW - 20));
        }
    }

    if (!look_.errors.isEmpty()) {
        QRectF b = badgeRect();
        p->setPen(QPen(st.nodeBody, 2));
        p->setBrush(st.error);
        p->drawEllipse(b);
        QFont f = st.titleFont;
        f.setPixelSize(13);
        p->setFont(f);
        p->setPen(Qt::white);
        p->drawText(b, Qt::AlignCenter, QStringLiteral("!"));
    }
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
    if (change == ItemPositionHasChanged)
        if (auto* s = dynamic_cast<GraphScene*>(scene())) s->nodeMoved(this);
    return QGraphicsItem::itemChange(change, value);
}

} // namespace strata::gui
