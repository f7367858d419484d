// A wire from one layer's output to an input port of another, labelled with the tensor shape
// that flows along it, e.g. "(None, 128)".
#pragma once

#include <QGraphicsItem>

namespace strata::gui {

class EdgeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };
    EdgeItem(std::string from, std::string to, int port);

    int type() const override { return Type; }
    const std::string& from() const { return from_; }
    const std::string& to() const { return to_; }
    int port() const { return port_; }
    const QString& label() const { return label_; }

    void setFrom(const std::string& from) { from_ = from; }
    void setEnds(QPointF start, QPointF end);
    void setLabel(const QString& label, bool error);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    static QPainterPath wirePath(QPointF start, QPointF end);

private:
    void updateLabelRect();
    std::string from_, to_;
    int port_;
    QPointF start_, end_;
    QString label_;
    bool error_ = false;
    QPainterPath path_;
    QRectF labelRect_, bounds_;
};

} // namespace strata::gui
