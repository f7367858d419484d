// TextVectorization as Keras' layer: vocabulary order, OOV and padding ids, truncation, UTF-8
// characters, standardization, the JSON round trip and errors naming the option; and a CSV text
// column read, split and vectorized on its training split.
#include "DataTestFiles.h"
#include "engine/Error.h"
#include "engine/data/CsvLoader.h"
#include "engine/data/TextDataset.h"
#include "engine/data/TextVectorization.h"

#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <vector>

using namespace strata;
using namespace strata::data;

namespace {
using datatest::errorOf;
using Ids = std::vector<int32_t>;
using Strings = std::vector<std::string>;

TextVectorization adapted(TextVectorizationOptions o, const Strings& texts) {
    TextVectorization tv(std::move(o));
    tv.adapt(texts);
    return tv;
}
} // namespace

class TestTextVectorization : public QObject {
    Q_OBJECT
private slots:
    // Keras: 0 "" and 1 "[UNK]" first, then by descending count; here ties by the token's text.
    void vocabularyIsPaddingOovThenByCountThenText() {
        const TextVectorization tv = adapted({}, {"the cat sat", "the dog sat", "the end"});
        QCOMPARE(tv.vocabulary(), (Strings{"", "[UNK]", "the", "sat", "cat", "dog", "end"}));
        QCOMPARE(tv.idOf("the"), 2);
        QCOMPARE(tv.idOf("zebra"), 1);
    }

    void maxTokensCountsTheReservedIds() {
        TextVectorizationOptions o;
        o.maxTokens = 4;
        const TextVectorization tv = adapted(o, {"b b b a a c", "c c c c"});
        QCOMPARE(tv.vocabulary(), (Strings{"", "[UNK]", "c", "b"}));
        QCOMPARE(tv.vectorize("a b c d"), (Ids{1, 3, 2, 1, 0, 0})); // sequence_length 0: the longest text, 6 tokens
    }

    void padsAndTruncatesAtTheEnd() {
        TextVectorizationOptions o;
        o.sequenceLength = 3;
        const TextVectorization tv = adapted(o, {"a b c d e"});
        QCOMPARE(tv.vectorize("a"), (Ids{2, 0, 0}));
        QCOMPARE(tv.vectorize("e d c b a"), (Ids{6, 5, 4}));
        QCOMPARE(tv.vectorize(""), (Ids{0, 0, 0}));
        const Tensor x = tv.vectorizeAll({"b", "a unknown"});
        QCOMPARE(x.shape(), (Shape{2, 3}));
        QCOMPARE(x.dtype(), DType::F32);
        QCOMPARE(x.f32()[0], 3.0f);
        QCOMPARE(x.f32()[4], 1.0f);
    }

    void characterSplitTakesUtf8CodePoints() {
        TextVectorizationOptions o;
        o.split = "character";
        o.standardize = "lower";
        TextVectorization tv(o);
        QCOMPARE(tv.tokens("Grüße"), (Strings{"g", "r", "ü", "ß", "e"}));
        QCOMPARE(tv.tokens("日本"), (Strings{"日", "本"}));
        QCOMPARE(tv.tokens("a b"), (Strings{"a", " ", "b"})); // Keras keeps the space as a character
        tv.adapt({"éé", "e"});
        QCOMPARE(tv.vocabulary(), (Strings{"", "[UNK]", "é", "e"}));
        QCOMPARE(tv.options().sequenceLength, int64_t(2));
        QCOMPARE(tv.vectorize("Éè"), (Ids{2, 1}));
        // A stray byte that starts no UTF-8 sequence is a token of its own, never a crash.
        QCOMPARE(TextVectorization(o).tokens(std::string("a\xff") + "b").size(), std::size_t(3));
    }

    void standardizationLowersAccentsAndStripsAsciiPunctuation() {
        QCOMPARE(text::toLower("ÉCOLE Ñandú ÀÖØÞ Ÿ ŁÓDŹ ΑΒΓ ДОМ ×"), std::string("école ñandú àöøþ ÿ łódź αβγ дом ×"));
        const TextVectorization strip;
        QCOMPARE(strip.standardized("Don't STOP, l'été! (x_y) «ok»"), std::string("dont stop lété xy «ok»"));
        QCOMPARE(strip.tokens("  Hello,   World!\tÉTÉ "), (Strings{"hello", "world", "été"}));
        TextVectorizationOptions lower;
        lower.standardize = "lower";
        QCOMPARE(TextVectorization(lower).standardized("Hi, Ünïcode!"), std::string("hi, ünïcode!"));
        TextVectorizationOptions none;
        none.standardize = "none";
        QCOMPARE(TextVectorization(none).tokens("Hi, Hi"), (Strings{"Hi,", "Hi"}));
    }

    void jsonRoundTripKeepsOptionsAndVocabulary() {
        TextVectorizationOptions o;
        o.split = "character";
        o.maxTokens = 10;
        o.standardize = "lower";
        const TextVectorization tv = adapted(o, {"abcabd", "xyz"});
        const nlohmann::json j = tv.toJson();
        QCOMPARE(j["format"].get<std::string>(), std::string(kTextVectorizationFormat));
        const TextVectorization back = TextVectorization::fromJson(nlohmann::json::parse(j.dump()));
        QCOMPARE(back.vocabulary(), tv.vocabulary());
        QCOMPARE(back.options().split, std::string("character"));
        QCOMPARE(back.options().maxTokens, int64_t(10));
        QCOMPARE(back.options().sequenceLength, int64_t(6));
        QCOMPARE(back.options().standardize, std::string("lower"));
        QCOMPARE(back.vectorize("Abq"), tv.vectorize("Abq"));
        QVERIFY(back.toJson() == j);
    }

    void badOptionsAndDocumentsNameTheOption_data() {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        const QString f = QStringLiteral(R"("format": "strata.text_vectorization/1")");
        QTest::newRow("split") << "{" + f + R"(, "split": "sentence"})" << "split must be 'word' or 'character', got 'sentence'";
        QTest::newRow("standardize") << "{" + f + R"(, "standardize": "upper"})" << "standardize must be";
        QTest::newRow("max_tokens") << "{" + f + R"(, "max_tokens": 2})" << "max_tokens must be 0 (unlimited) or at least 3";
        QTest::newRow("sequence_length") << "{" + f + R"(, "sequence_length": -1})" << "sequence_length must be";
        QTest::newRow("type") << "{" + f + R"(, "max_tokens": "many"})" << "'max_tokens' has the wrong type";
        QTest::newRow("format") << R"({"split": "word"})" << "not a 'strata.text_vectorization/1' document";
        QTest::newRow("reserved") << "{" + f + R"(, "sequence_length": 4, "vocabulary": ["[UNK]", "", "a"]})"
                                  << "'vocabulary' must start with \"\" and \"[UNK]\"";
        QTest::newRow("duplicate") << "{" + f + R"(, "sequence_length": 4, "vocabulary": ["", "[UNK]", "a", "a"]})"
                                   << "entry 3 'a' is empty, reserved or a duplicate";
        QTest::newRow("too many") << "{" + f + R"(, "max_tokens": 3, "sequence_length": 4, "vocabulary": ["", "[UNK]", "a", "b"]})"
                                  << "more than max_tokens 3";
    }
    void badOptionsAndDocumentsNameTheOption() {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        const QString e = errorOf([&] { TextVectorization::fromJson(nlohmann::json::parse(json.toStdString())); });
        QVERIFY2(e.contains(expected), qPrintable(e));
    }

    void emptyVocabularyAndUnadaptedUseAreErrors() {
        QVERIFY(errorOf([] { adapted({}, {"!!!", "..."}); }).contains("the vocabulary would be empty"));
        QVERIFY(errorOf([] { adapted({}, {"!!!", "..."}); }).contains("standardize 'lower_and_strip_punctuation'"));
        QVERIFY(errorOf([] { TextVectorization().vectorize("a"); }).contains("before adapt()"));
    }

    // The CSV path: the text column and the target are read, other columns named and left out,
    // quoted cells keep their commas, and the vocabulary holds training texts only.
    void csvTextColumnIsSplitThenAdaptedOnTrainingTextsOnly() {
        QTemporaryDir dir;
        const QString file = dir.filePath("words.csv");
        std::string csv = "id,text,label\n";
        for (int i = 0; i < 100; ++i)
            csv += std::to_string(i) + ",\"w" + std::to_string(i) + ", x\"," + (i % 2 ? "odd" : "even") + "\n";
        datatest::writeBytes(file, QByteArray::fromStdString(csv));
        std::vector<std::string> notes;
        CsvOptions o;
        o.targetName = "label";
        const DatasetSplits s = loadTextCsvSplits(file.toStdString(), o, "text", TextVectorization(), 42, [&](const std::string& n) { notes.push_back(n); });
        QVERIFY(s.text);
        QCOMPARE(s.train.size() + s.validation.size() + s.test.size(), int64_t(100));
        QCOMPARE(s.test.size(), int64_t(20));
        QCOMPARE(s.train.x.shape(), (Shape{s.train.size(), 2}));
        QCOMPARE(s.train.numClasses, 2);
        QCOMPARE(s.train.classNames, (Strings{"even", "odd"}));
        // Every word is unique: the vocabulary is "x" and the training words, so each test word is [UNK].
        QCOMPARE(int64_t(s.text->vocabulary().size()), s.train.size() + 3);
        QCOMPARE(s.text->vocabulary()[2], std::string("x"));
        for (int64_t i = 0; i < s.test.size(); ++i) {
            QCOMPARE(s.test.x.f32()[i * 2], 1.0f);
            QCOMPARE(s.test.x.f32()[i * 2 + 1], 2.0f);
        }
        QVERIFY(!notes.empty());
        QVERIFY2(QString::fromStdString(notes[0]).contains("not used: id"), notes[0].c_str());
    }

    // A trained model's vectorizer is used as it is: evaluation data adds no token to it.
    void adaptedVectorizerKeepsItsVocabulary() {
        QTemporaryDir dir;
        const QString file = dir.filePath("new.csv");
        datatest::writeBytes(file, "text,label\nzz yy,0\nab,1\nzz,0\nab cd,1\nq,0\n");
        const TextVectorization model = adapted({}, {"ab cd", "cd"});
        CsvOptions o;
        const DatasetSplits s = loadTextCsvSplits(file.toStdString(), o, "text", model, 42);
        QCOMPARE(s.text->vocabulary(), model.vocabulary());
        QCOMPARE(s.train.x.shape()[1], int64_t(2));
    }

    void csvTextErrorsNameFileAndLine() {
        CsvOptions o;
        QVERIFY(errorOf([&] { parseCsvText("text,label\nhello,a\nbye\n", "t.csv", "text", o); }).contains("t.csv:3: expected 2 columns, found 1"));
        QVERIFY(errorOf([&] { parseCsvText("text,label\nhello,a\n,b\n", "t.csv", "text", o); }).contains("t.csv:3: column 1: the text is empty"));
        QVERIFY(errorOf([&] { parseCsvText("text,label\nhello,a\n", "t.csv", "words", o); }).contains("no column named 'words'"));
        QVERIFY(errorOf([&] { parseCsvText("text,label\nhello,a\n", "t.csv", "label", o); }).contains("as the text and as a target"));
        CsvOptions first;
        first.targetColumn = 0;
        const CsvText t = parseCsvText("label,text\n1,\"say \"\"hi\"\", ok\"\n0,plain\n", "q.csv", "text", first);
        QCOMPARE(t.texts, (Strings{"say \"hi\", ok", "plain"}));
        QCOMPARE(t.rows.y.i32()[0], 1);
    }

    void timestepsReshapeRowsAndNameTheFile() {
        Dataset d;
        d.x = Tensor::fromVector(Shape{2, 6}, std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        toTimesteps(d, 3, "seq.csv");
        QCOMPARE(d.x.shape(), (Shape{2, 3, 2}));
        QCOMPARE(d.x.f32()[7], 7.0f);
        Dataset bad;
        bad.x = Tensor::fromVector(Shape{1, 5}, std::vector<float>{0, 1, 2, 3, 4});
        const QString e = errorOf([&] { toTimesteps(bad, 2, "seq.csv"); });
        QVERIFY2(e.contains("seq.csv: 5 features per row do not divide into 2 timesteps"), qPrintable(e));
    }
};

QTEST_GUILESS_MAIN(TestTextVectorization)
#include "tst_textvectorization.moc"
