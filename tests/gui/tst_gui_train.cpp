// The Train panel: a run on a worker thread draws one point per epoch and shows the test accuracy,
// is recorded in the document's project, stops early on request and when the window closes,
// reports data that does not fit the model, trains a copy of the spec, takes momentum and Nesterov
// where the optimizer reads them, and runs on Vulkan.
#include "tests/support/RequiredTools.h"
#include <QTest>

#include "GuiTestSupport.h"
#include "TrainPanelTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/inspect/ModelInspector.h"
#include "app/gui/project/Document.h"
#include "app/gui/charts/MetricChart.h"
#include "app/gui/train/TrainPanel.h"

#include "engine/Model.h"
#include "engine/ir/Optimizers.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"
#include "tests/support/ImageTestFiles.h"

#include <QAction>
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QFile>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QComboBox>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cmath>
#include <filesystem>

using namespace strata;
using namespace strata::gui;
using strata::gui::test::trainAndWait;

namespace {

constexpr int kTimeoutMs = 180000;

QPushButton* button(TrainPanel& p, const char* name) { return p.findChild<QPushButton*>(name); }

// A click on the box itself (a wide check box's centre may lie past its text, outside its click area).
void clickBox(QCheckBox* box) { QTest::mouseClick(box, Qt::LeftButton, {}, QPoint(8, box->height() / 2)); }

void configure(TrainPanel& panel, const QString& dataset, int epochs) {
    panel.setDataset(dataset);
    QVERIFY(panel.setDevice("cpu"));
    panel.setEpochs(epochs);
    panel.setOptimizer("adam");
    panel.setLearningRate(0.01);
    panel.setSeed(1);
}

} // namespace

class TestTrain : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void trainingDrawsOnePointPerEpochAndShowsTheTestAccuracy() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        configure(panel, "digits", 2);
        QSignalSpy epochs(&panel, &TrainPanel::epochFinished);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QCOMPARE(epochs.count(), 2);
        for (const char* series : {"loss", "val_loss"}) QCOMPARE(panel.lossChart()->pointCount(series), 2);
        for (const char* series : {"accuracy", "val_accuracy"}) QCOMPARE(panel.accuracyChart()->pointCount(series), 2);
        QCOMPARE(panel.accuracyChart()->points("val_accuracy").back().x(), 2.0);
        // Every step is drawn: 1797 samples, 20% test and 10% of the rest for validation, batches of 32.
        QCOMPARE(panel.lossChart()->pointCount("step"), 2 * 41);
        QVERIFY(panel.testAccuracy().has_value());
        QVERIFY2(*panel.testAccuracy() > 0.8, qPrintable(panel.resultText()));
        QVERIFY2(panel.resultText().startsWith("Test accuracy"), qPrintable(panel.resultText()));
        QVERIFY2(panel.statusText().startsWith("Completed 2 epochs"), qPrintable(panel.statusText()));
        QVERIFY(button(panel, "trainButton")->isEnabled());
        QVERIFY(!button(panel, "stopButton")->isEnabled());
        // The trained weights stay for the inspector, for this spec only.
        const auto* weights = panel.trainedWeights(doc.model()->state().spec);
        QVERIFY(weights);
        QVERIFY(weights->count("model/dense_1/kernel"));
        auto initial = Model::fromSpec(doc.model()->state().spec);
        initial->build(1);
        const Tensor& before = initial->variables()[0]->value();
        const Tensor& after = weights->at(initial->variables()[0]->path());
        QCOMPARE(after.shape(), before.shape());
        double moved = 0;
        for (int64_t i = 0; i < after.size(); ++i) moved += std::fabs(double(after.f32()[i]) - double(before.f32()[i]));
        QVERIFY2(moved > 1e-3, "the weights after training equal the initial ones");
        ModelSpec other = doc.model()->state().spec;
        other.name += "_other";
        QVERIFY(!panel.trainedWeights(other));
    }

    // A model ending in logits under a cross-entropy loss gets a warning under the loss until
    // "From logits" is checked; from logits on a softmax output gets one too.
    void theLossWarningFollowsTheModelAndFromLogits() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        QVERIFY(panel.lossWarningText().isEmpty()); // softmax output, sparse categorical cross-entropy
        auto* fromLogits = panel.findChild<QCheckBox*>("trainFromLogits");
        QVERIFY(fromLogits);
        clickBox(fromLogits);
        QVERIFY2(panel.lossWarningText().contains("already applies softmax"), qPrintable(panel.lossWarningText()));
        const std::string last = doc.model()->state().spec.layers.back().name;
        QVERIFY(doc.editor()->setConfig(last, "activation", "linear").isEmpty());
        QVERIFY(panel.lossWarningText().isEmpty());
        clickBox(fromLogits);
        QVERIFY2(panel.lossWarningText().contains("expects probabilities"), qPrintable(panel.lossWarningText()));
        QVERIFY(panel.setLoss("mean_squared_error"));
        QVERIFY(panel.lossWarningText().isEmpty());
        panel.setLoss("sparse_categorical_crossentropy");
        panel.setFromLogits(true);
        QVERIFY(panel.settings().options.fromLogits);
    }

    // A second recorded run starts from the first one's last checkpoint; "From scratch" does not.
    void aRecordedRunStartsFromTheNewestCheckpointUnlessFromScratch() {
        QTemporaryDir dir;
        const QString path = dir.filePath("work.strata");
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        doc.saveAs(path, "first");
        TrainPanel panel(&doc);
        configure(panel, "digits", 1);
        panel.setMaxSteps(3);
        for (int run = 0; run < 3; ++run) {
            panel.setFromScratch(run == 2);
            QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        }
        storage::Project project = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        const auto runs = project.runs();
        QCOMPARE(runs.size(), std::size_t(3));
        auto from = [&](int64_t id) { return project.run(id).hyperparameters.at("initial_weights").at("from").get<std::string>(); };
        std::vector<std::string> froms;
        for (const auto& r : runs) froms.push_back(from(r.id));
        std::sort(froms.begin(), froms.end());
        QCOMPARE(std::count_if(froms.begin(), froms.end(), [](const std::string& f) { return f.rfind("checkpoint ", 0) == 0; }), 1L);
        QCOMPARE(std::count(froms.begin(), froms.end(), std::string("initializers")), 2L); // the first run, and from scratch
    }

    void aProjectDocumentGetsTheRunWithMetricsAndACheckpoint() {
        QTemporaryDir dir;
        const QString path = dir.filePath("work.strata");
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        doc.saveAs(path, "first");
        TrainPanel panel(&doc);
        configure(panel, "digits", 2);
        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QSignalSpy started(&panel, &TrainPanel::trainingStarted);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QCOMPARE(started.count(), 1);
        // Editing the model while it trains changes nothing in the run: it trains a copy.
        QVERIFY(doc.editor()->setConfig("dense_1", "units", 7).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(recorded.count(), 1, kTimeoutMs);
        QVERIFY2(!panel.lastRunFailed(), qPrintable(panel.statusText()));
        QVERIFY2(panel.statusText().contains("Recorded as run"), qPrintable(panel.statusText()));

        storage::Project project = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        const auto runs = project.runs();
        QCOMPARE(runs.size(), std::size_t(1));
        const storage::RunInfo& run = runs.front();
        QCOMPARE(qint64(run.id), recorded.front().front().toLongLong());
        QCOMPARE(run.status, std::string("completed"));
        QCOMPARE(run.datasetName, std::string("digits"));
        QCOMPARE(run.backend, std::string("cpu"));
        QCOMPARE(run.modelVersion, 1); // the saved version: the spec trained is the one at Train time
        QCOMPARE(run.hyperparameters.at("epochs").get<int>(), 2);
        QVERIFY(run.result.at("test_accuracy").get<double>() > 0.8);
        QCOMPARE(project.metrics(run.id, "step").size(), std::size_t(2 * 41));
        int valAccuracy = 0;
        for (const auto& m : project.metrics(run.id, "epoch")) valAccuracy += m.name == "val_accuracy";
        QCOMPARE(valAccuracy, 2);
        // The trained weights: a checkpoint of the run holding the model's variables.
        storage::CheckpointFilter filter;
        filter.runId = run.id;
        const auto latest = storage::CheckpointStore(project).latest(filter);
        QVERIFY(latest.has_value());
        QCOMPARE(latest->epochsDone, 2);
        bool kernel = false;
        for (const auto& v : storage::CheckpointStore(project).variables(latest->id))
            kernel = kernel || v.key == "model/dense_1/kernel/.ATTRIBUTES/VARIABLE_VALUE";
        QVERIFY(kernel);
    }

    void stopEndsARunEarly() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        configure(panel, "digits", 500);
        QSignalSpy epochs(&panel, &TrainPanel::epochFinished);
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY(button(panel, "stopButton")->isEnabled());
        QVERIFY(!button(panel, "trainButton")->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, kTimeoutMs);
        QTest::mouseClick(button(panel, "stopButton"), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY(finished.front().front().toBool());
        QVERIFY(!panel.isTraining());
        QVERIFY2(panel.statusText().startsWith("Stopped after"), qPrintable(panel.statusText()));
        QVERIFY(panel.lossChart()->pointCount("loss") < 500);
        QVERIFY(panel.testAccuracy().has_value()); // a stopped run is still evaluated
    }

    // Momentum is enabled for sgd and rmsprop, Nesterov for sgd with momentum > 0; set through the
    // widgets, they are in the run's recorded optimizer config and its checkpoint has the momentum
    // slots. Both are off while the run trains.
    void momentumAndNesterovFollowTheOptimizerAndAreRecorded() {
        QTemporaryDir dir;
        const QString path = dir.filePath("momentum.strata");
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        doc.saveAs(path, "first");
        TrainPanel panel(&doc);
        configure(panel, "digits", 1);
        panel.resize(900, 500);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto* optimizer = panel.findChild<QComboBox*>("trainOptimizer");
        auto* momentum = panel.findChild<QDoubleSpinBox*>("trainMomentum");
        auto* nesterov = panel.findChild<QCheckBox*>("trainNesterov");
        QVERIFY(optimizer && momentum && nesterov);
        QCOMPARE(momentum->value(), 0.0);
        QVERIFY(!nesterov->isChecked());
        QVERIFY(!momentum->toolTip().isEmpty() && !nesterov->toolTip().isEmpty());
        auto choose = [&](const QString& name) {
            optimizer->setCurrentIndex(optimizer->findText(name));
            QCOMPARE(optimizer->currentText(), name);
        };

        // Adam reads neither: both off, and a momentum typed before switching is not applied.
        QCOMPARE(optimizer->currentText(), QString("adam"));
        QVERIFY(!momentum->isEnabled() && !nesterov->isEnabled());
        choose("rmsprop");
        QVERIFY(momentum->isEnabled() && !nesterov->isEnabled());
        momentum->setValue(0.9);
        QVERIFY(!nesterov->isEnabled()); // rmsprop has no Nesterov, whatever the momentum
        clickBox(nesterov);
        QVERIFY(!nesterov->isChecked());
        QCOMPARE(panel.settings().options.optimizer.momentum, 0.9);
        QVERIFY(!panel.settings().options.optimizer.nesterov);
        for (const char* name : {"adam", "adamw"}) {
            choose(name);
            QVERIFY2(!momentum->isEnabled() && !nesterov->isEnabled(), name);
            QCOMPARE(panel.settings().options.optimizer.momentum, 0.0);
        }
        choose("sgd");
        momentum->setValue(0);
        QVERIFY(momentum->isEnabled() && !nesterov->isEnabled()); // no momentum, no Nesterov
        momentum->setValue(0.9);
        QVERIFY(momentum->isEnabled() && nesterov->isEnabled());
        clickBox(nesterov);
        QVERIFY(nesterov->isChecked());
        panel.setLearningRate(0.01);
        QCOMPARE(panel.settings().options.optimizer.momentum, 0.9);
        QVERIFY(panel.settings().options.optimizer.nesterov);

        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QSignalSpy finished(&panel, &TrainPanel::trainingFinished);
        QTest::mouseClick(button(panel, "trainButton"), Qt::LeftButton);
        QVERIFY(panel.isTraining());
        QVERIFY(!momentum->isEnabled() && !nesterov->isEnabled() && !optimizer->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        QVERIFY2(finished.front().front().toBool(), qPrintable(panel.statusText()));
        QVERIFY(momentum->isEnabled() && nesterov->isEnabled()); // sgd with momentum again
        QCOMPARE(recorded.count(), 1);

        storage::Project project = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        const storage::RunInfo run = project.run(recorded.front().front().toLongLong());
        const nlohmann::json& config = run.hyperparameters.at("optimizer");
        QCOMPARE(config.at("name").get<std::string>(), std::string("sgd"));
        QCOMPARE(config.at("momentum").get<double>(), 0.9);
        QCOMPARE(config.at("nesterov").get<bool>(), true);
        const ir::OptimizerConfig read = ir::OptimizerConfig::fromJson(config);
        QCOMPARE(read.momentum, 0.9);
        QVERIFY(read.nesterov);
        // The run kept a momentum slot per trainable variable: it trained with momentum.
        storage::CheckpointFilter filter;
        filter.runId = run.id;
        const auto latest = storage::CheckpointStore(project).latest(filter);
        QVERIFY(latest.has_value());
        int momentumSlots = 0;
        for (const auto& v : storage::CheckpointStore(project).variables(latest->id))
            momentumSlots += v.key.find("/.OPTIMIZER_SLOT/optimizer/momentum/") != std::string::npos;
        QCOMPARE(momentumSlots, 4);
    }

    void aDatasetThatDoesNotFitNamesBothShapes() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        configure(panel, "iris", 1);
        QVERIFY(!trainAndWait(panel));
        QVERIFY(panel.lastRunFailed());
        const QString status = panel.statusText();
        QVERIFY2(status.startsWith("Cannot train:"), qPrintable(status));
        QVERIFY2(status.contains("iris") && status.contains("(4,)") && status.contains("'pixels'") && status.contains("(64,)"),
                 qPrintable(status));
        QVERIFY(panel.resultText().isEmpty());
        QCOMPARE(panel.lossChart()->pointCount("loss"), 0);
    }

    void theChosenLossIsTheOneTrained() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        configure(panel, "digits", 3);
        QCOMPARE(panel.loss(), QString("sparse_categorical_crossentropy")); // the Keras default for class labels
        QVERIFY(!panel.setLoss("hinge"));
        QVERIFY(panel.setLoss("categorical_crossentropy")); // labels become one-hot rows
        QCOMPARE(panel.settings().options.loss, std::string("categorical_crossentropy"));
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY2(panel.testAccuracy().value_or(0) > 0.8, qPrintable(panel.resultText()));

        QVERIFY(panel.setLoss("mean_squared_error")); // class labels against 10 outputs: a message, no run
        QVERIFY(!trainAndWait(panel));
        const QString status = panel.statusText();
        QVERIFY2(status.contains("mean_squared_error") && status.contains("'probs'") && status.contains("sparse_categorical_crossentropy"),
                 qPrintable(status));
    }

    // The example autoencoder (64 -> 8 -> 64) is offered its input as the target when it opens;
    // it trains against mean squared error, draws no accuracy, shows the test loss, and the
    // recorded run says reconstruct. A classifier is offered its labels.
    void anAutoencoderTrainsToGiveBackItsInput() {
        QTemporaryDir dir;
        const QString path = dir.filePath("ae.strata");
        Document doc;
        doc.setModel(test::example("autoencoder"), {}, false);
        doc.saveAs(path);
        TrainPanel panel(&doc);
        configure(panel, "digits", 3);
        QCOMPARE(panel.target(), QString("input"));
        QCOMPARE(panel.loss(), QString("mean_squared_error"));
        QVERIFY(panel.settings().reconstruct);
        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QCOMPARE(panel.lossChart()->pointCount("loss"), 3);
        QCOMPARE(panel.accuracyChart()->pointCount("accuracy"), 0);
        const auto losses = panel.lossChart()->points("loss");
        QVERIFY2(losses.back().y() < losses.front().y(), "the reconstruction loss did not fall");
        QVERIFY(!panel.testAccuracy().has_value());
        QVERIFY2(panel.resultText().startsWith("Test loss"), qPrintable(panel.resultText()));
        QTRY_COMPARE_WITH_TIMEOUT(recorded.count(), 1, kTimeoutMs);
        storage::Project project = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        const storage::RunInfo run = project.run(recorded.front().front().toLongLong());
        QVERIFY(run.hyperparameters.value("reconstruct", false));
        QCOMPARE(run.hyperparameters.value("loss", std::string()), std::string("mean_squared_error"));

        Document classifier;
        classifier.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel other(&classifier);
        QCOMPARE(other.target(), QString("labels"));
        QCOMPARE(other.loss(), QString("sparse_categorical_crossentropy"));
        QVERIFY(other.setTarget("input")); // switching the target picks a loss that fits it
        QCOMPARE(other.loss(), QString("mean_squared_error"));
        QVERIFY(other.setTarget("labels"));
        QCOMPARE(other.loss(), QString("sparse_categorical_crossentropy"));
        QVERIFY(!other.setTarget("noise"));
    }

    void anInvalidModelIsAMessageNotACrash() {
        Document doc;
        ModelSpec spec = test::example("digits_mlp");
        spec.layers[1].config["units"] = -3;
        doc.setModel(spec, {}, false);
        TrainPanel panel(&doc);
        configure(panel, "digits", 1);
        QVERIFY(!trainAndWait(panel));
        QVERIFY2(panel.statusText().contains("dense_1"), qPrintable(panel.statusText()));
    }

    void aCsvFileTrains() {
        QTemporaryDir dir;
        QFile csv(dir.filePath("points.csv"));
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write("x,y,label\n");
        for (int i = 0; i < 300; ++i) {
            const double x = std::sin(i * 1.7) * 3, y = std::cos(i * 2.3) * 3;
            csv.write(QString("%1,%2,%3\n").arg(x).arg(y).arg(x > y ? 1 : 0).toUtf8());
        }
        csv.close();
        Document doc;
        doc.setModel(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "points",
            "layers": [{"name": "xy", "type": "Input", "config": {"shape": [2]}},
                       {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]})")),
                     {}, false);
        TrainPanel panel(&doc);
        panel.setCsvFile(csv.fileName());
        QVERIFY(panel.dataset().startsWith("csv:"));
        panel.setDevice("cpu");
        panel.setEpochs(20);
        panel.setLearningRate(0.05);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY2(panel.testAccuracy().value_or(0) > 0.8, qPrintable(panel.resultText()));
    }

    // An image folder (class sub-folders of PNG and JPEG files) picked in the panel trains at the
    // model input's size; the label choice stays hidden, and the folder is the run's dataset.
    void anImageFolderTrains() {
        QTemporaryDir dir;
        const std::filesystem::path root = dir.filePath("shades").toStdString();
        for (int i = 0; i < 24; ++i) {
            const bool bright = i % 2 == 0;
            const auto file = root / (bright ? "bright" : "dark") / ("img" + std::to_string(i));
            if (i % 3 == 0) imagetest::writeJpeg(file.string() + ".jpg", imagetest::noisy(10, bright, uint32_t(i)));
            else imagetest::writePng(file.string() + ".png", imagetest::noisy(10, bright, uint32_t(i)));
        }
        Document doc;
        doc.setModel(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "shades",
            "layers": [{"name": "image", "type": "Input", "config": {"shape": [8, 8, 3]}},
                       {"name": "mean", "type": "GlobalAveragePooling2D", "inbound": ["image"]},
                       {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}, "inbound": ["mean"]}]})")),
                     {}, false);
        TrainPanel panel(&doc);
        panel.setImageFolder(QString::fromStdString(root.string()));
        QCOMPARE(panel.dataset(), "images:" + QFileInfo(QString::fromStdString(root.string())).absoluteFilePath());
        QVERIFY(panel.findChild<QComboBox*>("trainLabel")->isHidden());
        panel.setDevice("cpu");
        panel.setEpochs(30);
        panel.setLearningRate(0.1);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY2(panel.testAccuracy().value_or(0) >= 0.75, qPrintable(panel.resultText()));
    }

    // The Label choice lists the CSV's columns (the last one chosen); picking a first column of
    // class names trains on it, and the run records the table and its label column.
    void aCsvFileWithANamedLabelColumnTrainsAndIsRecorded() {
        QTemporaryDir dir;
        QFile csv(dir.filePath("shapes.csv"));
        QVERIFY(csv.open(QIODevice::WriteOnly));
        csv.write("kind,x,y\n");
        for (int i = 0; i < 300; ++i) {
            const double x = std::sin(i * 1.7) * 3, y = std::cos(i * 2.3) * 3;
            csv.write(QString("%1,%2,%3\n").arg(x > y ? "above" : "below").arg(x).arg(y).toUtf8());
        }
        csv.close();
        const QString path = dir.filePath("shapes.strata");
        Document doc;
        doc.setModel(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "shapes",
            "layers": [{"name": "xy", "type": "Input", "config": {"shape": [2]}},
                       {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]})")),
                     {}, false);
        doc.saveAs(path, "first");
        TrainPanel panel(&doc);
        auto* label = panel.findChild<QComboBox*>("trainLabel");
        QVERIFY(label);
        QVERIFY(label->isHidden()); // a built-in dataset has no label choice
        QCOMPARE(panel.csvLabel(), QString());
        panel.setCsvFile(csv.fileName());
        QVERIFY(!label->isHidden());
        QCOMPARE(label->count(), 3);
        QCOMPARE(label->itemText(0), QString("kind"));
        QCOMPARE(panel.csvLabel(), QString("y")); // the last column by default
        QVERIFY(!panel.setCsvLabel("color"));
        QVERIFY(panel.setCsvLabel("kind"));
        QCOMPARE(panel.settings().csvLabel, std::string("kind"));
        panel.setDevice("cpu");
        panel.setEpochs(20);
        panel.setLearningRate(0.05);
        QSignalSpy recorded(&panel, &TrainPanel::runRecorded);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY2(panel.testAccuracy().value_or(0) > 0.8, qPrintable(panel.resultText()));
        QTRY_COMPARE_WITH_TIMEOUT(recorded.count(), 1, kTimeoutMs);
        storage::Project project = storage::Project::open(path.toStdString(), storage::OpenMode::ReadOnly);
        const storage::RunInfo run = project.runs().back();
        QCOMPARE(run.datasetName, std::string("shapes.csv"));
        QCOMPARE(run.hyperparameters.at("label").get<std::string>(), std::string("kind"));
        QCOMPARE(run.hyperparameters.at("dataset").get<std::string>(), "csv:" + QFileInfo(csv.fileName()).absoluteFilePath().toStdString());
    }

    void theMainWindowTrainsFromItsMenuAndStopsWhenClosed() {
        MainWindow w;
        w.setInteractive(false);
        w.document()->setModel(test::example("digits_mlp"), {}, false);
        w.resize(1400, 900);
        w.show();
        QAction* train = w.action("train");
        QVERIFY(train);
        QCOMPARE(train->shortcut(), QKeySequence("Ctrl+T"));
        QMenu* model = nullptr;
        for (QAction* a : w.menuBar()->actions())
            if (a->text().remove('&') == "Model") model = a->menu();
        QVERIFY(model && model->actions().contains(train) && model->actions().contains(w.action("stopTraining")));
        QVERIFY(model->actions().contains(w.action("inspect")));
        w.action("inspect")->trigger(); // opens the inspector window on the current spec
        QTRY_VERIFY(!w.findChildren<ModelInspector*>().isEmpty());
        for (ModelInspector* i : w.findChildren<ModelInspector*>()) i->close();
        QVERIFY(!w.action("stopTraining")->isEnabled());

        TrainPanel* panel = w.trainPanel();
        configure(*panel, "digits", 1000);
        QSignalSpy epochs(panel, &TrainPanel::epochFinished);
        train->trigger();
        QVERIFY(panel->isVisible());
        QVERIFY(panel->isTraining());
        QVERIFY(w.action("stopTraining")->isEnabled());
        QVERIFY(!train->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(epochs.count() >= 1, kTimeoutMs);
        QElapsedTimer t;
        t.start();
        QVERIFY(w.close());
        QVERIFY(!panel->isTraining());
        QVERIFY(t.elapsed() < 30000);
        QVERIFY(panel->lossChart()->pointCount("loss") < 1000);
    }

    void aFewStepsOnVulkanComplete() {
        Document doc;
        doc.setModel(test::example("digits_mlp"), {}, false);
        TrainPanel panel(&doc);
        QString vulkan;
        for (const QString& d : panel.devices())
            if (d.startsWith("vulkan:") && vulkan.isEmpty()) vulkan = d;
        if (vulkan.isEmpty()) STRATA_SKIP_UNLESS_REQUIRED("no Vulkan device on this machine");
        configure(panel, "digits", 1);
        QVERIFY(panel.setDevice(vulkan));
        panel.setMaxSteps(5);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QCOMPARE(panel.lossChart()->pointCount("step"), 5);
        QVERIFY2(panel.statusText().contains("vulkan"), qPrintable(panel.statusText()));
        QVERIFY2(panel.statusText().contains("step limit"), qPrintable(panel.statusText()));
        QVERIFY(panel.testAccuracy().has_value());
    }
};

QTEST_MAIN(TestTrain)
#include "tst_gui_train.moc"
