#include "app/gui/eval/ConfusionMatrixView.h"

#include <QVBoxLayout>

#include <qcustomplot.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace strata::gui {

ConfusionMatrixView::ConfusionMatrixView(QWidget* parent) : QWidget(parent) {
    plot_ = new QCustomPlot;
    plot_->setObjectName("confusionPlot");
    plot_->setMinimumSize(320, 320);
    map_ = new QCPColorMap(plot_->xAxis, plot_->yAxis);
    map_->setInterpolate(false);
    map_->setTightBoundary(false);
    QCPColorGradient blues;
    blues.setColorStopAt(0, QColor(0xff, 0xff, 0xff));
    blues.setColorStopAt(1, QColor(0x1e, 0x40, 0xaf));
    map_->setGradient(blues);
    plot_->yAxis->setRangeReversed(true); // the first true class on top
    plot_->xAxis->setLabel(tr("predicted"));
    plot_->yAxis->setLabel(tr("true"));
    for (QCPAxis* a : {plot_->xAxis, plot_->yAxis}) {
        a->grid()->setVisible(false);
        a->setTickLength(0, 0);
        a->setSubTicks(false);
    }
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    connect(plot_, &QCustomPlot::mousePress, this, [this](QMouseEvent* e) {
        int t = 0, p = 0;
        if (e->button() == Qt::LeftButton && cellAt(e->pos(), &t, &p)) emit cellClicked(t, p);
    });
}

void ConfusionMatrixView::setMatrix(const std::vector<std::vector<int64_t>>& counts, const std::vector<std::string>& classNames) {
    counts_ = counts;
    names_.clear();
    for (const std::string& n : classNames) names_ << QString::fromStdString(n);
    selectedT_ = selectedP_ = -1;
    const int k = classCount();
    auto ticksFor = [&](QCPAxis* axis) {
        QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
        for (int i = 0; i < k; ++i) ticker->addTick(i, names_.value(i));
        axis->setTicker(ticker);
        axis->setRange(-0.5, k - 0.5);
    };
    ticksFor(plot_->xAxis);
    ticksFor(plot_->yAxis);
    map_->data()->setSize(std::max(1, k), std::max(1, k));
    map_->data()->setRange(QCPRange(0, std::max(0, k - 1)), QCPRange(0, std::max(0, k - 1)));
    redraw();
}

void ConfusionMatrixView::setNormalised(bool on) {
    normalised_ = on;
    redraw();
}

QString ConfusionMatrixView::cellText(int t, int p) const {
    if (t < 0 || p < 0 || t >= classCount() || p >= classCount()) return {};
    const int64_t v = counts_[std::size_t(t)][std::size_t(p)];
    if (!normalised_) return QString::number(v);
    const int64_t row = std::accumulate(counts_[std::size_t(t)].begin(), counts_[std::size_t(t)].end(), int64_t(0));
    return QString::number(row ? double(v) / double(row) : 0.0, 'f', 2);
}

void ConfusionMatrixView::redraw() {
    plot_->clearItems();
    const int k = classCount();
    int64_t most = 1;
    for (const auto& row : counts_)
        for (int64_t v : row) most = std::max(most, v);
    const int pointSize = k > 16 ? 6 : k > 10 ? 8 : 10;
    for (int t = 0; t < k; ++t) {
        const int64_t row = std::accumulate(counts_[std::size_t(t)].begin(), counts_[std::size_t(t)].end(), int64_t(0));
        for (int p = 0; p < k; ++p) {
            const int64_t v = counts_[std::size_t(t)][std::size_t(p)];
            const double share = row ? double(v) / double(row) : 0.0;
            // Counts on a square-root scale, so that a few mistakes beside a full diagonal still show.
            const double z = normalised_ ? share : std::sqrt(double(v) / double(most));
            map_->data()->setCell(p, t, z);
            auto* text = new QCPItemText(plot_);
            text->position->setType(QCPItemPosition::ptPlotCoords);
            text->position->setCoords(p, t);
            text->setText(cellText(t, p));
            QFont f = font();
            f.setPointSize(pointSize);
            text->setFont(f);
            text->setColor(z > 0.5 ? Qt::white : QColor(0x11, 0x18, 0x27));
            text->setClipToAxisRect(true);
        }
    }
    if (selectedT_ >= 0) {
        auto* box = new QCPItemRect(plot_);
        box->topLeft->setCoords(selectedP_ - 0.5, selectedT_ - 0.5);
        box->bottomRight->setCoords(selectedP_ + 0.5, selectedT_ + 0.5);
        box->setPen(QPen(QColor(0xf5, 0x9e, 0x0b), 3));
    }
    map_->setDataRange(QCPRange(0, 1));
    plot_->replot();
}

void ConfusionMatrixView::selectCell(int t, int p) {
    selectedT_ = t;
    selectedP_ = p;
    redraw();
}

QPoint ConfusionMatrixView::cellCenter(int t, int p) const {
    return QPoint(int(std::lround(plot_->xAxis->coordToPixel(p))), int(std::lround(plot_->yAxis->coordToPixel(t))));
}

bool ConfusionMatrixView::cellAt(const QPoint& pixel, int* t, int* p) const {
    const double x = plot_->xAxis->pixelToCoord(pixel.x()), y = plot_->yAxis->pixelToCoord(pixel.y());
    const int pp = int(std::lround(x)), tt = int(std::lround(y));
    if (pp < 0 || tt < 0 || pp >= classCount() || tt >= classCount()) return false;
    if (std::fabs(x - pp) > 0.5 || std::fabs(y - tt) > 0.5) return false;
    *t = tt;
    *p = pp;
    return true;
}

} // namespace strata::gui
