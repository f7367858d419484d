// The Train panel's text options for a CSV table: which column is text (as `strata-cli train
// --text COLUMN`), how it becomes token ids (--split, --sequence-length, --max-tokens, as Keras'
// TextVectorization) and a preview of the first rows: the text as standardized, its tokens and
// ids. The preview's vocabulary is adapted on the rows it reads; a run adapts on its training
// split only (engine/data/TextDataset.h).
#pragma once

#include "engine/data/TextVectorization.h"

#include <QWidget>

#include <string>

class QComboBox;
class QLabel;
class QPlainTextEdit;
class QSpinBox;

namespace strata::gui {

class TextColumnBox : public QWidget {
    Q_OBJECT
public:
    explicit TextColumnBox(QWidget* parent = nullptr);

    // The table (path) and its columns (names, or "column K" without a header): the choices, with
    // "(none)" first; the choice is kept when the same column exists.
    void setTable(const QString& path, const QStringList& columns, bool header);
    // The chosen column as TrainSettings takes it ("" for none: the table's numbers are the features).
    std::string textColumn() const;
    bool setTextColumn(const QString& column); // by name (or index without a header); false if absent
    data::TextVectorizationOptions options() const;
    void setSplit(const QString& split);         // "word" or "character"
    void setSequenceLength(int length);          // 0: the longest training text's
    // The preview's text: a row per previewed text, or why the column cannot be read.
    QString previewText() const;

signals:
    void changed();

private:
    void refreshPreview();

    QString path_;
    bool header_ = true;
    QComboBox* column_;
    QComboBox* split_;
    QSpinBox* length_;
    QSpinBox* maxTokens_;
    QPlainTextEdit* preview_;
    QLabel* caption_;
};

} // namespace strata::gui
