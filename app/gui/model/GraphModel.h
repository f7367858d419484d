// The editor's graph model, with no widgets (QtNodes' AbstractGraphModel in spirit): nodes are
// the layers of the spec at the open level, ports and connections come from their inbound
// lists, positions from the layout. Every change re-runs the engine's shape inference, so
// shapes, parameter counts and errors are always those of the current spec. Only the editor's
// undo commands change the state; views read it and listen to changed().
#pragma once

#include "app/gui/model/GraphState.h"
#include "app/gui/model/SpecLevels.h"

#include "engine/ShapeInference.h"

#include <QObject>
#include <QString>

#include <optional>
#include <unordered_map>

namespace strata::gui {

// Size of a node on the canvas; the layout uses it too.
struct NodeGeometry {
    static constexpr double width = 184;
    static constexpr double height = 62;
    static constexpr double portSpacing = 22;
};

struct Connection {
    std::string from; // producing layer
    std::string to;   // consuming layer
    int port = 0;     // argument position in to's inbound
    int output = 0;   // which output of `from` (a state of a recurrent layer with return_state: 1, 2, ...)
    std::string fromRef() const { return outputRefText(from, output); } // as inbound writes it
};

class GraphModel : public QObject {
    Q_OBJECT
public:
    explicit GraphModel(QObject* parent = nullptr);

    const GraphState& state() const { return state_; }
    // Replaces everything (a model opened or a version loaded); closes any open block.
    void reset(GraphState state);
    // Used by undo commands only.
    void applyDelta(const GraphDelta& delta, bool forward);

    // The open level: {} is the model, {"encoder"} the inside of block "encoder".
    const LevelPath& path() const { return path_; }
    bool openBlock(const std::string& blockName);
    void openPath(const LevelPath& path);

    const ModelSpec& spec() const { return path_.empty() ? state_.spec : level_; }        // at the open level
    // Shape inference runs when first asked for after a change, so that several changes in a
    // row (or one drawn frame after them) pay for it once.
    const InferenceResult& inference() const { return path_.empty() ? rootInference() : levelInf_; } // open level
    const InferenceResult& rootInference() const;

    int indexOf(const std::string& layer) const; // O(1)
    // The layer and output an inbound entry names ("lstm", "lstm:1"; OutputRef), at the open level.
    OutputRef resolve(const std::string& ref) const;
    // The name of the layer an inbound entry names, or "" when none.
    std::string layerOf(const std::string& ref) const;
    const LayerSpec* layer(const std::string& name) const;
    const LayerInference* inferenceOf(const std::string& name) const;
    QPointF position(const std::string& layer) const;
    Flow flow() const { return flowOf(state_.positions, path_); } // of the open level
    std::string key(const std::string& layer) const { return positionKey(path_, layer); }

    // Input ports shown on a node: its arity, plus a free one for layers taking any number; a
    // recurrent layer shows its initial-state ports once the sequence is wired, one free at a time.
    int inputPortCount(const std::string& layer) const;
    // Output ports: 1, plus one per extra output (an LSTM with return_state: h and c).
    int outputPortCount(const std::string& layer) const;
    // What the extra outputs are ("state_h", "state_c"), for the ports' labels.
    QStringList extraOutputNames(const std::string& layer) const;
    std::vector<Connection> connections() const;
    std::vector<std::string> consumersOf(const std::string& layer) const;
    // Empty when out(from) may feed input `port` of `to`; otherwise the reason, for a person.
    QString connectionRefusal(const std::string& from, const std::string& to, int port) const;

    // "Dense", "128 relu", "(None, 128)", every error of the layer joined by newlines.
    QString keyConfigText(const std::string& layer) const;
    QString outputShapeText(const std::string& layer, int output = 0) const;
    // The shape an inbound entry ("lstm:1") carries, when known.
    std::optional<Shape> refShape(const std::string& ref) const;
    QStringList errorsOf(const std::string& layer) const;

signals:
    void changed();      // the spec or layout changed; inference is up to date
    void levelChanged(); // another block level was opened

private:
    void recompute();

    GraphState state_;
    LevelPath path_;
    ModelSpec level_;                  // the open block's spec (unused at the top level)
    mutable InferenceResult rootInf_;    // valid unless rootStale_
    mutable bool rootStale_ = true;
    InferenceResult levelInf_;           // the open block's (unused at the top level)
    std::unordered_map<std::string, int> index_; // layer name -> index at the open level
};

} // namespace strata::gui
