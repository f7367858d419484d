#include "app/gui/panels/Breadcrumb.h"

#include "app/gui/model/GraphModel.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>

namespace strata::gui {

Breadcrumb::Breadcrumb(GraphModel* model, QWidget* parent) : QWidget(parent), model_(model) {
    layout_ = new QHBoxLayout(this);
    layout_->setContentsMargins(8, 3, 8, 3);
    layout_->setSpacing(2);
    connect(model_, &GraphModel::levelChanged, this, &Breadcrumb::refresh);
    connect(model_, &GraphModel::changed, this, &Breadcrumb::refresh);
    refresh();
}

QStringList Breadcrumb::parts() const {
    QStringList out{QString::fromStdString(model_->state().spec.name)};
    for (const auto& p : model_->path()) out << QString::fromStdString(p);
    return out;
}

void Breadcrumb::refresh() {
    while (QLayoutItem* item = layout_->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    QStringList names = parts();
    for (int i = 0; i < names.size(); ++i) {
        if (i > 0) {
            auto* sep = new QLabel(QStringLiteral("›"));
            sep->setForegroundRole(QPalette::PlaceholderText);
            layout_->addWidget(sep);
        }
        auto* b = new QToolButton;
        b->setText(names[i]);
        b->setAutoRaise(true);
        bool last = i == names.size() - 1;
        QFont f = b->font();
        f.setBold(last);
        b->setFont(f);
        b->setEnabled(!last);
        b->setToolTip(last ? tr("The level shown on the canvas") : tr("Back out to %1").arg(names[i]));
        connect(b, &QToolButton::clicked, this, [this, i] {
            LevelPath p(model_->path().begin(), model_->path().begin() + i);
            model_->openPath(p);
        });
        layout_->addWidget(b);
    }
    layout_->addStretch(1);
}

} // namespace strata::gui
