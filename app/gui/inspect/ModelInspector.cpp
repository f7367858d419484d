#include "app/gui/inspect/ModelInspector.h"

#include "app/gui/inspect/TracedGraphView.h"
#include "app/gui/inspect/VariablesView.h"

#include "engine/Summary.h"
#include "storage/Project.h"
#include "storage/StorageError.h"
#include "storage/VariableSource.h"

#include <QLabel>
#include <QStringList>
#include <QTabWidget>
#include <QVBoxLayout>

#include <set>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

// "a, b, c and 4 more"
QString someOf(const QStringList& items, int shown = 3) {
    if (items.size() <= shown) return items.join(QStringLiteral(", "));
    return ModelInspector::tr("%1 and %2 more").arg(items.mid(0, shown).join(QStringLiteral(", "))).arg(items.size() - shown);
}
} // namespace

ModelInspector::ModelInspector(const ModelSpec& spec, const Weights* weights, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Inside %1").arg(q(spec.name)));
    setSizeGripEnabled(true);
    resize(1280, 820);
    header_ = new QLabel;
    header_->setWordWrap(true);
    header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(header_);

    QString note;
    try {
        model_ = Model::fromSpec(spec);
        model_->build(0);
        note = weights ? applyWeights(*weights)
                       : tr("Showing <b>initial values</b>: the model is built with seed 0 and not trained.");
    } catch (const StrataError& e) {
        model_.reset();
        header_->setText(tr("<b>%1 cannot be built.</b><br>%2")
                             .arg(q(spec.name).toHtmlEscaped(), q(e.what()).toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));
        header_->setStyleSheet(QStringLiteral("QLabel { color: #c62828; }"));
        layout->addStretch(1);
        return;
    }
    const ParamCounts counts = model_->paramCounts();
    header_->setText(tr("<b>%1</b> — %2 variables, %3 parameters (%4 trainable). %5")
                         .arg(q(spec.name).toHtmlEscaped())
                         .arg(model_->variables().size())
                         .arg(q(withThousands(counts.total())), q(withThousands(counts.trainable)), note));

    tabs_ = new QTabWidget;
    variables_ = new VariablesView(*model_);
    graph_ = new TracedGraphView(*model_, 0);
    tabs_->addTab(variables_, tr("Variables"));
    tabs_->addTab(graph_, tr("Traced graph"));
    layout->addWidget(tabs_, 1);
}

ModelInspector::~ModelInspector() = default;

QString ModelInspector::valuesNote() const { return header_->text(); }

void ModelInspector::setStepSettings(const StepSettings& settings) {
    if (graph_) graph_->setStepSettings(settings);
}

int ModelInspector::showRunHistograms(const std::string& file, int64_t runId) {
    if (!variables_) return 0;
    try {
        const storage::Project project = storage::Project::open(file, storage::OpenMode::ReadOnly);
        std::vector<storage::VariableHistogram> hs = project.histograms(runId);
        const int n = int(hs.size());
        variables_->setRunHistograms(std::move(hs), tr("run %1").arg(runId));
        return n;
    } catch (const std::exception& e) {
        header_->setText(header_->text() + QStringLiteral("<br><span style='color:#c27c0e'>%1</span>")
                                               .arg(tr("The run's histograms cannot be read: %1").arg(q(e.what())).toHtmlEscaped()));
        return 0;
    }
}

QString ModelInspector::applyWeights(const Weights& weights) {
    // Keys may be object paths or checkpoint keys; anything outside "model/" (optimizer slots,
    // counters) is not a model variable and is ignored.
    std::map<std::string, const Tensor*> byPath;
    for (const auto& [key, value] : weights) {
        const std::string path = storage::pathOfKey(key).value_or(key);
        if (path.rfind("model/", 0) == 0 && path.find("/.OPTIMIZER_SLOT/") == std::string::npos) byPath[path] = &value;
    }
    int applied = 0;
    QStringList missing, mismatched, unexpected;
    std::set<std::string> used;
    for (Variable* v : model_->variables()) {
        auto it = byPath.find(v->path());
        if (it == byPath.end()) {
            missing << q(v->path());
            continue;
        }
        used.insert(it->first);
        const Tensor& t = *it->second;
        if (t.shape() != v->shape() || t.dtype() != v->dtype()) {
            mismatched << tr("%1 (model %2, given %3)").arg(q(v->path()), q(v->shape().toString()), q(t.shape().toString()));
            continue;
        }
        v->assign(t);
        ++applied;
    }
    for (const auto& [path, t] : byPath)
        if (!used.count(path)) unexpected << q(path);

    QString note = tr("Showing <b>given values</b> for %1 of %2 variables.").arg(applied).arg(model_->variables().size());
    if (!missing.isEmpty() || !mismatched.isEmpty())
        note += tr(" The others keep their initial values (seed 0).");
    QStringList problems;
    if (!missing.isEmpty()) problems << tr("not given: %1").arg(someOf(missing));
    if (!mismatched.isEmpty()) problems << tr("shape or dtype differs: %1").arg(someOf(mismatched));
    if (!unexpected.isEmpty()) problems << tr("not in the model: %1").arg(someOf(unexpected));
    if (!problems.isEmpty())
        note += QStringLiteral("<br><span style='color:#c27c0e'>%1</span>").arg(problems.join(QStringLiteral("; ")).toHtmlEscaped());
    return note;
}

Weights ModelInspector::weightsFrom(const storage::VariableSource& source) {
    Weights out;
    for (const storage::VariableEntry& e : source.entries())
        if (storage::isModelKey(e.key))
            if (auto path = storage::pathOfKey(e.key)) out.emplace(*path, source.read(e));
    return out;
}

ModelInspector* openModelInspector(QWidget* parent, const ModelSpec& spec, const Weights* weights, const StepSettings* step) {
    auto* inspector = new ModelInspector(spec, weights, parent);
    if (step) inspector->setStepSettings(*step);
    inspector->setAttribute(Qt::WA_DeleteOnClose);
    inspector->show();
    inspector->raise();
    return inspector;
}

} // namespace strata::gui
