#include "app/gui/data/BarChart.h"

#include <QPainter>

#include <algorithm>

namespace strata::gui {

namespace {
const QColor kBarColor(0x25, 0x63, 0xeb);
constexpr int kMaxBarHeight = 22, kMinBarHeight = 4, kGap = 3;
} // namespace

BarChart::BarChart(const QString& title, QWidget* parent) : QWidget(parent), title_(title) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void BarChart::setBars(std::vector<std::pair<QString, int64_t>> bars) {
    bars_ = std::move(bars);
    updateGeometry();
    update();
}

void BarChart::setTitle(const QString& title) {
    title_ = title;
    update();
}

QSize BarChart::sizeHint() const {
    const int rows = std::max<int>(int(bars_.size()), 3);
    return {320, fontMetrics().height() * 2 + rows * (std::min(kMaxBarHeight, fontMetrics().height() + 4) + kGap)};
}

void BarChart::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QFontMetrics fm = fontMetrics();
    const QColor text = palette().color(QPalette::WindowText);
    QRect area = rect().adjusted(6, 4, -6, -4);
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(text);
    p.drawText(area.left(), area.top() + fm.ascent(), title_);
    p.setFont(font());
    area.setTop(area.top() + fm.height() + 6);
    if (bars_.empty()) {
        p.setPen(palette().color(QPalette::PlaceholderText));
        p.drawText(area, Qt::AlignLeft | Qt::AlignTop, tr("No classes"));
        return;
    }
    int labelWidth = 0, countWidth = 0;
    int64_t most = 1;
    for (const auto& [label, n] : bars_) {
        labelWidth = std::max(labelWidth, fm.horizontalAdvance(label));
        countWidth = std::max(countWidth, fm.horizontalAdvance(QString::number(n)));
        most = std::max(most, n);
    }
    labelWidth = std::min(labelWidth + 4, area.width() * 2 / 5);
    const int n = int(bars_.size());
    const int barHeight = std::clamp((area.height() - (n - 1) * kGap) / n, kMinBarHeight, kMaxBarHeight);
    const int barLeft = area.left() + labelWidth + 8;
    const int barSpan = std::max(10, area.right() - barLeft - countWidth - 8);
    const bool writeLabels = barHeight >= fm.height() - 4;
    for (int i = 0; i < n; ++i) {
        const int top = area.top() + i * (barHeight + kGap);
        if (top + barHeight > area.bottom() + 1) break;
        const auto& [label, count] = bars_[std::size_t(i)];
        const int width = std::max(1, int(double(barSpan) * double(count) / double(most)));
        p.setPen(Qt::NoPen);
        p.setBrush(kBarColor);
        p.drawRoundedRect(QRect(barLeft, top, width, barHeight), 2, 2);
        if (!writeLabels) continue;
        p.setPen(text);
        const QRect labelRect(area.left(), top, labelWidth, barHeight);
        p.drawText(labelRect, Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(label, Qt::ElideRight, labelWidth));
        p.drawText(QRect(barLeft + width + 4, top, countWidth + 4, barHeight), Qt::AlignLeft | Qt::AlignVCenter, QString::number(count));
    }
}

} // namespace strata::gui
