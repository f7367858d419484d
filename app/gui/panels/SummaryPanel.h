// The summary panel: the engine's SummaryTable (the table `strata-cli summary` prints) as rows,
// with total, trainable and non-trainable parameter counts; blocks expand to their layers. Each
// row also has its cost per sample (MACs, activation memory; engine/LayerCost.h), and a line
// below estimates a training step's memory at a batch size, optimizer and device.
#pragma once

#include <QWidget>

class QComboBox;
class QLabel;
class QSpinBox;
class QTreeWidget;

namespace strata::gui {

class GraphModel;

class SummaryPanel : public QWidget {
    Q_OBJECT
public:
    explicit SummaryPanel(GraphModel* model, QWidget* parent = nullptr);

    QTreeWidget* table() const { return table_; }
    QString totalsText() const;
    // The cell text of a layer's row (column 0 name, 1 output shape, 2 params, 3 connected to,
    // 4 MACs, 5 activations per sample; 4 and 5 are shown after 2).
    QString cell(const QString& layer, int column) const;
    // "Training at batch 32 (Adam) on …: 5.46 MiB …"; its tooltip says what is counted.
    QString trainingText() const;
    QLabel* trainingLabel() const { return training_; }
    QSpinBox* batchBox() const { return batch_; }
    QComboBox* optimizerBox() const { return optimizer_; }
    QComboBox* deviceBox() const { return device_; }
    // The same text as `strata-cli summary`.
    QString plainText() const { return text_; }

public slots:
    void refresh();

signals:
    void layerActivated(const std::string& layer);

private:
    GraphModel* model_;
    QTreeWidget* table_;
    QLabel* totals_;
    QLabel* training_;
    QSpinBox* batch_;
    QComboBox *optimizer_, *device_;
    QString text_;
};

} // namespace strata::gui
