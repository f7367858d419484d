#include "app/gui/inspect/StepSettings.h"

#include <QCoreApplication>
#include <QStringList>

namespace strata::gui {

namespace {
QString tr(const char* text) { return QCoreApplication::translate("StepSettings", text); }
QString num(double v) { return QString::number(v, 'g', 6); }

QString describeSchedule(const ir::LearningRateSchedule& s) {
    using Kind = ir::LearningRateSchedule::Kind;
    switch (s.kind) {
    case Kind::Constant: return tr("learning rate %1").arg(num(s.learningRate));
    case Kind::StepDecay:
        return tr("learning rate %1, × %2 every %3 steps").arg(num(s.learningRate), num(s.decayRate)).arg(s.decaySteps);
    case Kind::CosineDecay:
        return tr("learning rate %1, cosine decay over %2 steps to %3×").arg(num(s.learningRate)).arg(s.decaySteps).arg(num(s.alpha));
    }
    return {};
}
} // namespace

QString describeOptimizer(const ir::OptimizerConfig& c) {
    QStringList parts{describeSchedule(c.learningRate)};
    const bool sgd = c.name == "sgd", rmsprop = c.name == "rmsprop";
    if (c.name == "adam" || c.name == "adamw") {
        const ir::OptimizerConfig d = ir::OptimizerConfig::defaults(c.name);
        if (c.beta1 != d.beta1 || c.beta2 != d.beta2) parts << tr("betas %1, %2").arg(num(c.beta1), num(c.beta2));
    }
    if (rmsprop) parts << tr("rho %1").arg(num(c.rho));
    if ((sgd || rmsprop) && c.momentum > 0) parts << tr("momentum %1").arg(num(c.momentum));
    if (sgd && c.nesterov && c.momentum > 0) parts << tr("nesterov");
    if (rmsprop && c.centered) parts << tr("centered");
    if (c.weightDecay > 0) parts << tr("weight decay %1").arg(num(c.weightDecay));
    return QStringLiteral("%1 (%2)").arg(QString::fromStdString(c.name), parts.join(QStringLiteral(", ")));
}

} // namespace strata::gui
