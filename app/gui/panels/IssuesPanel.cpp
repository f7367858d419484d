#include "app/gui/panels/IssuesPanel.h"

#include "app/gui/model/GraphModel.h"

#include <QApplication>
#include <QStyle>

namespace strata::gui {

IssuesPanel::IssuesPanel(GraphModel* model, QWidget* parent) : QListWidget(parent), model_(model) {
    setWordWrap(true);
    setAlternatingRowColors(true);
    connect(model_, &GraphModel::changed, this, &IssuesPanel::refresh);
    connect(this, &QListWidget::itemClicked, this, [this](QListWidgetItem* item) {
        emit layerActivated(item->data(Qt::UserRole).toString().toStdString());
    });
    connect(this, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        emit layerActivated(item->data(Qt::UserRole).toString().toStdString());
    });
    refresh();
}

void IssuesPanel::refresh() {
    clear();
    QIcon icon = style()->standardIcon(QStyle::SP_MessageBoxWarning);
    for (const auto& issue : model_->inference().issues) {
        auto* item = new QListWidgetItem(icon, QString::fromStdString(issue.text()), this);
        item->setData(Qt::UserRole, QString::fromStdString(issue.layer));
        item->setToolTip(QString::fromStdString(issue.message));
    }
    if (count() == 0) {
        auto* ok = new QListWidgetItem(style()->standardIcon(QStyle::SP_DialogApplyButton), tr("No issues: every shape is known"), this);
        ok->setFlags(Qt::ItemIsEnabled);
    }
    emit countChanged(int(model_->inference().issues.size()));
}

} // namespace strata::gui
