#include "app/gui/eval/EvalWidgets.h"

#include <QPainter>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>

namespace strata::gui {

std::optional<QImage> sampleImage(const Tensor& samples, int64_t row, std::optional<std::pair<double, double>> range) {
    const Shape s = samples.shape().withoutFirst();
    int64_t h = 0, w = 0, c = 1;
    if (s.rank() == 3 && (s[2] == 1 || s[2] == 3)) h = s[0], w = s[1], c = s[2];
    else if (s.rank() == 2) h = s[0], w = s[1];
    else if (s.rank() == 1) {
        const auto side = int64_t(std::lround(std::sqrt(double(s[0]))));
        if (side >= 8 && side * side == s[0]) h = w = side;
    }
    if (!h || !w || samples.dtype() != DType::F32 || row < 0 || row >= samples.shape()[0]) return std::nullopt;
    const int64_t n = h * w * c;
    const float* v = samples.f32() + row * n;
    const auto [lo, hi] = std::minmax_element(v, v + n);
    const double low = range ? range->first : *lo, high = range ? range->second : *hi;
    const double span = high > low ? high - low : 1.0;
    QImage img(int(w), int(h), QImage::Format_RGB32);
    for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
            const float* p = v + (y * w + x) * c;
            auto level = [&](int k) { return std::clamp(int(std::lround((p[k] - low) / span * 255)), 0, 255); };
            const int r = level(0), g = c == 3 ? level(1) : r, b = c == 3 ? level(2) : r;
            img.setPixel(int(x), int(y), qRgb(r, g, b));
        }
    return img;
}

QString featureText(const Tensor& samples, int64_t row, int limit) {
    if (samples.dtype() != DType::F32 || row < 0 || samples.shape().rank() < 1 || row >= samples.shape()[0]) return {};
    const int64_t n = samples.size() / samples.shape()[0];
    QStringList parts;
    for (int64_t i = 0; i < std::min<int64_t>(n, limit); ++i) parts << QString::number(samples.f32()[row * n + i], 'g', 4);
    return parts.join(", ") + (n > limit ? QStringLiteral(", …") : QString());
}

void ProbabilityBarsDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
    QStyledItemDelegate::paint(painter, option, QModelIndex()); // background and selection only
    const QVariantList probs = index.data(Qt::UserRole).toList();
    if (probs.isEmpty()) return;
    const int truth = index.data(Qt::UserRole + 1).toInt(), predicted = index.data(Qt::UserRole + 2).toInt();
    const QRectF area = QRectF(option.rect).adjusted(4, 3, -4, -3);
    const double bar = area.width() / probs.size();
    painter->save();
    painter->setPen(Qt::NoPen);
    for (int i = 0; i < probs.size(); ++i) {
        const double p = std::clamp(probs[i].toDouble(), 0.0, 1.0);
        const QColor color = i == truth ? QColor(0x16, 0xa3, 0x4a) : i == predicted ? QColor(0xdc, 0x26, 0x26) : QColor(0x9c, 0xa3, 0xaf);
        painter->setBrush(color);
        painter->drawRect(QRectF(area.left() + i * bar + 0.5, area.bottom() - p * area.height(), std::max(1.0, bar - 1), p * area.height()));
    }
    painter->setPen(QColor(0xd1, 0xd5, 0xdb));
    painter->drawLine(area.bottomLeft(), area.bottomRight());
    painter->restore();
}

QSize ProbabilityBarsDelegate::sizeHint(const QStyleOptionViewItem&, const QModelIndex& index) const {
    return QSize(std::max(80, int(index.data(Qt::UserRole).toList().size()) * 10), 28);
}

QCustomPlot* regressionScatter(const train::EvalReport& r) {
    auto* plot = new QCustomPlot;
    plot->setObjectName("regressionScatter");
    QVector<double> x, y;
    for (std::size_t i = 0; i < r.trueValues.size(); ++i) x << r.trueValues[i], y << r.predictedValues[i];
    auto* points = plot->addGraph();
    points->setName(QObject::tr("samples"));
    points->setData(x, y);
    points->setLineStyle(QCPGraph::lsNone);
    points->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(0x25, 0x63, 0xeb), 5));
    double low = 0, high = 1;
    if (!x.isEmpty()) {
        low = std::min(*std::min_element(x.begin(), x.end()), *std::min_element(y.begin(), y.end()));
        high = std::max(*std::max_element(x.begin(), x.end()), *std::max_element(y.begin(), y.end()));
        if (!(high > low)) low -= 0.5, high += 0.5;
    }
    const double pad = (high - low) * 0.05;
    auto* diagonal = plot->addGraph();
    diagonal->setName(QObject::tr("predicted = true"));
    diagonal->setData(QVector<double>{low - pad, high + pad}, QVector<double>{low - pad, high + pad});
    diagonal->setPen(QPen(QColor(0x9c, 0xa3, 0xaf), 1, Qt::DashLine));
    plot->xAxis->setLabel(QObject::tr("true"));
    plot->yAxis->setLabel(QObject::tr("predicted"));
    plot->xAxis->setRange(low - pad, high + pad);
    plot->yAxis->setRange(low - pad, high + pad);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, QObject::tr("Predicted against true · MAE %1 · RMSE %2 · R² %3")
                                                                     .arg(r.mae, 0, 'g', 4)
                                                                     .arg(r.rmse, 0, 'g', 4)
                                                                     .arg(r.r2, 0, 'g', 4)));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->replot();
    return plot;
}

QCustomPlot* residualHistogram(const train::EvalReport& r) {
    auto* plot = new QCustomPlot;
    plot->setObjectName("residualHistogram");
    const auto& h = r.residuals;
    const double width = h.counts.empty() ? 1 : (h.high - h.low) / double(h.counts.size());
    QVector<double> keys, values;
    for (std::size_t b = 0; b < h.counts.size(); ++b) keys << h.low + width * (double(b) + 0.5), values << double(h.counts[b]);
    auto* bars = new QCPBars(plot->xAxis, plot->yAxis);
    bars->setData(keys, values);
    bars->setWidth(width * 0.9);
    bars->setBrush(QColor(0x25, 0x63, 0xeb));
    bars->setPen(Qt::NoPen);
    plot->xAxis->setLabel(QObject::tr("residual (predicted − true)"));
    plot->yAxis->setLabel(QObject::tr("samples"));
    plot->xAxis->setRange(h.low - width, h.high + width);
    plot->yAxis->setRange(0, values.isEmpty() ? 1 : *std::max_element(values.begin(), values.end()) * 1.1);
    plot->plotLayout()->insertRow(0);
    plot->plotLayout()->addElement(0, 0, new QCPTextElement(plot, QObject::tr("Residuals")));
    plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    plot->replot();
    return plot;
}

} // namespace strata::gui
