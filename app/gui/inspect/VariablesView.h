// The tree of variables of a built model: one row per module (the model, its layers, the layers
// of its blocks) and per variable, with shape, dtype, trainable or frozen, parameter count
// (a module's is its subtree's) and a value summary. Selecting a variable shows its values in a
// table below, beside its histogram, heat map (2-D) or filters (convolution kernels) and, for a
// run that recorded histograms, its distribution over the epochs (VariablePlots.h); the totals
// line counts trainable, non-trainable and all parameters.
#pragma once

#include "engine/Layer.h"
#include "storage/Project.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;
class QTreeWidget;
class QTreeWidgetItem;

namespace strata {
class Model;
class Module;
} // namespace strata

namespace strata::gui {

class TensorTableModel;
class VariablePlots;

class VariablesView : public QWidget {
    Q_OBJECT
public:
    enum Column { NameColumn, ShapeColumn, DTypeColumn, TrainableColumn, ParamsColumn, ValuesColumn, ColumnCount };
    // Qt::UserRole of column 0: the row's object path ("model/dense_1/kernel"); UserRole + 1: true
    // for a variable row.
    static constexpr int PathRole = Qt::UserRole;
    static constexpr int IsVariableRole = Qt::UserRole + 1;

    // `model` must be built and outlive the view.
    explicit VariablesView(const Model& model, QWidget* parent = nullptr);

    QTreeWidget* tree() const { return tree_; }
    QTableView* valuesTable() const { return values_; }
    TensorTableModel* valuesModel() const { return valuesModel_; }
    QString valuesNote() const;
    QString totalsText() const;
    // Parameter counts of the variables listed (effective trainability: a frozen module freezes
    // everything below it).
    ParamCounts totals() const { return totals_; }
    // Every variable path in tree order; the row of a path (module or variable), or null.
    QStringList variablePaths() const;
    QTreeWidgetItem* itemForPath(const QString& path) const;
    // Selects a variable's row and shows its values; false for an unknown path.
    bool selectPath(const QString& path);
    // The selected variable's plots; the histograms a run recorded, for its "Over time" tab.
    VariablePlots* plots() const { return plots_; }
    void setRunHistograms(std::vector<storage::VariableHistogram> histograms, const QString& source);

public slots:
    // Re-reads every value (after the model's variables were assigned).
    void refresh();

private:
    QTreeWidgetItem* addModule(QTreeWidgetItem* parent, const Module& module);
    void showSelected();
    void applyFilter(const QString& text);

    const Model& model_;
    QLineEdit* filter_;
    QTreeWidget* tree_;
    QLabel* totalsLabel_;
    QLabel* detailTitle_;
    QLabel* detailNote_;
    QTableView* values_;
    TensorTableModel* valuesModel_;
    VariablePlots* plots_;
    ParamCounts totals_;
};

} // namespace strata::gui
