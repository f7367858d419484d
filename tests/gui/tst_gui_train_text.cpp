// The Train panel on a CSV table of text: the text column is chosen as a person does, the preview
// shows each previewed row's tokens and ids, the data-fit check does not count the table's other
// columns as features, and an Embedding + LSTM trains on the ids (a rule a model can learn: the
// class is the word's last letter) above chance; a text column that does not fit the Input's
// length is a clear error naming --sequence-length.
#include <QTest>

#include "GuiTestSupport.h"
#include "TrainPanelTestSupport.h"

#include "app/gui/project/Document.h"
#include "app/gui/train/TextColumnBox.h"
#include "app/gui/train/TrainPanel.h"

#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>

using namespace strata;
using namespace strata::gui;
using strata::gui::test::trainAndWait;

namespace {

// words of 3 to 7 letters ending in a, e or o: the label is that last letter.
QString writeWords(const QTemporaryDir& dir, int rows) {
    QFile f(dir.filePath("words.csv"));
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write("text,label\n");
    const char* stems = "bcdfglmnprstvz";
    const char ends[] = {'a', 'e', 'o'};
    uint32_t r = 12345;
    auto next = [&r] { return r = r * 1103515245u + 12345u, (r >> 16) & 0x7fff; };
    for (int i = 0; i < rows; ++i) {
        QByteArray w;
        const int n = 2 + int(next() % 5);
        for (int k = 0; k < n; ++k) w += stems[next() % 14];
        const int c = int(next() % 3);
        w += ends[c];
        f.write("\"" + w.toUpper().left(1) + w.mid(1) + "!\"," + QByteArray::number(c) + "\n");
    }
    return f.fileName();
}

ModelSpec textModel(int length) {
    return ModelSpec::fromJson(nlohmann::json::parse(R"({"format": "strata.model/1", "name": "words", "layers": [
        {"name": "chars", "type": "Input", "config": {"shape": [)" + std::to_string(length) + R"(]}},
        {"name": "embedding", "type": "Embedding", "config": {"input_dim": 32, "output_dim": 8}},
        {"name": "lstm", "type": "LSTM", "config": {"units": 16}},
        {"name": "probs", "type": "Dense", "config": {"units": 3, "activation": "softmax"}}]})"));
}

} // namespace

class TestGuiTrainText : public QObject {
    Q_OBJECT
private slots:
    void aTextColumnTrainsAnEmbeddingLstm() {
        QTemporaryDir dir;
        const QString csv = writeWords(dir, 600);
        Document doc;
        doc.setModel(textModel(8), {}, false);
        TrainPanel panel(&doc);
        panel.resize(1200, 800);
        panel.show();
        panel.setCsvFile(csv);
        TextColumnBox* text = panel.textColumn();
        QVERIFY(text->isVisible());
        QVERIFY(text->textColumn().empty()); // numbers until a person picks a text column
        auto* column = text->findChild<QComboBox*>("trainTextColumn");
        QVERIFY(column);
        column->setCurrentIndex(column->findText("text")); // as a pick in the combo does
        QCOMPARE(text->textColumn(), std::string("text"));
        text->findChild<QComboBox*>("trainTextSplit")->setCurrentText("character");
        text->findChild<QSpinBox*>("trainTextLength")->setValue(8);
        // The preview: standardized (lower case, "!" stripped) characters and their ids, 0-padded.
        const QString preview = text->previewText();
        QVERIFY2(preview.contains("600 rows") && preview.contains("character tokens"), qPrintable(preview));
        QVERIFY2(preview.contains(" | ") && preview.contains(", 0]"), qPrintable(preview));
        QVERIFY2(!preview.contains("!") || preview.count("!") == preview.count("!\""), qPrintable(preview));
        QVERIFY(panel.findChild<QLabel*>("trainDataFit")->isHidden()); // 1 text column is not "1 feature for 8"
        if (qEnvironmentVariableIsSet("STRATA_TEST_GRAB")) panel.grab().save(qEnvironmentVariable("STRATA_TEST_GRAB"));

        panel.findChild<QSpinBox*>("trainEpochs")->setValue(12);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY(panel.testAccuracy().has_value());
        QVERIFY2(*panel.testAccuracy() > 0.6, qPrintable(QString::number(*panel.testAccuracy()))); // chance: 1/3

        // A length the model's Input does not take: the run says which option to change.
        text->findChild<QSpinBox*>("trainTextLength")->setValue(5);
        QVERIFY(!trainAndWait(panel));
        QVERIFY2(panel.statusText().contains("--sequence-length") || panel.statusText().contains("length"), qPrintable(panel.statusText()));
    }

    // The README's three sequence examples train from the panel as from the CLI: the Conv1D
    // classifier on digits read as 8 steps of 8, the character LSTM and the small Transformer on
    // words_by_language.csv's text column (characters, length 16); a few epochs, above chance.
    void theSequenceExamplesTrain_data() {
        QTest::addColumn<QString>("example");
        QTest::addColumn<int>("epochs");
        QTest::addColumn<double>("better");
        QTest::newRow("conv1d_sequence") << "conv1d_sequence" << 3 << 0.5;        // chance 0.1
        QTest::newRow("char_lstm_language") << "char_lstm_language" << 2 << 0.3;  // chance 0.2
        QTest::newRow("transformer_language") << "transformer_language" << 4 << 0.3;
    }
    void theSequenceExamplesTrain() {
        QFETCH(QString, example);
        QFETCH(int, epochs);
        QFETCH(double, better);
        Document doc;
        doc.setModel(strata::gui::test::example(example), {}, false);
        TrainPanel panel(&doc);
        panel.resize(1200, 800);
        panel.show();
        if (example == "conv1d_sequence") {
            panel.setDataset("digits");
        } else {
            panel.setCsvFile(strata::gui::test::resources() + "/examples/words_by_language.csv");
            TextColumnBox* text = panel.textColumn();
            auto* column = text->findChild<QComboBox*>("trainTextColumn");
            column->setCurrentIndex(column->findText("text"));
            text->findChild<QComboBox*>("trainTextSplit")->setCurrentText("character");
            text->findChild<QSpinBox*>("trainTextLength")->setValue(16);
        }
        panel.setEpochs(epochs);
        panel.setOptimizer("adam");
        panel.setLearningRate(example == "transformer_language" ? 3e-3 : 1e-2);
        panel.setSeed(1);
        QVERIFY2(trainAndWait(panel), qPrintable(panel.statusText()));
        QVERIFY(panel.testAccuracy().has_value());
        QVERIFY2(*panel.testAccuracy() > better, qPrintable(example + ": " + QString::number(*panel.testAccuracy())));
    }
};

QTEST_MAIN(TestGuiTrainText)
#include "tst_gui_train_text.moc"
