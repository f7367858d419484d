// The person's note (several lines) and tags (comma-separated) on the run selected in the Runs
// panel, stored in the project file by Save. A project that cannot be written (a read-only file or
// folder) shows them without editing and says why; with several runs selected it asks for one.
//
//   RunNotes notes;
//   notes.setRun(&history, run);              // or setRun(&history, std::nullopt, tr("why"))
//   notes.noteEdit()->setPlainText("lr too high"); notes.save();
#pragma once

#include "app/gui/runs/RunHistory.h"

#include <QWidget>

#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace strata::gui {

class RunNotes : public QWidget {
    Q_OBJECT
public:
    explicit RunNotes(QWidget* parent = nullptr);

    // The run to edit (nullopt: none, `why` says why not, e.g. "Select one run").
    void setRun(const RunHistory* history, const std::optional<RunSummary>& run, const QString& why = {});
    // Stores the note and tags; false with the reason in the status line.
    bool save();
    // "a, b ,, c" -> {"a", "b", "c"}: trimmed, empty ones and repeats dropped.
    static std::vector<std::string> parseTags(const QString& text);

    bool editable() const { return editable_; }
    bool modified() const;
    QPlainTextEdit* noteEdit() const { return note_; }
    QLineEdit* tagsEdit() const { return tags_; }
    QPushButton* saveButton() const { return save_; }
    QString statusText() const;

signals:
    void saved(qint64 runId); // the project changed: the runs table shows the new tags

private:
    void refreshButtons();

    const RunHistory* history_ = nullptr;
    std::optional<int64_t> runId_;
    QString savedNote_, savedTags_;
    bool editable_ = false;
    QPlainTextEdit* note_;
    QLineEdit* tags_;
    QPushButton *save_, *revert_;
    QLabel* status_;
};

} // namespace strata::gui
