// TrainPanel: its widgets, their layout and wiring (what they do: TrainPanel.cpp).
#include "app/gui/train/TrainPanel.h"
#include "app/gui/train/TrainPanelShared.h"

#include "app/gui/Theme.h"
#include "app/gui/project/Document.h"
#include "app/gui/project/VersionWeights.h"
#include "app/gui/train/ColumnMappingTable.h"
#include "app/gui/train/TextColumnBox.h"
#include "app/gui/train/DataFit.h"
#include "app/gui/charts/MetricChart.h"

#include "engine/data/BuiltinDatasets.h"
#include "engine/data/CsvLoader.h"
#include "engine/ir/Optimizers.h"
#include "gpu/DeviceInfo.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStyle>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <limits>

namespace strata::gui {

namespace {

using trainpanel::defaultLearningRate;
using trainpanel::kPickCsv;
using trainpanel::kPickImages;
using trainpanel::q;

constexpr int kPollMs = 40;
const QColor kTrainColor(0x25, 0x63, 0xeb), kValColor(0xf5, 0x9e, 0x0b), kStepColor(0x60, 0xa5, 0xfa);

} // namespace

TrainPanel::TrainPanel(Document* doc, QWidget* parent) : QWidget(parent), doc_(doc) {
    dataset_ = new QComboBox;
    dataset_->setObjectName("trainDataset");
    for (const auto& d : data::listBuiltinDatasets()) {
        if (d.name.find(':') != std::string::npos) continue; // mnist:DIR needs a folder
        dataset_->addItem(q(d.name), q(d.name));
        dataset_->setItemData(dataset_->count() - 1, q(d.description), Qt::ToolTipRole);
    }
    dataset_->addItem(tr("CSV file…"), kPickCsv);
    dataset_->setItemData(dataset_->count() - 1,
                          tr("A table of numbers, one sample per row, with a column of class labels (names or 0, 1, …; "
                             "chosen under Label); split 70/10/20 into train, validation and test, features standardized"),
                          Qt::ToolTipRole);
    dataset_->addItem(tr("Image folder…"), kPickImages);
    dataset_->setItemData(dataset_->count() - 1,
                          tr("A folder with one sub-folder of PNG, JPEG or BMP images per class (or a labels.csv of file,label, "
                             "or train/, val/, test/ folders); images are resized to the model input and read from disk as "
                             "training goes"),
                          Qt::ToolTipRole);
    label_ = new QComboBox;
    label_->setObjectName("trainLabel");
    label_->setToolTip(tr("The CSV column that holds the class of each row; the other columns are the features"));
    labelCaption_ = new QLabel(tr("Label"));
    mapping_ = new ColumnMappingTable;
    text_ = new TextColumnBox;
    mappingProblem_ = new QLabel;
    mappingProblem_->setObjectName("trainMappingProblem");
    mappingProblem_->setWordWrap(true);
    mappingProblem_->setStyleSheet("color: #dc2626;");
    dataFit_ = new QLabel;
    dataFit_->setObjectName("trainDataFit");
    dataFit_->setWordWrap(true);
    dataFit_->setStyleSheet("color: #d97706;");
    fitModel_ = new QPushButton(tr("Fit model to data"));
    fitModel_->setObjectName("trainFitModel");
    fitModel_->setToolTip(tr("Set the Input's shape to the samples' and the last layer's units to the number of classes, "
                             "as one step (Edit > Undo takes it back)"));
    target_ = new QComboBox;
    target_->setObjectName("trainTarget");
    target_->addItem(tr("Class labels"), "labels");
    target_->setItemData(0, tr("The model learns the dataset's class of each sample"), Qt::ToolTipRole);
    target_->addItem(tr("The input itself (autoencoder)"), "input");
    target_->setItemData(1, tr("The model learns to give back each sample: its output must have the input's size "
                               "(mean squared error; no accuracy)"),
                         Qt::ToolTipRole);
    target_->setToolTip(tr("What the model learns to output"));
    device_ = new QComboBox;
    device_->setObjectName("trainDevice");
    device_->addItem(tr("CPU"), "cpu");
    epochs_ = new QSpinBox;
    epochs_->setObjectName("trainEpochs");
    epochs_->setRange(1, 100000);
    epochs_->setValue(10);
    batch_ = new QSpinBox;
    batch_->setObjectName("trainBatch");
    batch_->setRange(1, 1 << 16);
    batch_->setValue(32);
    optimizer_ = new QComboBox;
    optimizer_->setObjectName("trainOptimizer");
    optimizer_->addItems({"sgd", "adam", "adamw", "rmsprop"});
    optimizer_->setCurrentText("adam");
    loss_ = new QComboBox;
    loss_->setObjectName("trainLoss");
    // Long names ("sparse categorical crossentropy", "Reconstruct the input") elide rather than
    // widen the panel past a 1024-pixel window; the popup lists them whole.
    for (QComboBox* c : {dataset_, target_, device_, loss_}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        c->setMinimumContentsLength(14);
    }
    for (const char* name : {"sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy", "mean_squared_error",
                             "mean_absolute_error"})
        loss_->addItem(QString(name).replace('_', ' '), QString(name));
    loss_->setToolTip(tr("The loss to minimize: class labels take sparse categorical cross-entropy (as Keras), or "
                         "categorical cross-entropy on one-hot labels; binary cross-entropy for one sigmoid unit"));
    fromLogits_ = new QCheckBox(tr("From logits"));
    fromLogits_->setObjectName("trainFromLogits");
    fromLogits_->setToolTip(tr("The model's outputs are logits (it ends without softmax or sigmoid): the cross-entropy "
                               "losses apply it themselves, as Keras' from_logits"));
    fromScratch_ = new QCheckBox(tr("From scratch"));
    fromScratch_->setObjectName("trainFromScratch");
    fromScratch_->setToolTip(tr("Start from fresh initial weights. Otherwise a run recorded in the project starts from "
                                "the model's newest checkpoint there (an import's weights or the last run's), matched "
                                "by variable path and shape"));
    lossWarning_ = new QLabel;
    lossWarning_->setObjectName("trainLossWarning");
    lossWarning_->setWordWrap(true);
    lossWarning_->setStyleSheet("color: #d97706;");
    lossWarning_->setVisible(false);
    lr_ = new QDoubleSpinBox;
    lr_->setObjectName("trainLearningRate");
    lr_->setDecimals(5);
    lr_->setRange(1e-5, 10);
    lr_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    lr_->setValue(defaultLearningRate("adam"));
    lr_->setToolTip(tr("Learning rate (choosing an optimizer sets its Keras default)"));
    momentum_ = new QDoubleSpinBox;
    momentum_->setObjectName("trainMomentum");
    momentum_->setDecimals(2);
    momentum_->setRange(0, 0.99); // the engine takes [0, 1]; 1 would never forget a gradient
    momentum_->setSingleStep(0.05);
    momentum_->setValue(0);
    nesterov_ = new QCheckBox(tr("Nesterov"));
    nesterov_->setObjectName("trainNesterov");
    seed_ = new QSpinBox;
    seed_->setObjectName("trainSeed");
    seed_->setRange(0, std::numeric_limits<int>::max());
    seed_->setToolTip(tr("Initial weights, data order and dropout"));
    train_ = new QPushButton(Theme::icon(Theme::Glyph::Train), tr("Train"));
    train_->setObjectName("trainButton");
    stop_ = new QPushButton(Theme::icon(Theme::Glyph::Stop), tr("Stop"));
    stop_->setObjectName("stopButton");
    stop_->setEnabled(false);
    viewData_ = new QPushButton(tr("View data…"));
    viewData_->setObjectName("viewDataButton");
    viewData_->setToolTip(tr("Open the dataset view on this dataset: samples, class counts, image sizes and the model's "
                             "augmentations (Data ▸ View Data, Ctrl+Shift+D)"));
    progress_ = new QProgressBar;
    progress_->setObjectName("trainProgress");
    progress_->setRange(0, 1);
    progress_->setValue(0);
    progress_->setFormat(tr("idle"));
    status_ = new QLabel(tr("Pick a dataset and press Train."));
    status_->setObjectName("trainStatus");
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    result_ = new QLabel;
    result_->setObjectName("trainResult");
    QFont big = result_->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.25);
    result_->setFont(big);

    auto* form = new QGridLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setVerticalSpacing(4);
    int row = 0;
    auto label = [](const QString& t) { return new QLabel(t); };
    form->addWidget(label(tr("Dataset")), row, 0);
    form->addWidget(dataset_, row++, 1, 1, 3);
    form->addWidget(labelCaption_, row, 0);
    form->addWidget(label_, row++, 1, 1, 3);
    form->addWidget(text_, row++, 0, 1, 4);
    form->addWidget(mapping_, row++, 0, 1, 4);
    form->addWidget(mappingProblem_, row++, 0, 1, 4);
    form->addWidget(dataFit_, row++, 0, 1, 4);
    form->addWidget(fitModel_, row++, 0, 1, 4);
    form->addWidget(label(tr("Target")), row, 0);
    form->addWidget(target_, row++, 1, 1, 3);
    form->addWidget(label(tr("Device")), row, 0);
    form->addWidget(device_, row++, 1, 1, 3);
    form->addWidget(label(tr("Epochs")), row, 0);
    form->addWidget(epochs_, row, 1);
    form->addWidget(label(tr("Batch")), row, 2);
    form->addWidget(batch_, row++, 3);
    form->addWidget(label(tr("Optimizer")), row, 0);
    form->addWidget(optimizer_, row, 1);
    form->addWidget(label(tr("LR")), row, 2);
    form->addWidget(lr_, row++, 3);
    form->addWidget(label(tr("Momentum")), row, 0);
    form->addWidget(momentum_, row, 1);
    form->addWidget(nesterov_, row++, 2, 1, 2);
    form->addWidget(label(tr("Loss")), row, 0);
    form->addWidget(loss_, row++, 1, 1, 3);
    form->addWidget(fromLogits_, row, 1);
    form->addWidget(fromScratch_, row++, 2, 1, 2);
    form->addWidget(lossWarning_, row++, 0, 1, 4);
    form->addWidget(label(tr("Seed")), row, 0);
    form->addWidget(seed_, row++, 1);
    addDistributedRows(form, row); // Processes, Hostfile… (TrainPanelDistributed.cpp)
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(train_);
    buttons->addWidget(stop_);
    buttons->addWidget(viewData_);
    form->addLayout(buttons, row++, 0, 1, 4);
    form->addWidget(progress_, row++, 0, 1, 4);
    form->addWidget(status_, row++, 0, 1, 4);
    form->addWidget(result_, row++, 0, 1, 4);
    form->setRowStretch(row, 1);
    form->setColumnStretch(1, 1);
    form->setColumnStretch(3, 1);
    auto* settings = new QWidget;
    settings->setLayout(form);
    settings->setFixedWidth(300);

    lossChart_ = new MetricChart(tr("Loss"), tr("epoch"), tr("loss"));
    lossChart_->setObjectName("lossChart");
    lossChart_->addSeries("step", tr("step loss"), kStepColor, MetricChart::Style::Thin);
    lossChart_->addSeries("loss", tr("train"), kTrainColor, MetricChart::Style::Markers);
    lossChart_->addSeries("val_loss", tr("validation"), kValColor, MetricChart::Style::Markers, true);
    accuracyChart_ = new MetricChart(tr("Accuracy"), tr("epoch"), tr("accuracy"));
    accuracyChart_->setObjectName("accuracyChart");
    accuracyChart_->addSeries("accuracy", tr("train"), kTrainColor, MetricChart::Style::Markers);
    accuracyChart_->addSeries("val_accuracy", tr("validation"), kValColor, MetricChart::Style::Markers, true);
    accuracyChart_->setYRange(std::pair{0.0, 1.0});
    for (MetricChart* c : {lossChart_, accuracyChart_}) c->setXSpan(0, epochs_->value());

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(settings);
    layout->addWidget(lossChart_, 1);
    layout->addWidget(accuracyChart_, 1);

    poll_ = new QTimer(this);
    poll_->setInterval(kPollMs);
    connect(poll_, &QTimer::timeout, this, &TrainPanel::poll);
    connect(train_, &QPushButton::clicked, this, &TrainPanel::train);
    connect(stop_, &QPushButton::clicked, this, &TrainPanel::stop);
    connect(viewData_, &QPushButton::clicked, this, &TrainPanel::viewDataRequested);
    connect(optimizer_, &QComboBox::currentTextChanged, this, [this](const QString& name) {
        lr_->setValue(defaultLearningRate(name.toStdString()));
        refreshOptimizerFields();
    });
    connect(momentum_, &QDoubleSpinBox::valueChanged, this, &TrainPanel::refreshOptimizerFields);
    connect(target_, &QComboBox::currentIndexChanged, this, [this] { // a loss that fits the target
        const QString l = loss();
        const bool classes = l.endsWith("crossentropy");
        if (target() == "input" && classes) setLoss("mean_squared_error");
        if (target() == "labels" && !classes) setLoss("sparse_categorical_crossentropy");
    });
    refreshOptimizerFields();
    connect(loss_, &QComboBox::currentIndexChanged, this, &TrainPanel::refreshLossWarning);
    connect(fromLogits_, &QCheckBox::toggled, this, &TrainPanel::refreshLossWarning);
    connect(doc_->model(), &GraphModel::changed, this, &TrainPanel::refreshLossWarning);
    refreshLossWarning();
    connect(epochs_, &QSpinBox::valueChanged, this, [this](int n) {
        if (isTraining()) return;
        for (MetricChart* c : {lossChart_, accuracyChart_}) c->setXSpan(0, n);
    });
    connect(dataset_, &QComboBox::activated, this, [this](int i) {
        const QString choice = dataset_->itemData(i).toString();
        if (choice != kPickCsv && choice != kPickImages) {
            lastDataset_ = i;
            return;
        }
        dataset_->setCurrentIndex(lastDataset_);
        if (choice == kPickImages) {
            const QString dir = QFileDialog::getExistingDirectory(this, tr("Train on a folder of images"));
            if (!dir.isEmpty()) setImageFolder(dir);
            return;
        }
        const QString path = QFileDialog::getOpenFileName(this, tr("Train on a CSV file"), QString(),
                                                          tr("CSV tables (*.csv *.csv.gz *.txt);;All files (*)"));
        if (!path.isEmpty()) setCsvFile(path);
    });
    connect(dataset_, &QComboBox::currentIndexChanged, this, &TrainPanel::refreshLabelColumns);
    connect(mapping_, &ColumnMappingTable::mappingChanged, this, &TrainPanel::refreshMappingProblem);
    connect(doc_->model(), &GraphModel::changed, this, &TrainPanel::refreshColumnMapping);
    connect(doc_->model(), &GraphModel::changed, this, &TrainPanel::refreshDataFit);
    connect(label_, &QComboBox::currentIndexChanged, this, &TrainPanel::refreshDataFit);
    connect(text_, &TextColumnBox::changed, this, &TrainPanel::refreshDataFit);
    connect(target_, &QComboBox::currentIndexChanged, this, &TrainPanel::refreshDataFit);
    connect(fitModel_, &QPushButton::clicked, this, &TrainPanel::fitModelToData);
    refreshColumnMapping();
    refreshLabelColumns();
    auto documentChanged = [this] {
        suggestDataset();
        refreshLossWarning();
    };
    connect(doc_, &Document::titleChanged, this, documentChanged);
    documentChanged();
}

} // namespace strata::gui
