// A wire from one layer's output to an input port of another, labelled with the tensor shape
// that flows along it, e.g. "(None, 128)": where there is room for the label, else while the
// pointer is over the wire.
#pragma once

#include <QFont>
#include <QGraphicsItem>

#include <optional>

namespace strata::gui {

class EdgeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };
    // `output`: which output of `from` the wire leaves (a state: 1, 2, ...).
    EdgeItem(std::string from, std::string to, int port, int output = 0);

    int type() const override { return Type; }
    const std::string& from() const { return from_; }
    const std::string& to() const { return to_; }
    int port() const { return port_; }
    int output() const { return output_; }
    void setOutput(int output) { output_ = output; }
    const QString& label() const { return label_; }

    void setFrom(const std::string& from) { from_ = from; }
    void setEnds(QPointF start, QPointF end, bool leftToRight = false);
    void setLabel(const QString& label, bool error);
    bool labelIsError() const { return error_; }

    // Where the label sits: at `t` along the wire (0 at the output, 1 at the input), or, unset,
    // nowhere until the pointer is over the wire (GraphScene places labels so none overlap).
    void placeLabel(std::optional<double> t);
    bool labelShown() const { return labelAt_.has_value() || hovered_; }
    QRectF labelRect() const { return labelRect_; }   // scene coordinates, where it is drawn
    QRectF labelRectAt(double t) const;               // where it would be at t
    QPointF pointAt(double t) const;                  // the wire's point at parameter t

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    // A curve leaving `start` downwards (rightwards) and entering `end` from above (the left).
    static QPainterPath wirePath(QPointF start, QPointF end, bool leftToRight = false);

protected:
    void hoverEnterEvent(QGraphicsSceneHoverEvent* e) override;
    void hoverLeaveEvent(QGraphicsSceneHoverEvent* e) override;


private:
    void updateLabelRect();
    std::string from_, to_;
    int port_;
    int output_ = 0;
    QPointF start_, end_;
    bool leftToRight_ = false;
    QString label_;
    bool error_ = false;
    std::optional<double> labelAt_ = 0.5;
    bool hovered_ = false;
    QPainterPath path_;
    QRectF labelRect_, bounds_;
    mutable QFont labelFont_;   // the font labelSize_ was measured in
    mutable QSizeF labelSize_;
};

} // namespace strata::gui
