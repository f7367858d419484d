#include "app/gui/inspect/TensorValues.h"

#include "engine/Summary.h"

#include <QStringList>

#include <algorithm>
#include <charconv>
#include <limits>

namespace strata::gui {

double tensorElement(const Tensor& t, int64_t i) {
    return t.dtype() == DType::I32 ? double(t.i32()[i]) : double(t.f32()[i]);
}

TensorStats tensorStats(const Tensor& t) {
    TensorStats s;
    s.count = t.size();
    if (s.count == 0) return s;
    s.min = std::numeric_limits<double>::infinity();
    s.max = -std::numeric_limits<double>::infinity();
    double sum = 0;
    for (int64_t i = 0; i < s.count; ++i) {
        const double v = tensorElement(t, i);
        s.min = std::min(s.min, v);
        s.max = std::max(s.max, v);
        sum += v;
    }
    s.mean = sum / double(s.count);
    return s;
}

QString formatElement(const Tensor& t, int64_t i) {
    if (t.dtype() == DType::I32) return QString::number(t.i32()[i]);
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, t.f32()[i]);
    return ec == std::errc() ? QString::fromLatin1(buf, int(end - buf)) : QString::number(double(t.f32()[i]), 'g', 9);
}

namespace {
QString brief(double v) { return QString::number(v, 'g', 4); }
} // namespace

QString statsText(const Tensor& t) {
    if (t.empty()) return QStringLiteral("(empty)");
    const TensorStats s = tensorStats(t);
    return QStringLiteral("min %1 · mean %2 · max %3").arg(brief(s.min), brief(s.mean), brief(s.max));
}

QString tensorSummary(const Tensor& t, int firstValues) {
    if (t.empty()) return QStringLiteral("(empty)");
    QStringList first;
    const int64_t n = std::min<int64_t>(firstValues, t.size());
    for (int64_t i = 0; i < n; ++i) first << brief(tensorElement(t, i));
    if (t.size() > n) first << QStringLiteral("…");
    return statsText(t) + QStringLiteral(" · [%1]").arg(first.join(QStringLiteral(", ")));
}

void TensorTableModel::setTensor(const Tensor* t) {
    beginResetModel();
    tensor_ = t;
    rows_ = cols_ = 0;
    if (t && !t->empty()) {
        const Shape& s = t->shape();
        cols_ = s.rank() == 0 ? 1 : s.back();
        rows_ = cols_ == 0 ? 0 : t->size() / cols_;
        if (s.rank() == 1) std::swap(rows_, cols_); // a vector reads down one column
    }
    endResetModel();
}

QString TensorTableModel::note() const {
    if (!tensor_) return {};
    const Shape& s = tensor_->shape();
    QString text = tr("%1 %2, %3 values").arg(QString::fromStdString(s.toString()),
                                               QString::fromUtf8(dtypeName(tensor_->dtype()).data()),
                                               QString::fromStdString(withThousands(tensor_->size())));
    if (s.rank() > 2)
        text += tr(" — viewed as %1 rows of the last dimension (%2), each row headed by its leading index")
                    .arg(QString::fromStdString(withThousands(rows_)))
                    .arg(cols_);
    if (truncated())
        text += tr(" — showing the first %1 of %2 rows and %3 of %4 columns")
                    .arg(std::min<int64_t>(rows_, kMaxRows))
                    .arg(rows_)
                    .arg(std::min<int64_t>(cols_, kMaxColumns))
                    .arg(cols_);
    return text;
}

int TensorTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(std::min<int64_t>(rows_, kMaxRows));
}

int TensorTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(std::min<int64_t>(cols_, kMaxColumns));
}

QVariant TensorTableModel::data(const QModelIndex& index, int role) const {
    if (!tensor_ || !index.isValid()) return {};
    const int64_t flat = int64_t(index.row()) * cols_ + index.column();
    switch (role) {
    case Qt::DisplayRole: return formatElement(*tensor_, flat);
    case ValueRole: return tensorElement(*tensor_, flat);
    case FlatIndexRole: return qlonglong(flat);
    case Qt::TextAlignmentRole: return int(Qt::AlignRight | Qt::AlignVCenter);
    default: return {};
    }
}

QVariant TensorTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (role != Qt::DisplayRole || !tensor_) return {};
    const Shape& s = tensor_->shape();
    if (orientation == Qt::Horizontal) return s.rank() <= 1 ? QVariant(tr("value")) : QVariant(section);
    if (s.rank() <= 2) return section;
    // The leading index of a row of the last dimension: [i, j, k, :].
    QStringList idx;
    int64_t rest = section;
    for (int d = int(s.rank()) - 2; d >= 0; --d) {
        idx.prepend(QString::number(rest % s[std::size_t(d)]));
        rest /= s[std::size_t(d)];
    }
    return QStringLiteral("[%1, :]").arg(idx.join(QStringLiteral(", ")));
}

} // namespace strata::gui
