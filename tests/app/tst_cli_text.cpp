// strata-cli on text and sequences: train an Embedding+LSTM on a CSV text column (--text), record
// the vectorizer with the run, export it beside a saved model and predict from raw text; text
// CSV and option errors name file, line and option; --timesteps reads numeric rows as sequences.
#include "CliTestSupport.h"

#include "engine/data/TextVectorization.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <sstream>
#include <string>

using namespace strata::cli::test;

namespace {

void writeFile(const QString& path, const std::string& text) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
    f.write(text.data(), qint64(text.size()));
}

// Words of three made-up "languages": most letters of a word come from its language's letters.
const char* const kLetters[3] = {"aeiou", "bcdfg", "klmnp"};
const char* const kNames[3] = {"vowelish", "lowish", "midish"};

std::string word(uint64_t& state, int language) {
    auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return uint32_t(state >> 33);
    };
    const int length = 4 + int(next() % 5);
    std::string w;
    for (int i = 0; i < length; ++i) {
        const bool own = next() % 10 < 8;
        const char* set = kLetters[own ? language : int(next() % 3)];
        w += set[next() % 5];
    }
    if (next() % 4 == 0) w[0] = char(w[0] - 'a' + 'A'); // capitals are standardized away
    return w;
}

std::string languageCsv(int rows) {
    std::string csv = "id,text,language\n";
    uint64_t state = 7;
    for (int r = 0; r < rows; ++r) csv += std::to_string(r) + "," + word(state, r % 3) + "," + kNames[r % 3] + "\n";
    return csv;
}

constexpr const char* kCharLstm = R"({"format": "strata.model/1", "name": "char_lstm", "layers": [
    {"name": "chars", "type": "Input", "config": {"shape": [8]}},
    {"name": "embedding", "type": "Embedding", "config": {"input_dim": 20, "output_dim": 8}},
    {"name": "lstm", "type": "LSTM", "config": {"units": 16}},
    {"name": "probs", "type": "Dense", "config": {"units": 3, "activation": "softmax"}}]})";

int argmax(const std::string& line) {
    std::stringstream cells(line);
    std::string cell;
    int best = -1, k = 0;
    double top = -1;
    while (std::getline(cells, cell, ',')) {
        if (std::stod(cell) > top) top = std::stod(cell), best = k;
        ++k;
    }
    return best;
}

} // namespace

class TestCliText : public QObject {
    Q_OBJECT
private slots:
    // Trains above chance (1/3), records the vocabulary with the run, and predicts from raw text
    // through the project and through an exported saved model alike.
    void charLstmLearnsLanguagesAndPredictsFromRawText() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("words.csv"), spec = dir.filePath("char_lstm.json");
        writeFile(csv, languageCsv(900));
        writeFile(spec, kCharLstm);
        const std::string project = dir.filePath("text.strata").toStdString();
        auto r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--text", "text", "--label", "language", "--split",
                      "character", "--sequence-length", "8", "--epochs", "6", "--lr", "0.02", "--seed", "1", "--project", project,
                      "--json", "--no-histograms"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(QString::fromStdString(r.err).contains("not used: id"), r.err.c_str());
        QVERIFY2(QString::fromStdString(r.err).contains("character tokens"), r.err.c_str());
        const auto test = nlohmann::json::parse(r.out.substr(r.out.rfind('{')));
        QVERIFY2(test["test_accuracy"].get<double>() > 0.6, r.out.c_str());

        r = run({"inspect", project, "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        const auto hp = nlohmann::json::parse(r.out)["runs"][0]["hyperparameters"];
        QCOMPARE(hp["text_column"].get<std::string>(), std::string("text"));
        const auto tv = strata::data::TextVectorization::fromJson(hp["text_vectorization"]);
        QCOMPARE(tv.options().split, std::string("character"));
        QCOMPARE(tv.options().sequenceLength, int64_t(8));
        QCOMPARE(tv.vocabulary().size(), std::size_t(17)); // 15 letters, padding and [UNK]

        // evaluate reads the run's text column with the run's vocabulary; --resume continues with it.
        r = run({"evaluate", project, "--data", csv.toStdString()});
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(nlohmann::json::parse(r.out)["accuracy"].get<double>(), test["test_accuracy"].get<double>());
        r = run({"train", "--project", project, "--resume", "--epochs", "7", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("\"epoch\":7"), r.out.c_str());
        QVERIFY2(QString::fromStdString(r.err).contains("the model's own vocabulary"), r.err.c_str());

        const std::string saved = dir.filePath("saved").toStdString();
        r = run({"export", project, "--format", "saved-model", "--out", saved});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY(QFile::exists(QString::fromStdString(saved + "/" + strata::data::kTextVectorizationFile)));

        const QString raw = dir.filePath("raw.csv"), headed = dir.filePath("headed.csv");
        writeFile(raw, "aeioua\nbcdfgb\nklmnpk\nOUIEA\n");
        writeFile(headed, "language,text\n?,aeioua\n?,\"bcdfgb\"\n");
        for (const std::string& where : {project, saved}) {
            r = run({"predict", where, "--input", raw.toStdString()});
            QVERIFY2(r.code == 0, r.err.c_str());
            std::stringstream lines(r.out);
            std::string line;
            for (int expected : {2, 0, 1, 2}) { // classes in name order: lowish, midish, vowelish
                QVERIFY(std::getline(lines, line));
                QCOMPARE(argmax(line), expected);
            }
        }
        r = run({"predict", saved, "--input", headed.toStdString()}); // the run's column, found by name
        QVERIFY2(r.code == 0, r.err.c_str());
        QCOMPARE(argmax(r.out.substr(0, r.out.find('\n'))), 2);
        r = run({"predict", saved, "--input", headed.toStdString(), "--text", "words"});
        QVERIFY(r.code != 0);
        QVERIFY2(QString::fromStdString(r.err).contains("no column named 'words'"), r.err.c_str());

        const std::string torch = dir.filePath("torch").toStdString();
        r = run({"export", saved, "--format", "pytorch", "--out", torch});
        QVERIFY2(r.code == 0, r.err.c_str());
        QFile readme(QString::fromStdString(torch + "/README.txt"));
        QVERIFY(readme.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(readme.readAll());
        QVERIFY2(text.contains("text_vectorization.json") && text.contains("characters"), qPrintable(text));
    }

    // The shipped example: its words fit its model (every character id below input_dim 64).
    void exampleWordsFitTheCharLstmExample() {
        auto r = run({"train", example("char_lstm_language.json"), "--data", example("words_by_language.csv"), "--text", "text",
                      "--split", "character", "--sequence-length", "16", "--steps", "3", "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(QString::fromStdString(r.err).contains("16 ids per text"), r.err.c_str());
        QVERIFY2(QString::fromStdString(r.out).contains("\"test_accuracy\""), r.out.c_str());
    }

    void textCsvAndOptionErrorsNameFileLineAndOption() {
        QTemporaryDir dir;
        const QString spec = dir.filePath("char_lstm.json"), bad = dir.filePath("bad.csv"), empty = dir.filePath("empty.csv");
        writeFile(spec, kCharLstm);
        writeFile(bad, "text,language\nabc,x\n\"a,b\",y\nabc,x,extra\n");
        writeFile(empty, "text,language\nabc,x\n,y\n");
        auto r = run({"train", spec.toStdString(), "--data", bad.toStdString(), "--text", "text", "--sequence-length", "8"});
        QCOMPARE(r.code, 1);
        QVERIFY2(QString::fromStdString(r.err).contains("bad.csv:4: expected 2 columns, found 3"), r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", empty.toStdString(), "--text", "text", "--sequence-length", "8"});
        QCOMPARE(r.code, 1);
        QVERIFY2(QString::fromStdString(r.err).contains("empty.csv:3: column 1: the text is empty"), r.err.c_str());
        const QString short3 = dir.filePath("short.csv"); // 3 characters per word; the model takes 8
        writeFile(short3, "text,language\nabc,x\nbcd,y\ncde,x\ndef,y\nefg,x\nfgh,y\nghi,x\nhij,y\nijk,x\njkl,y\n");
        r = run({"train", spec.toStdString(), "--data", short3.toStdString(), "--text", "text", "--split", "character"});
        QCOMPARE(r.code, 1);
        QVERIFY2(QString::fromStdString(r.err).contains("input 'chars' takes (8,) but the text column gives 3 ids per text "
                                                        "(the longest training text): set the sequence length (strata-cli: "
                                                        "--sequence-length 8)"),
                 r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", empty.toStdString(), "--text", "text", "--split", "sentence"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--split must be 'word' or 'character', got 'sentence'"), r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", empty.toStdString(), "--text", "text", "--max-tokens", "2"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--max-tokens must be 0 (unlimited) or at least 3"), r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", "digits", "--text", "text"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--text applies to CSV tables"), r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", empty.toStdString(), "--split", "word"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--split needs --text COLUMN"), r.err.c_str());
    }

    // Rows of T*F numbers are T steps of F features; a count T does not divide is an error naming the file.
    void timestepsReadRowsAsSequences() {
        QTemporaryDir dir;
        const QString csv = dir.filePath("seq.csv"), spec = dir.filePath("seq.json");
        std::string rows;
        uint64_t state = 3;
        for (int r = 0; r < 300; ++r) { // class 1: the second feature rises over the steps
            const int label = r % 2;
            for (int t = 0; t < 4; ++t) {
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                const double noise = double(state >> 40) / double(1 << 24) - 0.5;
                rows += std::to_string(noise) + "," + std::to_string(label ? t * 0.5 : 1.0 - t * 0.5) + ",";
            }
            rows += std::to_string(label) + "\n";
        }
        writeFile(csv, rows);
        writeFile(spec, R"({"format": "strata.model/1", "name": "seq", "layers": [
            {"name": "steps", "type": "Input", "config": {"shape": [4, 2]}},
            {"name": "gru", "type": "GRU", "config": {"units": 8}},
            {"name": "probs", "type": "Dense", "config": {"units": 2, "activation": "softmax"}}]})");
        auto r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--timesteps", "4", "--epochs", "5", "--lr", "0.02",
                      "--json"});
        QVERIFY2(r.code == 0, r.err.c_str());
        QVERIFY2(nlohmann::json::parse(r.out.substr(r.out.rfind('{')))["test_accuracy"].get<double>() > 0.8, r.out.c_str());
        r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--timesteps", "3", "--epochs", "1"});
        QCOMPARE(r.code, 1);
        QVERIFY2(QString::fromStdString(r.err).contains("seq.csv: 8 features per row do not divide into 3 timesteps"), r.err.c_str());
        r = run({"train", spec.toStdString(), "--data", csv.toStdString(), "--timesteps", "0"});
        QCOMPARE(r.code, 2);
        QVERIFY2(QString::fromStdString(r.err).contains("--timesteps must be an integer >= 1"), r.err.c_str());
    }
};

QTEST_GUILESS_MAIN(TestCliText)
#include "tst_cli_text.moc"
