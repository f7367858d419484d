#include "app/gui/train/TextColumnBox.h"

#include "engine/data/CsvLoader.h"

#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSpinBox>

#include <algorithm>

namespace strata::gui {

namespace {
constexpr int kPreviewRows = 5;
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

TextColumnBox::TextColumnBox(QWidget* parent) : QWidget(parent) {
    column_ = new QComboBox;
    column_->setObjectName("trainTextColumn");
    column_->setToolTip(tr("A column of text: it becomes the model's one input, as token ids (the model starts with an "
                           "Embedding); the table's other columns, but the label, are not read"));
    split_ = new QComboBox;
    split_->setObjectName("trainTextSplit");
    split_->addItems({"word", "character"});
    split_->setToolTip(tr("Tokens: words (runs of whitespace separate them) or single characters"));
    length_ = new QSpinBox;
    length_->setObjectName("trainTextLength");
    length_->setRange(0, 100000);
    length_->setSpecialValueText(tr("longest"));
    length_->setToolTip(tr("Ids per text, padded with 0 or cut at the end; \"longest\": the longest training text's. "
                           "It must match the model's Input shape"));
    maxTokens_ = new QSpinBox;
    maxTokens_->setObjectName("trainTextMaxTokens");
    maxTokens_->setRange(0, 10000000);
    maxTokens_->setSpecialValueText(tr("all"));
    maxTokens_->setToolTip(tr("Vocabulary size, padding (0) and [UNK] (1) included; the most frequent tokens are kept. "
                              "At most the Embedding's input_dim"));
    preview_ = new QPlainTextEdit;
    preview_->setObjectName("trainTextPreview");
    preview_->setReadOnly(true);
    preview_->setMaximumHeight(96);
    preview_->setLineWrapMode(QPlainTextEdit::NoWrap);
    caption_ = new QLabel(tr("Text column"));

    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setVerticalSpacing(4);
    grid->addWidget(caption_, 0, 0);
    grid->addWidget(column_, 0, 1, 1, 3);
    grid->addWidget(new QLabel(tr("Tokens")), 1, 0);
    grid->addWidget(split_, 1, 1);
    grid->addWidget(new QLabel(tr("Length")), 1, 2);
    grid->addWidget(length_, 1, 3);
    grid->addWidget(new QLabel(tr("Vocabulary")), 2, 0);
    grid->addWidget(maxTokens_, 2, 1);
    grid->addWidget(preview_, 3, 0, 1, 4);

    auto update = [this] {
        refreshPreview();
        emit changed();
    };
    connect(column_, &QComboBox::currentIndexChanged, this, update);
    connect(split_, &QComboBox::currentIndexChanged, this, update);
    connect(length_, &QSpinBox::valueChanged, this, update);
    connect(maxTokens_, &QSpinBox::valueChanged, this, update);
    refreshPreview();
}

void TextColumnBox::setTable(const QString& path, const QStringList& columns, bool header) {
    const QString kept = column_->currentData().toString();
    path_ = path;
    header_ = header;
    const QSignalBlocker block(column_);
    column_->clear();
    column_->addItem(tr("(none: numbers)"), QString());
    for (int c = 0; c < columns.size(); ++c) column_->addItem(columns[c], header ? columns[c] : QString::number(c));
    const int again = kept.isEmpty() ? -1 : column_->findData(kept);
    column_->setCurrentIndex(std::max(again, 0));
    refreshPreview();
}

std::string TextColumnBox::textColumn() const { return column_->currentData().toString().toStdString(); }

bool TextColumnBox::setTextColumn(const QString& column) {
    const int i = column_->findData(column);
    if (i < 0) return false;
    column_->setCurrentIndex(i);
    return true;
}

data::TextVectorizationOptions TextColumnBox::options() const {
    data::TextVectorizationOptions o;
    o.split = split_->currentText().toStdString();
    o.sequenceLength = length_->value();
    o.maxTokens = maxTokens_->value();
    return o;
}

void TextColumnBox::setSplit(const QString& split) { split_->setCurrentText(split); }
void TextColumnBox::setSequenceLength(int length) { length_->setValue(length); }
QString TextColumnBox::previewText() const { return preview_->toPlainText(); }

void TextColumnBox::refreshPreview() {
    const bool text = !textColumn().empty();
    split_->setEnabled(text);
    length_->setEnabled(text);
    maxTokens_->setEnabled(text);
    preview_->setVisible(text);
    if (!text || path_.isEmpty()) {
        preview_->clear();
        return;
    }
    QStringList lines;
    try {
        const std::vector<std::string> texts = data::loadCsvTextColumn(path_.toStdString(), textColumn());
        data::TextVectorizationOptions o = options();
        if (o.maxTokens != 0 && o.maxTokens < 3) o.maxTokens = 3; // the spin box passes through 1 and 2 while typing
        data::TextVectorization v(o);
        v.adapt(texts);
        lines << tr("%1 rows; %2 (vocabulary of the whole column here; a run adapts on its training split)")
                     .arg(texts.size())
                     .arg(q(v.describe()));
        for (std::size_t i = 0; i < std::min<std::size_t>(texts.size(), kPreviewRows); ++i) {
            QStringList tokens, ids;
            for (const std::string& t : v.tokens(texts[i])) tokens << q(t);
            for (int32_t id : v.vectorize(texts[i])) ids << QString::number(id);
            lines << tr("\"%1\" → %2 → [%3]").arg(q(texts[i]).left(60), tokens.join(" | ").left(80), ids.join(", "));
        }
    } catch (const std::exception& e) {
        lines << tr("Cannot read the text column: %1").arg(q(e.what()));
    }
    preview_->setPlainText(lines.join("\n"));
}

} // namespace strata::gui
