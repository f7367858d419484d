// A layer on the canvas. It draws what the graph model says (type, name, key config, ports, an
// error badge) and reports where its ports are; gestures are handled by the scene.
#pragma once

#include <QGraphicsItem>
#include <QStringList>

#include <optional>

namespace strata::gui {

struct PortHit {
    bool output = false;
    int index = 0;
};

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    explicit NodeItem(std::string layer);

    int type() const override { return Type; }
    const std::string& layer() const { return layer_; }

    struct Look {
        QString type, name, keyConfig, category;
        int inputPorts = 1;
        bool hasOutput = true;
        // Extra outputs past the first (a recurrent layer's states with return_state), each a port
        // of its own beside the first, labelled with its short name ("h", "c").
        QStringList extraOutputs;
        std::vector<bool> inputConnected;
        // The level flows left to right: inputs on the left side, the output on the right, rather
        // than on the top and bottom.
        bool leftToRight = false;
        // The output shape of a layer nothing consumes (a model output), drawn past its output
        // port as a wire's label would be; empty for the others.
        QString outputLabel;
        QStringList errors;
        // Comparing two versions (app/gui/compare/): how this layer differs from the older one, a
        // one-line note drawn under the node ("units · 2,080 → 4,160 params") and the tooltip's lines.
        // Resized: the same settings, another parameter count (its input changed; SpecDiff).
        enum class Diff { None, Added, Changed, Removed, Resized };
        Diff diff = Diff::None;
        QString diffNote, diffDetails;
        bool operator==(const Look&) const = default;
    };
    // Returns whether anything changed.
    bool setLook(const Look& look);
    const Look& look() const { return look_; }
    bool hasErrorBadge() const { return !look_.errors.isEmpty(); }
    // The colour of a diff state: green added, amber changed, red removed, blue resized.
    static QColor diffColor(Look::Diff d);

    QPointF inputPortPos(int index) const;  // in scene coordinates
    QPointF outputPortPos(int index = 0) const;
    int outputPorts() const { return look_.hasOutput ? 1 + int(look_.extraOutputs.size()) : 0; }
    std::optional<PortHit> portAt(QPointF scenePos, double radius = 11) const;
    QRectF badgeRect() const; // local coordinates
    QRectF outputLabelRect() const; // local coordinates; empty without an output label

    QRectF boundingRect() const override;
    void paint(QPainter* p, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    QPointF inputPortLocal(int index) const;
    QPointF outputPortLocal(int index = 0) const;
    double inputPortSpacing() const;
    double inputPortRadius() const;
    std::string layer_;
    Look look_;
};

} // namespace strata::gui
