// The Train panel's checks of data against the model before a run. A model of two inputs and two
// outputs (resources/examples/two_heads.json) on a CSV file: the column mapping shows instead of
// Label, names what is missing or does not fit, trains with each output's loss and weight, and
// draws each head's accuracy. A one-input model whose Input or output does not fit the dataset:
// said under the dataset, and "Fit model to data" fixes both in one undoable edit.
#include <QTest>

#include "GuiTestSupport.h"
#include "TrainPanelTestSupport.h"

#include "app/gui/project/Document.h"
#include "app/gui/train/ColumnMappingTable.h"
#include "app/gui/charts/MetricChart.h"
#include "app/gui/train/TrainPanel.h"
#include "tests/support/AnimalsTable.h"

#include <QUndoStack>

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>

#include <cmath>

using namespace strata;
using namespace strata::gui;
using strata::gui::test::trainAndWait;

namespace {

QString writeTable(const QTemporaryDir& dir, int rows) {
    return QString::fromStdString(animals::writeTable(dir.filePath("animals.csv").toStdString(), rows));
}

} // namespace

class TestGuiTrainMapping : public QObject {
    Q_OBJECT
private slots:
    void twoHeadedModelTrainsFromMappedColumns() {
        QTemporaryDir dir;
        const QString csv = writeTable(dir, 400);
        Document doc;
        doc.setModel(ModelSpec::load(std::string(STRATA_TEST_RESOURCES) + "/examples/two_heads.json"), {}, false);
        TrainPanel panel(&doc);
        panel.resize(1200, 700);
        panel.show();
        ColumnMappingTable* map = panel.columnMapping();
        QCOMPARE(map->inputCount(), 2);
        QCOMPARE(map->outputCount(), 2);
        QVERIFY(!panel.showsColumnMapping()); // a built-in dataset: no mapping to show
        QVERIFY(map->isHidden());

        panel.setCsvFile(csv);
        QVERIFY(panel.showsColumnMapping());
        QVERIFY(!map->isHidden());
        QVERIFY(panel.findChild<QComboBox*>("trainLabel")->isHidden()); // the mapping replaces Label
        // Nothing mapped yet: said under the table, and Train refuses before anything starts.
        QVERIFY2(panel.mappingProblemText().contains("Input 'a' is given no columns"), qPrintable(panel.mappingProblemText()));
        QTest::mouseClick(panel.findChild<QPushButton*>("trainButton"), Qt::LeftButton);
        QVERIFY(!panel.isTraining());
        QVERIFY2(panel.statusText().contains("Cannot train"), qPrintable(panel.statusText()));

        // Typed into the table as a person would.
        QVERIFY(map->setInputColumns("b", "b0..b2"));
        QVERIFY2(panel.mappingProblemText().contains("Input 'a' is given no columns"), qPrintable(panel.mappingProblemText()));
        auto* a = panel.findChild<QLineEdit*>("mapInput_a");
        QVERIFY(a);
        QTest::keyClicks(a, "a0..a2");
        QVERIFY2(panel.mappingProblemText().contains("Input 'a' takes 4 values per sample, but 3 columns feed it"),
                 qPrintable(panel.mappingProblemText()));
        a->clear();
        QTest::keyClicks(a, "a0..a3");
        QVERIFY(map->setInputColumns("b", "b0, b1, wings"));
        QVERIFY2(panel.mappingProblemText().contains("no column named 'wings'"), qPrintable(panel.mappingProblemText()));
        QVERIFY(map->setInputColumns("b", "b0..b2"));
        QVERIFY2(panel.mappingProblemText().contains("Output 'cls' has no target column"), qPrintable(panel.mappingProblemText()));
        QVERIFY(map->setOutputColumn("cls", "kind"));
        QVERIFY(map->setOutputColumn("reg", "size"));
        QVERIFY(!map->setOutputColumn("reg", "wings")); // not a column of the table
        QVERIFY(map->setOutputLoss("reg", "mean_squared_error", 0.5));
        QCOMPARE(panel.mappingProblemText(), QString());
        QVERIFY(panel.findChild<QLabel*>("trainMappingProblem")->isHidden());

        const TrainSettings s = panel.settings();
        QCOMPARE(s.columns.inputs.size(), std::size_t(2));
        QCOMPARE(s.columns.outputs[0].column, std::string("kind"));
        QVERIFY(!s.columns.outputs[0].regression);
        QVERIFY(s.columns.outputs[1].regression); // MSE reads real values
        QCOMPARE(s.options.outputLosses.size(), std::size_t(2));
        QCOMPARE(s.options.outputLosses[1].weight, 0.5);

        panel.setDevice("cpu");
        panel.setEpochs(12);
        panel.setBatchSize(16);
        panel.setLearningRate(0.01);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        // Each classification head's accuracy is drawn, train and validation.
        QCOMPARE(panel.accuracyChart()->pointCount("cls_accuracy"), 12);
        QCOMPARE(panel.accuracyChart()->pointCount("val_cls_accuracy"), 12);
        QVERIFY(!panel.accuracyChart()->hasSeries("reg_accuracy")); // a regression head has none
        QCOMPARE(panel.lossChart()->pointCount("loss"), 12);
        QVERIFY2(panel.resultText().contains("cls accuracy") && panel.resultText().contains("reg MAE"), qPrintable(panel.resultText()));
        QVERIFY2(panel.testAccuracy().value_or(0) > 0.8, qPrintable(panel.resultText())); // the class head's
    }

    // A model edit that renames an output keeps what was typed for the inputs.
    void mappingFollowsTheModel() {
        QTemporaryDir dir;
        const QString csv = writeTable(dir, 30);
        Document doc;
        ModelSpec spec = ModelSpec::load(std::string(STRATA_TEST_RESOURCES) + "/examples/two_heads.json");
        doc.setModel(spec, {}, false);
        TrainPanel panel(&doc);
        panel.setCsvFile(csv);
        ColumnMappingTable* map = panel.columnMapping();
        QVERIFY(map->setInputColumns("a", "a0..a3"));
        ModelSpec one = spec;
        one.outputs = {"cls"};
        doc.setModel(one, {}, false);
        QCOMPARE(map->outputCount(), 1);
        QVERIFY(panel.showsColumnMapping()); // still two inputs
        QCOMPARE(map->mapping().inputs[0].columns, (std::vector<std::string>{"a0..a3"}));
    }


    void fitModelToDataIsOneUndoableEdit() {
        Document doc;
        doc.setModel(ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "mlp",
            "layers": [{"name": "pixels", "type": "Input", "config": {"shape": [784]}},
                       {"name": "hidden", "type": "Dense", "config": {"units": 16, "activation": "relu"}},
                       {"name": "probs", "type": "Dense", "config": {"units": 12, "activation": "softmax"}}]})")),
                     {}, false);
        TrainPanel panel(&doc);
        panel.setDataset("digits");
        const QString says = panel.dataFitText();
        QVERIFY2(says.contains("input 'pixels' takes (784,) (784 values), but digits gives samples of (64,) (64 values)"), qPrintable(says));
        QVERIFY2(says.contains("output 'probs' has 12 units, but digits has 10 classes"), qPrintable(says));
        auto* fit = panel.findChild<QPushButton*>("trainFitModel");
        QVERIFY(fit && !fit->isHidden());
        QTest::mouseClick(fit, Qt::LeftButton);
        const ModelSpec& fitted = doc.model()->state().spec;
        QVERIFY(fitted.layers[0].config["shape"] == nlohmann::json({64}));
        QVERIFY(fitted.layers[2].config["units"] == nlohmann::json(10));
        QCOMPARE(panel.dataFitText(), QString());
        QVERIFY(fit->isHidden());
        doc.editor()->undoStack()->undo(); // one step takes both back
        QVERIFY(doc.model()->state().spec.layers[0].config["shape"] == nlohmann::json({784}));
        QVERIFY(doc.model()->state().spec.layers[2].config["units"] == nlohmann::json(12));
        QVERIFY(!panel.dataFitText().isEmpty());
        // An autoencoder's target is its input: the classes do not matter, and fashion-mnist's
        // (28, 28, 1) images fit a flat Input of 784 values.
        panel.setDataset("fashion-mnist");
        QVERIFY2(panel.dataFitText().contains("12 units"), qPrintable(panel.dataFitText()));
        QVERIFY(panel.setTarget("input"));
        QCOMPARE(panel.dataFitText(), QString());
    }
};

QTEST_MAIN(TestGuiTrainMapping)
#include "tst_gui_train_mapping.moc"
