// Tensor values as the inspector shows them: a one-line summary (min / mean / max and the first
// few values) and a table model over a tensor's elements, capped for big tensors. Only formatting
// and read-only statistics of values the engine already holds; nothing here changes a model.
#pragma once

#include "engine/Tensor.h"

#include <QAbstractTableModel>
#include <QString>

namespace strata::gui {

struct TensorStats {
    double min = 0, mean = 0, max = 0;
    int64_t count = 0;
};

TensorStats tensorStats(const Tensor& t);
// Element i of a float32 or int32 tensor, as a double.
double tensorElement(const Tensor& t, int64_t i);
// The shortest text that reads back as the same float32 ("0.1", "-3.25e-05"); int32 as integers.
QString formatElement(const Tensor& t, int64_t i);
// "min -0.41 · mean 0.0021 · max 0.39"
QString statsText(const Tensor& t);
// The statistics and the first values: "min -0.41 · mean 0.0021 · max 0.39 · [0.12, -0.3, …]"
QString tensorSummary(const Tensor& t, int firstValues = 4);

// The elements of one tensor as a table: a scalar is 1x1, a vector one column, a matrix rows x
// columns, and a higher rank is viewed as (product of leading dims) x (last dim) with each row
// headed by its leading index. At most kMaxRows x kMaxColumns cells are shown.
class TensorTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    static constexpr int kMaxRows = 2000;
    static constexpr int kMaxColumns = 256;
    // Qt::UserRole of a cell: the element's exact value (double); Qt::UserRole + 1: its flat index.
    static constexpr int ValueRole = Qt::UserRole;
    static constexpr int FlatIndexRole = Qt::UserRole + 1;

    explicit TensorTableModel(QObject* parent = nullptr) : QAbstractTableModel(parent) {}
    // `t` must outlive the model's use of it (or until the next setTensor / clear).
    void setTensor(const Tensor* t);
    void clear() { setTensor(nullptr); }

    int64_t fullRows() const { return rows_; }
    int64_t fullColumns() const { return cols_; }
    bool truncated() const { return rows_ > kMaxRows || cols_ > kMaxColumns; }
    // "(784, 10) float32, 7,840 values" plus the viewing and truncation notes.
    QString note() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    const Tensor* tensor_ = nullptr;
    int64_t rows_ = 0, cols_ = 0;
};

} // namespace strata::gui
