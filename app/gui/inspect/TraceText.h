// The words the traced-graph viewer shows for one node of an op graph: its title ("#12 matmul"),
// its inputs as producing nodes, its outputs' shapes and dtypes, its attributes and its role in
// the model (an input, a variable read, a model output, a moving-average assignment), and the
// layer that emitted it (its scope without the root "model/").
#pragma once

#include "engine/train/Tracer.h"

#include <QString>

namespace strata::gui {

struct TraceNodeText {
    QString title;      // "#12 matmul"
    QString layer;      // "dense_1", "encoder/conv_1"; the node's scope less "model/" ("" when none)
    QString inputs;     // "#3, #7"; "#9:1" names a node's second output
    QString outputs;    // "(32, 10) float32"
    QString attributes; // "{transpose_a: 0, transpose_b: 0}"
    QString role;       // "reads model/dense_1/kernel; output probs"
    QString label;      // the short line under the title in a drawn box: a name, a path or a role
};

enum class TraceNodeKind { Input, Variable, Constant, Op, Random };

// `outputNames`: the model's output layer names, parallel to `trace.outputs`.
TraceNodeText traceNodeText(const train::TracedModel& trace, const std::vector<std::string>& outputNames, int node);
TraceNodeKind traceNodeKind(const ir::Graph& graph, int node);
// A scope or an object path as the viewer shows it: "model/encoder/dense_1" -> "encoder/dense_1".
QString shortScope(const std::string& path);

} // namespace strata::gui
