#include "app/gui/compare/VersionCompare.h"

#include "app/gui/canvas/GraphScene.h"
#include "app/gui/canvas/GraphView.h"
#include "app/gui/model/AutoLayout.h"
#include "app/gui/model/GraphEditor.h"
#include "app/gui/project/Document.h"

#include "engine/Summary.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTabWidget>
#include <QUndoStack>
#include <QVBoxLayout>

namespace strata::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString paramsText(const std::optional<ParamCounts>& p) { return p ? q(withThousands(p->total())) : QStringLiteral("—"); }

// A stored version's spec with a position for every layer: its layout, dot's for the rest.
GraphState stateOf(const StoredModel& m) {
    GraphState s;
    s.spec = m.spec;
    s.positions = GraphState::positionsFromLayout(m.layout);
    AutoLayout::fillMissing(s.spec, s.positions);
    return s;
}

QString changeLines(const LayerDiff& l) {
    QStringList lines;
    for (const auto& c : l.changes)
        lines << QStringLiteral("%1: %2 → %3").arg(q(c.key), q(diffValueText(c.before)).toHtmlEscaped(), q(diffValueText(c.after)).toHtmlEscaped());
    if (l.insideChanged) lines << QObject::tr("layers inside the block changed");
    return lines.join("<br>");
}

QString versionLabel(const VersionInfo& v) {
    QString text = QObject::tr("v%1  ·  %2").arg(v.number).arg(v.createdAt.left(16).replace('T', ' '));
    if (!v.note.isEmpty()) text += "  ·  " + v.note;
    return text;
}

} // namespace

CompareVersionsDialog::CompareVersionsDialog(const std::vector<VersionInfo>& versions, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Compare Versions"));
    setObjectName("compareVersionsDialog");
    before_ = new QComboBox;
    before_->setObjectName("before");
    after_ = new QComboBox;
    after_->setObjectName("after");
    for (const auto& v : versions) {
        before_->addItem(versionLabel(v), qlonglong(v.id));
        after_->addItem(versionLabel(v), qlonglong(v.id));
    }
    const int n = int(versions.size());
    before_->setCurrentIndex(std::max(0, n - 2));
    after_->setCurrentIndex(std::max(0, n - 1));
    auto* form = new QFormLayout;
    form->addRow(tr("&Older:"), before_);
    form->addRow(tr("&Newer (shown):"), after_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    ok_ = buttons->button(QDialogButtonBox::Ok);
    ok_->setText(tr("Compare"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new QLabel(tr("The newer version is shown, marked: added layers green, changed amber, removed red; "
                                      "dashed blue where only the input changed the parameter count.")));
    layout->addLayout(form);
    layout->addWidget(buttons);
}

int64_t CompareVersionsDialog::beforeId() const { return before_->currentData().toLongLong(); }
int64_t CompareVersionsDialog::afterId() const { return after_->currentData().toLongLong(); }

VersionCompareView::VersionCompareView(const StoredModel& before, const StoredModel& after, QWidget* parent)
    : QWidget(parent), diff_(SpecDiff::compute(before.spec, after.spec)) {
    setObjectName("versionCompare");
    model_ = new GraphModel(this);
    undo_ = new QUndoStack(this);
    editor_ = new GraphEditor(model_, undo_, this);
    model_->reset(stateOf(after));
    scene_ = new GraphScene(model_, editor_, this);
    scene_->setReadOnly(true);
    view_ = new GraphView(scene_);
    view_->setAcceptDrops(false);

    const GraphState old = stateOf(before);
    const QString newer = tr("v%1").arg(after.version.number), older = tr("v%1").arg(before.version.number);
    std::map<std::string, DiffMark> marks;
    std::vector<DiffGhost> ghosts;
    for (const LayerDiff& l : diff_.layers) {
        if (l.depth > 0 || (l.status == DiffStatus::Unchanged && !l.inputChanged())) continue; // the top level
        if (l.inputChanged()) {
            marks[l.name] = {NodeItem::Look::Diff::Resized,
                             tr("input changed · %1 → %2").arg(paramsText(l.paramsBefore), paramsText(l.paramsAfter)),
                             tr("<span style='color:#1c7ed6'><b>Same settings</b> as in %1; its input changed, so its "
                                "parameters did</span><br>params %2 → %3")
                                 .arg(older, paramsText(l.paramsBefore), paramsText(l.paramsAfter))};
        } else if (l.status == DiffStatus::Added) {
            marks[l.name] = {NodeItem::Look::Diff::Added, tr("added · %1 params").arg(paramsText(l.paramsAfter)),
                             tr("<span style='color:#2f9e44'><b>Added</b> in %1</span>").arg(newer)};
        } else if (l.status == DiffStatus::Changed) {
            marks[l.name] = {NodeItem::Look::Diff::Changed,
                             tr("%1 · %2 → %3").arg(q(l.changedKeys()), paramsText(l.paramsBefore), paramsText(l.paramsAfter)),
                             tr("<span style='color:#f08c00'><b>Changed</b> since %1</span><br>%2<br>params %3 → %4")
                                 .arg(older, changeLines(l), paramsText(l.paramsBefore), paramsText(l.paramsAfter))};
        } else {
            auto pos = old.positions.find(l.name);
            ghosts.push_back({l.name, l.typeBefore, pos == old.positions.end() ? QPointF() : pos->second,
                              tr("removed · %1 params").arg(paramsText(l.paramsBefore)),
                              tr("<span style='color:#e03131'><b>Removed</b>: in %1, not in %2</span>").arg(older, newer)});
        }
    }
    // A ghost keeps its old place unless a layer of the newer version stands there: then it moves right.
    const GraphState now = model_->state();
    std::vector<QRectF> taken;
    const QSizeF size(NodeGeometry::width + 24, NodeGeometry::height + 28);
    for (const auto& [name, p] : now.positions)
        if (!isFlowKey(name)) taken.emplace_back(p, size);
    for (DiffGhost& g : ghosts) {
        auto clashes = [&] {
            for (const QRectF& r : taken)
                if (r.intersects(QRectF(g.pos, size))) return true;
            return false;
        };
        for (int tries = 0; clashes() && tries < 50; ++tries) g.pos.rx() += size.width();
        taken.emplace_back(g.pos, size);
    }
    scene_->setDiff(std::move(marks), ghosts);

    banner_ = new QLabel;
    banner_->setObjectName("compareBanner");
    banner_->setTextFormat(Qt::RichText);
    const QString model = q(after.model);
    banner_->setText(tr("<b>Comparing %1 %2 → %3</b> &nbsp; <span style='color:#2f9e44'>%4 added</span> · "
                        "<span style='color:#f08c00'>%5 changed</span> · <span style='color:#e03131'>%6 removed</span> · "
                        "params %7 → %8 &nbsp; (read-only)")
                         .arg(model.toHtmlEscaped(), older, newer)
                         .arg(diff_.count(DiffStatus::Added))
                         .arg(diff_.count(DiffStatus::Changed))
                         .arg(diff_.count(DiffStatus::Removed))
                         .arg(paramsText(diff_.totalsBefore), paramsText(diff_.totalsAfter)));
    leave_ = new QPushButton(tr("Leave Comparison"));
    leave_->setObjectName("leaveComparison");
    leave_->setToolTip(tr("Close the comparison and go back to editing"));
    connect(leave_, &QPushButton::clicked, this, &VersionCompareView::leaveRequested);
    auto* bar = new QFrame;
    bar->setObjectName("compareBar");
    bar->setStyleSheet("#compareBar { background: rgba(240, 140, 0, 40); border-bottom: 1px solid rgba(240, 140, 0, 160); }");
    auto* barLayout = new QHBoxLayout(bar);
    barLayout->setContentsMargins(10, 4, 6, 4);
    barLayout->addWidget(banner_, 1);
    barLayout->addWidget(leave_);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(bar);
    layout->addWidget(view_, 1);
}

VersionCompareView::~VersionCompareView() { delete view_; } // before the scene it shows

VersionCompareView* showComparison(Document& doc, QTabWidget* tabs, int64_t beforeId, int64_t afterId) {
    const StoredModel before = doc.store()->load(doc.modelName(), beforeId);
    const StoredModel after = doc.store()->load(doc.modelName(), afterId);
    if (auto* old = tabs->findChild<VersionCompareView*>()) {
        tabs->removeTab(tabs->indexOf(old));
        old->deleteLater();
    }
    auto* view = new VersionCompareView(before, after);
    const int tab = tabs->addTab(view, QObject::tr("Compare v%1 → v%2").arg(before.version.number).arg(after.version.number));
    tabs->setCurrentIndex(tab);
    QObject::connect(view, &VersionCompareView::leaveRequested, tabs, [tabs, view] {
        tabs->removeTab(tabs->indexOf(view));
        tabs->setCurrentIndex(0);
        view->deleteLater();
    });
    view->view()->fitAll();
    return view;
}

VersionCompareView* compareVersions(QWidget* parent, Document& doc, QTabWidget* tabs) {
    const std::vector<VersionInfo> versions = doc.store() ? doc.store()->versions(doc.modelName()) : std::vector<VersionInfo>{};
    if (versions.size() < 2) {
        QMessageBox::information(parent, QObject::tr("Compare Versions"),
                                 QObject::tr("Model '%1' has %n saved version(s); comparing needs two. Save a version "
                                             "(Ctrl+S) after editing, then compare.", nullptr, int(versions.size()))
                                     .arg(q(doc.modelName())));
        return nullptr;
    }
    CompareVersionsDialog dialog(versions, parent);
    if (dialog.exec() != QDialog::Accepted) return nullptr;
    try {
        return showComparison(doc, tabs, dialog.beforeId(), dialog.afterId());
    } catch (const std::exception& e) {
        QMessageBox::warning(parent, QObject::tr("Compare Versions"), QObject::tr("The versions could not be read: %1").arg(q(e.what())));
        return nullptr;
    }
}

} // namespace strata::gui
