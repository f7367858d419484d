// Comparing two versions of the open model (Model ▸ Compare Versions…): a dialog picks them, and
// a read-only canvas in the central tabs shows the newer one with its layers marked by the engine's
// SpecDiff (engine/SpecDiff.h): added green, changed amber (the keys and parameter counts before →
// after under the node, every value in its tooltip), removed red, as ghosts at their places in the
// older version's layout. A bar above it says "Comparing v1 → v3" and leaves the comparison.
#pragma once

#include "engine/SpecDiff.h"

#include <QDialog>
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;
class QUndoStack;

namespace strata::gui {

class Document;
class GraphEditor;
class GraphModel;
class GraphScene;
class GraphView;
struct StoredModel;
struct VersionInfo;

// Two combos of the model's versions (oldest first): "before" and "after", by default the two newest.
class CompareVersionsDialog : public QDialog {
    Q_OBJECT
public:
    CompareVersionsDialog(const std::vector<VersionInfo>& versions, QWidget* parent = nullptr);
    QComboBox* beforeBox() const { return before_; }
    QComboBox* afterBox() const { return after_; }
    QPushButton* compareButton() const { return ok_; }
    int64_t beforeId() const;
    int64_t afterId() const;

private:
    QComboBox *before_, *after_;
    QPushButton* ok_;
};

// The comparison: a banner and a read-only canvas of the newer version with the diff drawn on it.
class VersionCompareView : public QWidget {
    Q_OBJECT
public:
    VersionCompareView(const StoredModel& before, const StoredModel& after, QWidget* parent = nullptr);
    ~VersionCompareView() override;

    const SpecDiff& diff() const { return diff_; }
    GraphScene* scene() const { return scene_; }
    GraphView* view() const { return view_; }
    QLabel* banner() const { return banner_; }
    QPushButton* leaveButton() const { return leave_; }

signals:
    void leaveRequested();

private:
    SpecDiff diff_;
    GraphModel* model_;
    QUndoStack* undo_;
    GraphEditor* editor_;
    GraphScene* scene_;
    GraphView* view_;
    QLabel* banner_;
    QPushButton* leave_;
};

// Model ▸ Compare Versions…: asks for two versions of the document's model, then shows the
// comparison as a tab of `tabs` (replacing an earlier one); leaving it removes the tab. Says why
// not when the model has fewer than two saved versions. Returns the view, or null.
VersionCompareView* compareVersions(QWidget* parent, Document& doc, QTabWidget* tabs);
// Shows the comparison of two versions (by id) without the dialog (tests, screenshots).
VersionCompareView* showComparison(Document& doc, QTabWidget* tabs, int64_t beforeId, int64_t afterId);

} // namespace strata::gui
