// Palette, inspector, summary, issues and the ordered list.
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSpinBox>
#include <QTest>
#include <QTreeWidget>

#include "GuiTestSupport.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/canvas/NodeItem.h"
#include "app/gui/panels/InspectorPanel.h"
#include "app/gui/panels/IssuesPanel.h"
#include "app/gui/panels/LayerListPanel.h"
#include "app/gui/panels/PalettePanel.h"
#include "app/gui/panels/SummaryPanel.h"

#include "engine/LayerRegistry.h"

using namespace strata;
using namespace strata::gui;

class TestPanels : public QObject {
    Q_OBJECT
private slots:
    void paletteListsEveryTypeGroupedWithDescriptions() {
        PalettePanel p;
        int entries = 0;
        QStringList groups;
        for (int g = 0; g < p.tree()->topLevelItemCount(); ++g) {
            auto* group = p.tree()->topLevelItem(g);
            if (!group->isHidden()) groups << group->text(0);
            entries += group->childCount();
        }
        QCOMPARE(entries, int(LayerRegistry::instance().types().size()));
        QCOMPARE(groups, (QStringList{"CORE", "CONVOLUTION", "POOLING", "SEQUENCE", "ATTENTION", "NORMALIZATION", "REGULARIZATION", "MERGE", "ACTIVATION", "PREPROCESSING"}));
        // Every type has its own glyph.
        QMap<QString, QString> glyphs;
        for (const LayerTypeInfo& t : LayerRegistry::instance().types()) {
            const QString glyph = CanvasStyle::typeAbbreviation(QString::fromStdString(t.type));
            QVERIFY2(!glyphs.contains(glyph), qPrintable(glyph + ": " + glyphs.value(glyph) + " and " + QString::fromStdString(t.type)));
            glyphs.insert(glyph, QString::fromStdString(t.type));
        }
        QTreeWidgetItem* dense = p.itemFor("Dense");
        QVERIFY(dense->toolTip(0).contains("Fully connected"));
        QVERIFY(!dense->icon(0).isNull());
        p.filterBox()->setText("pool");
        QVERIFY(dense->isHidden());
        QVERIFY(!p.itemFor("MaxPooling2D")->isHidden());
        QVERIFY(p.tree()->topLevelItem(0)->isHidden()); // Core has no pooling layer
    }

    void doubleClickAppendsAfterTheSelectedNodeAndWiresIt() {
        ModelSpec spec = test::example("digits_mlp");
        test::Editor ed(&spec);
        PalettePanel p;
        QObject::connect(&p, &PalettePanel::activated, [&](const QString& type) {
            auto sel = ed.scene.selectedLayers();
            ed.editor()->appendAfter(type.toStdString(), sel.empty() ? std::string() : sel.back());
        });
        const std::string first = spec.layers[1].name, second = spec.layers[2].name;
        ed.scene.selectLayers({first});
        emit p.tree()->itemActivated(p.itemFor("Dropout"), 0);
        const ModelSpec& now = ed.model()->spec();
        QCOMPARE(now.layers[2].type, std::string("Dropout"));
        QCOMPARE(now.layers[2].inbound, std::vector<std::string>{first});
        QCOMPARE(now.layers[3].inbound, std::vector<std::string>{now.layers[2].name});
        QVERIFY(now.isSequential());
        QVERIFY(ed.model()->rootInference().ok());
        QCOMPARE(ed.undo()->count(), 1);
        (void)second;
    }

    void inspectorEditUpdatesTheSummary() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        InspectorPanel inspector(ed.model(), ed.editor());
        SummaryPanel summary(ed.model());
        QCOMPARE(summary.cell("wide", 2), QString("2,080")); // 64*32 + 32
        inspector.setLayer("wide");
        auto* units = qobject_cast<QSpinBox*>(inspector.editorFor("units"));
        QVERIFY(units);
        QCOMPARE(units->value(), 32);
        units->setValue(100);
        QCOMPARE(summary.cell("wide", 2), QString("6,500")); // 64*100 + 100
        QCOMPARE(summary.cell("wide", 1), QString("(None, 100)"));
        QCOMPARE(ed.undo()->count(), 1);
        QVERIFY(summary.totalsText().contains("Trainable"));
        auto* act = qobject_cast<QComboBox*>(inspector.editorFor("activation"));
        act->setCurrentText("tanh");
        QCOMPARE(ed.model()->keyConfigText("wide"), QString("100 tanh"));
        auto* bias = qobject_cast<QCheckBox*>(inspector.editorFor("use_bias"));
        bias->setChecked(false);
        QCOMPARE(summary.cell("wide", 2), QString("6,400"));
        QCOMPARE(ed.undo()->count(), 3);
        ed.undo()->undo();
        QVERIFY(bias->isChecked()); // the inspector follows undo
    }

    // MACs and activations per layer (hand-computed for mnist_cnn's first convolution), and the
    // training memory line following the batch size and optimizer.
    void summaryShowsCostsAndTrainingMemory() {
        ModelSpec spec = test::example("mnist_cnn");
        test::Editor ed(&spec);
        SummaryPanel summary(ed.model());
        QCOMPARE(summary.cell("conv2d", 4), QString("194,688")); // 26*26*32 outputs x 3*3*1
        QCOMPARE(summary.cell("conv2d", 5), QString("84.50 KiB")); // 26*26*32 floats
        QCOMPARE(summary.cell("flatten", 4), QString("0"));
        QVERIFY2(summary.totalsText().contains("MACs/sample:</b> 2.44 M"), qPrintable(summary.totalsText()));
        QVERIFY2(summary.trainingText().contains("at batch 32 with Adam"), qPrintable(summary.trainingText()));
        QVERIFY(summary.trainingLabel()->toolTip().contains("optimizer"));
        summary.batchBox()->setFocus();
        summary.batchBox()->selectAll();
        QTest::keyClicks(summary.batchBox(), "64");
        QTest::keyClick(summary.batchBox(), Qt::Key_Enter);
        QVERIFY2(summary.trainingText().contains("at batch 64"), qPrintable(summary.trainingText()));
        summary.optimizerBox()->setCurrentIndex(summary.optimizerBox()->findData("sgd"));
        QVERIFY2(summary.trainingText().contains("optimizer 0 B"), qPrintable(summary.trainingText())); // plain SGD: no slots
        QVERIFY2(summary.trainingText().contains("fits in this machine"), qPrintable(summary.trainingText()));
    }

    // The trainable switch freezes a layer: its weights count as non-trainable, and undo brings it back.
    void inspectorTrainableSwitchFreezesTheLayer() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        InspectorPanel inspector(ed.model(), ed.editor());
        SummaryPanel summary(ed.model());
        inspector.setLayer("wide");
        auto* trainable = qobject_cast<QCheckBox*>(inspector.editorFor("trainable"));
        QVERIFY(trainable);
        QVERIFY(trainable->isChecked());
        const QString before = summary.totalsText();
        trainable->setChecked(false);
        QVERIFY(ed.model()->layer("wide")->config["trainable"] == nlohmann::json(false));
        QVERIFY2(before.contains("Non-trainable:</b> 128"), qPrintable(before));
        QVERIFY2(summary.totalsText().contains("Non-trainable:</b> 2,208"), qPrintable(summary.totalsText())); // + wide's 2,080
        ed.undo()->undo();
        QVERIFY(trainable->isChecked());
        inspector.setLayer("features"); // an Input has no variables to freeze
        QVERIFY(!inspector.editorFor("trainable"));
    }

    void inspectorRefusesInvalidValuesWithTheReason() {
        ModelSpec spec = test::example("two_branch");
        test::Editor ed(&spec);
        InspectorPanel inspector(ed.model(), ed.editor());
        inspector.setLayer("wide");
        auto* units = qobject_cast<QSpinBox*>(inspector.editorFor("units"));
        units->setValue(0);
        QVERIFY2(inspector.lastRefusal().contains("units"), qPrintable(inspector.lastRefusal()));
        QCOMPARE(units->value(), 32);
        QCOMPARE(ed.undo()->count(), 0);
        auto* name = qobject_cast<QLineEdit*>(inspector.editorFor("name"));
        name->setText("deep_1");
        emit name->editingFinished();
        QVERIFY(inspector.lastRefusal().contains("already used"));
        QCOMPARE(name->text(), QString("wide"));
        name->setText("wide_path");
        emit name->editingFinished();
        QVERIFY(ed.model()->layer("wide_path"));
        QCOMPARE(inspector.layer(), std::string("wide_path"));
        inspector.setLayer("features");
        auto* shape = qobject_cast<QLineEdit*>(inspector.editorFor("shape"));
        QCOMPARE(shape->text(), QString("64"));
        shape->setText("8, 8");
        emit shape->editingFinished();
        QVERIFY(ed.model()->layer("features")->config["shape"] == nlohmann::json({8, 8}));
    }

    void issuesListNamesTheLayerAndActivatingSelects() {
        ModelSpec spec = test::example("two_branch");
        spec.layers[spec.indexOf("project")].config["units"] = 48;
        test::Editor ed(&spec);
        IssuesPanel issues(ed.model());
        QCOMPARE(issues.count(), 1);
        QVERIFY(issues.item(0)->text().startsWith("residual: "));
        std::string activated;
        QObject::connect(&issues, &IssuesPanel::layerActivated, [&](const std::string& l) {
            activated = l;
            ed.scene.selectLayers({l});
        });
        QTest::mouseClick(issues.viewport(), Qt::LeftButton, {}, issues.visualItemRect(issues.item(0)).center());
        QCOMPARE(activated, std::string("residual"));
        QCOMPARE(ed.scene.selectedLayers(), std::vector<std::string>{"residual"});
    }

    void sequentialModelsShowAsAnOrderedList() {
        ModelSpec spec = test::example("digits_mlp");
        test::Editor ed(&spec);
        LayerListPanel list(ed.model());
        QCOMPARE(list.list()->topLevelItemCount(), int(spec.layers.size()));
        QCOMPARE(list.list()->topLevelItem(0)->text(1), QString::fromStdString(spec.layers[0].name));
        QCOMPARE(list.list()->topLevelItem(1)->text(4), ed.model()->outputShapeText(spec.layers[1].name));
    }
};

QTEST_MAIN(TestPanels)
#include "tst_panels.moc"
