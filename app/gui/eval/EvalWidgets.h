// Small pieces of the Evaluation panel: a sample's features as an image (an image dataset's
// (H, W, C) sample, or a flat square one such as digits' 8×8) or as a feature row, a table
// delegate that draws class probabilities as bars, and the regression charts (QCustomPlot).
#pragma once

#include "engine/Tensor.h"
#include "engine/train/EvalReport.h"

#include <QImage>
#include <QString>
#include <QStyledItemDelegate>

#include <optional>
#include <utility>

class QCustomPlot;

namespace strata::gui {

// Row `row` of `samples` (N, ...) as a grayscale or RGB image scaled to its own value range (or
// to `range`, low and high, to draw two images on one scale); nullopt when the sample is not
// image-shaped (a table's row).
std::optional<QImage> sampleImage(const Tensor& samples, int64_t row, std::optional<std::pair<double, double>> range = std::nullopt);
// Row `row` as text: "5.1, 3.5, 1.4, 0.2" (at most `limit` values, then "…").
QString featureText(const Tensor& samples, int64_t row, int limit = 16);

// Draws a QVariantList of probabilities (Qt::UserRole) as bars; the bar of the class in
// Qt::UserRole + 1 (true) is green, of Qt::UserRole + 2 (predicted) red, the others grey.
class ProbabilityBarsDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

// Predicted against true, with the line predicted = true.
QCustomPlot* regressionScatter(const train::EvalReport& r);
// The residuals' histogram (predicted - true).
QCustomPlot* residualHistogram(const train::EvalReport& r);

} // namespace strata::gui
