#include "app/gui/inspect/TraceText.h"

#include "app/gui/inspect/TensorValues.h"

#include <QStringList>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
QString q(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

QString valueType(const ir::Graph& g, ir::ValueId v) {
    return q(g.shape(v).toString()) + QLatin1Char(' ') + q(dtypeName(g.dtype(v)));
}

// A path as a drawn box shows it: below the node's own scope only the rest ("kernel"), since the
// box sits in its layer's cluster; otherwise without "model/".
QString boxPath(const std::string& path, const std::string& scope) {
    if (!scope.empty() && path.size() > scope.size() && path.compare(0, scope.size(), scope) == 0 && path[scope.size()] == '/')
        return q(path.substr(scope.size() + 1));
    return shortScope(path);
}
} // namespace

// "model/encoder/dense_1/kernel" -> "encoder/dense_1/kernel": the box has little room.
QString shortScope(const std::string& path) {
    QString p = q(path);
    return p.startsWith(QStringLiteral("model/")) ? p.mid(6) : p;
}

TraceNodeKind traceNodeKind(const ir::Graph& graph, int node) {
    switch (graph.node(node).op) {
    case ir::OpKind::Placeholder: return TraceNodeKind::Input;
    case ir::OpKind::Variable: return TraceNodeKind::Variable;
    case ir::OpKind::Constant: return TraceNodeKind::Constant;
    case ir::OpKind::Dropout:
    case ir::OpKind::RandomUniform: return TraceNodeKind::Random;
    default: return TraceNodeKind::Op;
    }
}

TraceNodeText traceNodeText(const train::TracedModel& trace, const std::vector<std::string>& outputNames, int node) {
    const ir::Graph& g = trace.graph;
    const ir::Node& n = g.node(node);
    TraceNodeText t;
    t.title = QStringLiteral("#%1 %2").arg(node).arg(q(ir::opName(n.op)));
    t.layer = shortScope(n.scope);

    QStringList inputs;
    for (ir::ValueId v : n.inputs) {
        const ir::Value& value = g.value(v);
        inputs << (value.output == 0 ? QStringLiteral("#%1").arg(value.node) : QStringLiteral("#%1:%2").arg(value.node).arg(value.output));
    }
    t.inputs = inputs.join(QStringLiteral(", "));

    QStringList outputs;
    for (ir::ValueId v : n.outputs) outputs << valueType(g, v);
    t.outputs = outputs.join(QStringLiteral("; "));
    // A source's name, path or constant index is its role (below), not worth a second column.
    if (n.op == ir::OpKind::Placeholder || n.op == ir::OpKind::Variable || n.op == ir::OpKind::Constant) {
        ir::Attrs rest;
        for (const auto& [name, value] : n.attrs.items())
            if (name != "name" && name != "path" && name != "index") rest.setValue(name, value);
        t.attributes = q(rest.toString());
    } else {
        t.attributes = q(n.attrs.toString());
    }

    QStringList roles, labels;
    if (n.op == ir::OpKind::Placeholder) {
        roles << QObject::tr("input %1").arg(q(n.attrs.string("name")));
        labels << q(n.attrs.string("name"));
    } else if (n.op == ir::OpKind::Variable) {
        roles << QObject::tr("reads %1").arg(q(n.attrs.string("path")));
        labels << boxPath(n.attrs.string("path"), n.scope);
    } else if (n.op == ir::OpKind::Constant) {
        const Tensor& c = g.constantOf(n);
        if (c.size() == 1) {
            roles << QObject::tr("constant %1").arg(formatElement(c, 0));
            labels << QStringLiteral("= ") + formatElement(c, 0);
        } else {
            roles << QObject::tr("constant");
        }
    }
    for (std::size_t k = 0; k < trace.outputs.size(); ++k)
        for (ir::ValueId v : n.outputs)
            if (v == trace.outputs[k]) {
                const QString name = k < outputNames.size() ? q(outputNames[k]) : QString::number(k);
                roles << QObject::tr("output %1").arg(name);
                labels << QObject::tr("output %1").arg(name);
            }
    for (const ir::Assignment& a : g.assignments())
        for (ir::ValueId v : n.outputs)
            if (v == a.value) {
                roles << QObject::tr("assigns %1").arg(q(a.path));
                labels << QStringLiteral("→ ") + boxPath(a.path, n.scope);
            }
    t.role = roles.join(QStringLiteral("; "));
    t.label = labels.join(QStringLiteral("; "));
    return t;
}

} // namespace strata::gui
