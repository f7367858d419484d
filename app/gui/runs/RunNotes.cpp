#include "app/gui/runs/RunNotes.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <exception>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

RunNotes::RunNotes(QWidget* parent) : QWidget(parent) {
    note_ = new QPlainTextEdit;
    note_->setObjectName("runNote");
    note_->setPlaceholderText(tr("What this run tried, what came of it…"));
    note_->setTabChangesFocus(true);
    tags_ = new QLineEdit;
    tags_->setObjectName("runTags");
    tags_->setPlaceholderText(tr("baseline, high lr, …"));
    tags_->setToolTip(tr("Tags, separated by commas; the filter above the runs finds them"));
    save_ = new QPushButton(tr("Save Note && Tags"));
    save_->setObjectName("saveRunNote");
    save_->setToolTip(tr("Store the note and tags in the project file"));
    revert_ = new QPushButton(tr("Revert"));
    revert_->setObjectName("revertRunNote");
    status_ = new QLabel;
    status_->setObjectName("runNoteStatus");
    status_->setWordWrap(true);

    auto* form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Note:"), note_);
    form->addRow(tr("Tags:"), tags_);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(status_, 1);
    buttons->addWidget(revert_);
    buttons->addWidget(save_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(form, 1);
    layout->addLayout(buttons);

    connect(note_, &QPlainTextEdit::textChanged, this, &RunNotes::refreshButtons);
    connect(tags_, &QLineEdit::textChanged, this, &RunNotes::refreshButtons);
    connect(tags_, &QLineEdit::returnPressed, this, &RunNotes::save);
    connect(save_, &QPushButton::clicked, this, &RunNotes::save);
    connect(revert_, &QPushButton::clicked, this, [this] {
        note_->setPlainText(savedNote_);
        tags_->setText(savedTags_);
    });
    setRun(nullptr, std::nullopt);
}

std::vector<std::string> RunNotes::parseTags(const QString& text) {
    std::vector<std::string> out;
    for (const QString& part : text.split(',')) {
        const std::string tag = part.trimmed().toStdString();
        if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    }
    return out;
}

void RunNotes::setRun(const RunHistory* history, const std::optional<RunSummary>& run, const QString& why) {
    const bool same = run && runId_ == run->id && history == history_;
    history_ = history;
    runId_ = run ? std::optional(run->id) : std::nullopt;
    QStringList tags;
    if (run)
        for (const std::string& t : run->tags) tags << q(t);
    const QString note = run ? q(run->note) : QString(), tagText = tags.join(", ");
    // A refresh of the same run keeps what the person is typing.
    if (!(same && modified())) {
        note_->setPlainText(note);
        tags_->setText(tagText);
    }
    savedNote_ = note;
    savedTags_ = tagText;
    std::string reason;
    editable_ = run && history && history->writable(&reason);
    note_->setReadOnly(!editable_);
    tags_->setReadOnly(!editable_);
    QString tip;
    if (!run) tip = why.isEmpty() ? tr("Select a run to see its note and tags.") : why;
    else if (!editable_)
        tip = tr("Read-only: %1. The note and tags are shown but cannot be changed.")
                  .arg(reason.empty() ? tr("the project cannot be written") : q(reason));
    status_->setText(tip);
    status_->setToolTip(tip);
    for (QWidget* w : std::initializer_list<QWidget*>{note_, tags_}) w->setToolTip(editable_ ? QString() : tip);
    tags_->setToolTip(editable_ ? tr("Tags, separated by commas; the filter above the runs finds them") : tip);
    setEnabled(run.has_value());
    refreshButtons();
}

bool RunNotes::modified() const { return note_->toPlainText() != savedNote_ || tags_->text() != savedTags_; }

QString RunNotes::statusText() const { return status_->text(); }

void RunNotes::refreshButtons() {
    save_->setEnabled(editable_ && modified());
    revert_->setEnabled(editable_ && modified());
}

bool RunNotes::save() {
    if (!editable_ || !runId_ || !history_) return false;
    const std::vector<std::string> tags = parseTags(tags_->text());
    try {
        history_->setNoteAndTags(*runId_, note_->toPlainText().toStdString(), tags);
    } catch (const std::exception& e) {
        status_->setText(tr("<span style='color:#dc2626'>Not saved: %1</span>").arg(q(e.what()).toHtmlEscaped()));
        return false;
    }
    QStringList list;
    for (const std::string& t : tags) list << q(t);
    savedNote_ = note_->toPlainText();
    savedTags_ = list.join(", ");
    tags_->setText(savedTags_);
    refreshButtons();
    emit saved(qint64(*runId_)); // the panel re-reads the project (and sets this run again)
    status_->setText(tr("Saved in the project."));
    return true;
}

} // namespace strata::gui
