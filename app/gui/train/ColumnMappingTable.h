// The Train panel's column mapping, for a model with several inputs or outputs trained on a CSV
// table: one row per model Input (the columns that feed it: names, 0-based indices, first..last
// ranges) and one per output (its target column, its loss and the loss's weight). What it holds is
// what `strata-cli train --input/--output/--loss/--loss-weight` takes; problem() checks it against
// the model and the table's header before a run starts.
#pragma once

#include "engine/data/ColumnMapping.h"
#include "engine/train/Trainer.h"

#include <QTableWidget>

#include <string>
#include <vector>

namespace strata {
struct ModelSpec;
}

namespace strata::gui {

class ColumnMappingTable : public QTableWidget {
    Q_OBJECT
public:
    explicit ColumnMappingTable(QWidget* parent = nullptr);

    // The model's inputs and outputs (names, sample shapes); rows for names already present keep
    // what was entered. A spec that does not build leaves the rows as they are.
    void setModel(const ModelSpec& spec);
    // The table's column names (the header, or "column 1", ... without one, then chosen by their
    // 0-based index): the outputs' column choices.
    void setTableColumns(const QStringList& columns, bool header = true);
    bool setInputColumns(const QString& input, const QString& columns); // "a0..a3" or "a0, a1, 5"
    bool setOutputColumn(const QString& output, const QString& column);
    bool setOutputLoss(const QString& output, const QString& loss, double weight = 1.0);

    int inputCount() const { return int(inputs_.size()); }
    int outputCount() const { return int(outputs_.size()); }
    // What the rows hold; outputs' kind (class labels or a real value) follows their loss.
    data::ColumnMapping mapping() const;
    std::vector<train::OutputLoss> losses() const;
    // Why a run cannot start with this mapping on `csvFile` (an input or output without columns, a
    // column the table lacks, a count of columns that does not fit the Input's shape); empty when
    // it can.
    QString problem(const QString& csvFile) const;

signals:
    void mappingChanged();

private:
    struct Port {
        std::string name;
        int64_t width = 0; // values per sample (0: unknown)
    };
    int rowOfInput(const QString& name) const;
    int rowOfOutput(const QString& name) const;
    // New rows for inputs_, outputs_ and columns_, keeping what `before` and `lossesBefore` held
    // for the names that stay.
    void rebuild(const data::ColumnMapping& before, const std::vector<train::OutputLoss>& lossesBefore);

    std::vector<Port> inputs_, outputs_;
    QStringList columns_, refs_; // shown, and as the mapping names them
};

} // namespace strata::gui
