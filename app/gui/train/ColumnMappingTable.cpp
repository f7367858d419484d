#include "app/gui/train/ColumnMappingTable.h"

#include "engine/Error.h"
#include "engine/Model.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QLineEdit>

#include <algorithm>

namespace strata::gui {

namespace {

enum Column { kPort, kColumns, kLoss, kWeight, kColumnCount };

const char* const kLosses[][2] = {{"sparse_categorical_crossentropy", "sparse CE"},
                                  {"categorical_crossentropy", "CE"},
                                  {"binary_crossentropy", "BCE"},
                                  {"mean_squared_error", "MSE"},
                                  {"mean_absolute_error", "MAE"}};

bool readsClassLabels(const std::string& loss) {
    return loss == "sparse_categorical_crossentropy" || loss == "categorical_crossentropy";
}

QString widthText(int64_t w) { return w > 0 ? QString::number(w) : QStringLiteral("?"); }

} // namespace

ColumnMappingTable::ColumnMappingTable(QWidget* parent) : QTableWidget(parent) {
    setObjectName("trainColumnMapping");
    setColumnCount(kColumnCount);
    setHorizontalHeaderLabels({tr("Model"), tr("Columns"), tr("Loss"), tr("Weight")});
    horizontalHeader()->setSectionResizeMode(kColumns, QHeaderView::Stretch);
    for (int c : {kPort, kLoss, kWeight}) horizontalHeader()->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    verticalHeader()->setVisible(false);
    setSelectionMode(QAbstractItemView::NoSelection);
    setToolTip(tr("Which CSV columns feed each Input (names, 0-based indices, first..last), and which column is each "
                  "output's target, with its loss and the loss's weight in the sum that is trained"));
}

void ColumnMappingTable::setModel(const ModelSpec& spec) {
    std::unique_ptr<Model> model;
    try {
        model = Model::fromSpec(spec);
    } catch (const std::exception&) {
        return; // the editor shows what is wrong with the model; the rows stay as they were
    }
    std::vector<Port> ins, outs;
    for (int i : model->inputIndices()) ins.push_back({model->layers()[std::size_t(i)]->name(), model->outputShape(i).withoutFirst().numElements()});
    for (int o : model->outputIndices()) outs.push_back({model->layers()[std::size_t(o)]->name(), model->outputShape(o).withoutFirst().numElements()});
    auto same = [](const std::vector<Port>& a, const std::vector<Port>& b) {
        return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                          [](const Port& x, const Port& y) { return x.name == y.name && x.width == y.width; });
    };
    if (same(ins, inputs_) && same(outs, outputs_)) return;
    // Keep what was entered for the names that stay.
    const data::ColumnMapping before = mapping();
    const std::vector<train::OutputLoss> lossesBefore = losses();
    inputs_ = std::move(ins);
    outputs_ = std::move(outs);
    rebuild(before, lossesBefore);
}

void ColumnMappingTable::setTableColumns(const QStringList& columns, bool header) {
    QStringList refs = columns;
    if (!header)
        for (int c = 0; c < refs.size(); ++c) refs[c] = QString::number(c);
    if (columns == columns_ && refs == refs_) return;
    const data::ColumnMapping before = mapping();
    const std::vector<train::OutputLoss> lossesBefore = losses();
    columns_ = columns;
    refs_ = refs;
    rebuild(before, lossesBefore);
}

void ColumnMappingTable::rebuild(const data::ColumnMapping& before, const std::vector<train::OutputLoss>& lossesBefore) {
    // The old editors are deleted later by the view: nameless now, so findChild sees only the new ones.
    for (int r = 0; r < rowCount(); ++r)
        for (int c = 0; c < columnCount(); ++c)
            if (QWidget* w = cellWidget(r, c)) w->setObjectName({}), w->disconnect(this);
    clearContents();
    setRowCount(int(inputs_.size() + outputs_.size()));
    int row = 0;
    auto portItem = [](const QString& text, const QString& tip) {
        auto* item = new QTableWidgetItem(text);
        item->setFlags(Qt::ItemIsEnabled);
        item->setToolTip(tip);
        return item;
    };
    for (const Port& in : inputs_) {
        const QString name = QString::fromStdString(in.name);
        setItem(row, kPort, portItem(tr("%1 ← %2").arg(name, widthText(in.width)),
                                     tr("Input '%1' takes %2 values per sample").arg(name, widthText(in.width))));
        auto* edit = new QLineEdit;
        edit->setObjectName("mapInput_" + name);
        edit->setPlaceholderText(tr("columns, e.g. x0..x%1").arg(std::max<int64_t>(in.width - 1, 0)));
        connect(edit, &QLineEdit::textChanged, this, &ColumnMappingTable::mappingChanged);
        setCellWidget(row, kColumns, edit);
        setItem(row, kLoss, portItem(QString(), {}));
        setItem(row, kWeight, portItem(QString(), {}));
        ++row;
    }
    for (const Port& out : outputs_) {
        const QString name = QString::fromStdString(out.name);
        setItem(row, kPort, portItem(tr("%1 → %2").arg(name, widthText(out.width)),
                                     tr("Output '%1' gives %2 values per sample").arg(name, widthText(out.width))));
        auto* column = new QComboBox;
        column->setObjectName("mapOutput_" + name);
        column->addItem(tr("(choose)"), QString());
        for (int c = 0; c < columns_.size(); ++c) column->addItem(columns_[c], refs_[c]);
        if (const int i = column->findData(name); i > 0) column->setCurrentIndex(i); // a column named like the output
        connect(column, &QComboBox::currentIndexChanged, this, &ColumnMappingTable::mappingChanged);
        setCellWidget(row, kColumns, column);
        auto* loss = new QComboBox;
        loss->setObjectName("mapLoss_" + name);
        for (const auto& [id, shortName] : kLosses) loss->addItem(shortName, QString(id));
        for (int i = 0; i < loss->count(); ++i) loss->setItemData(i, loss->itemData(i).toString().replace('_', ' '), Qt::ToolTipRole);
        // A one-unit output predicts a value, a wider one a class.
        loss->setCurrentIndex(out.width == 1 ? 3 : 0);
        connect(loss, &QComboBox::currentIndexChanged, this, &ColumnMappingTable::mappingChanged);
        setCellWidget(row, kLoss, loss);
        auto* weight = new QDoubleSpinBox;
        weight->setObjectName("mapWeight_" + name);
        weight->setRange(0, 1000);
        weight->setDecimals(3);
        weight->setSingleStep(0.1);
        weight->setValue(1.0);
        weight->setToolTip(tr("The weight of this output's loss in the sum that is trained (Keras' loss_weights)"));
        connect(weight, &QDoubleSpinBox::valueChanged, this, &ColumnMappingTable::mappingChanged);
        setCellWidget(row, kWeight, weight);
        ++row;
    }
    // What was entered for the names that stay.
    for (const data::InputColumns& in : before.inputs) {
        QStringList cols;
        for (const std::string& c : in.columns) cols << QString::fromStdString(c);
        setInputColumns(QString::fromStdString(in.input), cols.join(", "));
    }
    for (const data::OutputColumn& out : before.outputs) setOutputColumn(QString::fromStdString(out.output), QString::fromStdString(out.column));
    for (const train::OutputLoss& l : lossesBefore) setOutputLoss(QString::fromStdString(l.output), QString::fromStdString(l.loss), l.weight);
    resizeColumnsToContents();
    horizontalHeader()->setSectionResizeMode(kColumns, QHeaderView::Stretch);
    setFixedHeight(horizontalHeader()->height() + 2 * frameWidth() + rowCount() * verticalHeader()->defaultSectionSize());
    emit mappingChanged();
}

int ColumnMappingTable::rowOfInput(const QString& name) const {
    for (std::size_t i = 0; i < inputs_.size(); ++i)
        if (QString::fromStdString(inputs_[i].name) == name) return int(i);
    return -1;
}

int ColumnMappingTable::rowOfOutput(const QString& name) const {
    for (std::size_t k = 0; k < outputs_.size(); ++k)
        if (QString::fromStdString(outputs_[k].name) == name) return int(inputs_.size() + k);
    return -1;
}

bool ColumnMappingTable::setInputColumns(const QString& input, const QString& columns) {
    const int row = rowOfInput(input);
    if (row < 0) return false;
    static_cast<QLineEdit*>(cellWidget(row, kColumns))->setText(columns);
    return true;
}

bool ColumnMappingTable::setOutputColumn(const QString& output, const QString& column) {
    const int row = rowOfOutput(output);
    if (row < 0) return false;
    auto* box = static_cast<QComboBox*>(cellWidget(row, kColumns));
    const int i = box->findData(column);
    if (i < 0) return false;
    box->setCurrentIndex(i);
    return true;
}

bool ColumnMappingTable::setOutputLoss(const QString& output, const QString& loss, double weight) {
    const int row = rowOfOutput(output);
    if (row < 0) return false;
    auto* box = static_cast<QComboBox*>(cellWidget(row, kLoss));
    const int i = box->findData(loss);
    if (i < 0) return false;
    box->setCurrentIndex(i);
    static_cast<QDoubleSpinBox*>(cellWidget(row, kWeight))->setValue(weight);
    return true;
}

data::ColumnMapping ColumnMappingTable::mapping() const {
    data::ColumnMapping m;
    for (std::size_t i = 0; i < inputs_.size(); ++i) {
        const auto* edit = static_cast<const QLineEdit*>(cellWidget(int(i), kColumns));
        data::InputColumns in{inputs_[i].name, {}};
        for (const QString& c : edit->text().split(',', Qt::SkipEmptyParts))
            if (!c.trimmed().isEmpty()) in.columns.push_back(c.trimmed().toStdString());
        m.inputs.push_back(in);
    }
    const std::vector<train::OutputLoss> l = losses();
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
        const auto* box = static_cast<const QComboBox*>(cellWidget(int(inputs_.size() + k), kColumns));
        m.outputs.push_back({outputs_[k].name, box->currentData().toString().toStdString(), !readsClassLabels(l[k].loss)});
    }
    return m;
}

std::vector<train::OutputLoss> ColumnMappingTable::losses() const {
    std::vector<train::OutputLoss> out;
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
        const int row = int(inputs_.size() + k);
        const auto* loss = static_cast<const QComboBox*>(cellWidget(row, kLoss));
        const auto* weight = static_cast<const QDoubleSpinBox*>(cellWidget(row, kWeight));
        if (!loss || !weight) continue;
        out.push_back({outputs_[k].name, loss->currentData().toString().toStdString(), weight->value()});
    }
    return out;
}

QString ColumnMappingTable::problem(const QString& csvFile) const {
    const data::ColumnMapping m = mapping();
    for (const data::InputColumns& in : m.inputs)
        if (in.columns.empty()) return tr("Input '%1' is given no columns.").arg(QString::fromStdString(in.input));
    data::ColumnMapping chosen = m; // the outputs with a column so far
    std::erase_if(chosen.outputs, [](const data::OutputColumn& o) { return o.column.empty(); });
    try {
        const std::vector<int64_t> widths = data::mappedInputWidths(csvFile.toStdString(), chosen);
        for (std::size_t i = 0; i < inputs_.size(); ++i)
            if (inputs_[i].width > 0 && widths[i] != inputs_[i].width)
                return tr("Input '%1' takes %2 values per sample, but %3 columns feed it.")
                    .arg(QString::fromStdString(inputs_[i].name))
                    .arg(inputs_[i].width)
                    .arg(widths[i]);
    } catch (const StrataError& e) {
        return QString::fromStdString(e.what());
    }
    for (const data::OutputColumn& out : m.outputs)
        if (out.column.empty()) return tr("Output '%1' has no target column.").arg(QString::fromStdString(out.output));
    return {};
}

} // namespace strata::gui
