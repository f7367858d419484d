#include "app/gui/runs/RunTables.h"

#include <QCoreApplication>
#include <QHeaderView>
#include <QSet>
#include <QTableWidget>

#include <cmath>
#include <map>

namespace strata::gui {

namespace {

QString tr(const char* text) { return QCoreApplication::translate("RunTables", text); }
QString q(const std::string& s) { return QString::fromStdString(s); }

constexpr int kLongText = 60; // longer values are cut in the cell (the tooltip has them whole)

class SortableItem : public QTableWidgetItem {
public:
    using QTableWidgetItem::QTableWidgetItem;
    bool operator<(const QTableWidgetItem& other) const override {
        const QVariant a = data(Qt::UserRole + 1), b = other.data(Qt::UserRole + 1);
        const bool an = a.isValid() && std::isfinite(a.toDouble()), bn = b.isValid() && std::isfinite(b.toDouble());
        if (an && bn) return a.toDouble() < b.toDouble();
        if (an != bn) return an; // numbers first, then text and missing figures
        return text().localeAwareCompare(other.text()) < 0;
    }
};

// Flattens a hyper-parameter: objects by "key.sub" ("optimizer.name" is shown as "optimizer"),
// other values as one cell.
void flatten(const QString& key, const nlohmann::json& v, std::vector<RunSetting>& out) {
    if (v.is_object() && !v.empty()) {
        for (const auto& [sub, value] : v.items()) flatten(sub == "name" ? key : key + "." + q(sub), value, out);
        return;
    }
    RunSetting s{key, {}, std::nullopt};
    if (v.is_string()) s.text = q(v.get<std::string>());
    else if (v.is_boolean()) s.text = v.get<bool>() ? tr("yes") : tr("no");
    else if (v.is_number()) {
        s.number = v.get<double>();
        s.text = v.is_number_float() ? QString::number(*s.number, 'g', 6) : q(v.dump());
    } else s.text = q(v.dump());
    out.push_back(std::move(s));
}

} // namespace

std::vector<RunSetting> runSettings(const RunSummary& r) {
    std::vector<RunSetting> out = {{tr("model version"), QStringLiteral("%1 v%2").arg(q(r.model)).arg(r.modelVersion), double(r.modelVersion)},
                                   {tr("dataset"), q(r.dataset), std::nullopt},
                                   {tr("device"), q(r.device), std::nullopt},
                                   {tr("seed"), QString::number(r.seed), double(r.seed)}};
    for (const auto& [key, value] : r.hyperparameters.items())
        if (key != "dataset" && key != "seed") flatten(q(key), value, out);
    return out;
}

QStringList differingSettings(const std::vector<RunSummary>& runs) {
    QStringList order;
    std::vector<std::map<QString, QString>> values;
    for (const RunSummary& r : runs) {
        std::map<QString, QString>& m = values.emplace_back();
        for (const RunSetting& s : runSettings(r)) {
            if (!order.contains(s.key)) order << s.key;
            m[s.key] = s.text;
        }
    }
    QStringList out;
    for (const QString& key : order) {
        QSet<QString> seen;
        for (const auto& m : values) {
            const auto it = m.find(key);
            seen.insert(it == m.end() ? QStringLiteral("\x01absent") : it->second);
        }
        if (seen.size() > 1) out << key;
    }
    return out;
}

std::vector<RunFigure> runFigures(const RunSummary& r) {
    const QString last = tr("over the last recorded epoch (a stopped run's last epoch may be partial)");
    return {{tr("Train loss (last epoch)"), tr("The mean training loss %1").arg(last), r.loss, false},
            {tr("Val. loss (last epoch)"), tr("The validation loss after the last recorded epoch"), r.valLoss, false},
            {tr("Train acc. (last epoch)"), tr("The training accuracy %1").arg(last), r.accuracy, true},
            {tr("Val. acc. (last epoch)"), tr("The validation accuracy after the last recorded epoch"), r.valAccuracy, true},
            {tr("Test loss"), tr("The loss on the test split, with the run's final weights"), r.testLoss, false},
            {tr("Test accuracy"), tr("The accuracy on the test split, with the run's final weights"), r.testAccuracy, true}};
}

QString figureText(const RunFigure& f) {
    if (!std::isfinite(f.value)) return QStringLiteral("—");
    return f.percent ? QString::number(100.0 * f.value, 'f', 1) + "%" : QString::number(f.value, 'f', 4);
}

QTableWidgetItem* sortableCell(const QString& text, std::optional<double> number) {
    QString shown = text;
    if (shown.size() > kLongText) shown = shown.left(kLongText - 1) + "…";
    auto* item = new SortableItem(shown);
    item->setFlags(Qt::ItemIsSelectable | Qt::ItemIsEnabled);
    if (shown != text) item->setToolTip(text);
    if (number) {
        item->setData(Qt::UserRole + 1, *number);
        item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    }
    return item;
}

void fillSettingsTable(QTableWidget* table, const RunSummary& run) {
    const std::vector<RunSetting> settings = runSettings(run);
    table->setSortingEnabled(false);
    table->clear();
    table->setColumnCount(2);
    table->setHorizontalHeaderLabels({tr("Setting"), tr("Value")});
    table->setRowCount(int(settings.size()));
    for (int row = 0; row < int(settings.size()); ++row) {
        const RunSetting& s = settings[std::size_t(row)];
        table->setItem(row, 0, sortableCell(s.key));
        QTableWidgetItem* value = sortableCell(s.text, s.number);
        value->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        table->setItem(row, 1, value);
    }
    table->resizeColumnToContents(0);
}

void fillComparisonTable(QTableWidget* table, const std::vector<RunSummary>& runs) {
    const QStringList differ = differingSettings(runs);
    std::vector<RunFigure> figures = runs.empty() ? std::vector<RunFigure>{} : runFigures(runs.front());
    QStringList headers = {tr("Run")};
    headers << differ;
    for (const RunFigure& f : figures) headers << f.header;
    table->setSortingEnabled(false);
    table->clear();
    table->setColumnCount(int(headers.size()));
    table->setHorizontalHeaderLabels(headers);
    table->horizontalHeaderItem(0)->setToolTip(tr("The selected runs; the columns after it are only the settings that differ"));
    for (int c = 0; c < int(figures.size()); ++c)
        table->horizontalHeaderItem(1 + int(differ.size()) + c)->setToolTip(figures[std::size_t(c)].tip);
    table->setRowCount(int(runs.size()));
    for (int row = 0; row < int(runs.size()); ++row) {
        const RunSummary& r = runs[std::size_t(row)];
        QTableWidgetItem* id = sortableCell(QString::number(r.id), double(r.id));
        id->setData(Qt::UserRole, qlonglong(r.id));
        table->setItem(row, 0, id);
        std::map<QString, RunSetting> settings;
        for (RunSetting& s : runSettings(r)) settings.emplace(s.key, std::move(s));
        for (int c = 0; c < int(differ.size()); ++c) {
            const auto it = settings.find(differ[c]);
            table->setItem(row, 1 + c, it == settings.end() ? sortableCell(QStringLiteral("—")) : sortableCell(it->second.text, it->second.number));
        }
        const std::vector<RunFigure> mine = runFigures(r);
        for (int c = 0; c < int(mine.size()); ++c) {
            const RunFigure& f = mine[std::size_t(c)];
            table->setItem(row, 1 + int(differ.size()) + c, sortableCell(figureText(f), std::isfinite(f.value) ? std::optional(f.value) : std::nullopt));
        }
    }
    table->setSortingEnabled(true);
    table->resizeColumnsToContents();
}

} // namespace strata::gui
