// File ▸ Export Model: the dialog writes the model with the trained weights it was given (or the
// initial ones), in each format; an existing target is refused and left as it was; weights that
// do not fit the model are an error naming the variable; the menu action opens the dialog.
#include <QAction>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "GuiTestSupport.h"

#include "app/gui/MainWindow.h"
#include "app/gui/export/ExportModelDialog.h"

#include "storage/SavedModel.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace strata;
using namespace strata::gui;

namespace {
ModelSpec smallSpec() {
    nlohmann::json spec = {{"format", "strata.model/1"},
                           {"name", "small"},
                           {"layers",
                            {{{"name", "x"}, {"type", "Input"}, {"config", {{"shape", {4}}}}},
                             {{"name", "hidden"}, {"type", "Dense"}, {"config", {{"units", 5}, {"activation", "relu"}}}},
                             {{"name", "probs"}, {"type", "Dense"}, {"config", {{"units", 3}, {"activation", "softmax"}}}}}}};
    return ModelSpec::fromJson(spec);
}

// "Trained" weights: the initial ones with every value replaced by a distinct number.
ExportModelDialog::Weights fakeTrained(const ModelSpec& spec) {
    auto model = Model::fromSpec(spec);
    model->build(0);
    ExportModelDialog::Weights w;
    float next = 0.25f;
    for (Variable* v : model->variables()) {
        Tensor t = v->value();
        for (int64_t i = 0; i < t.size(); ++i) t.f32()[i] = (next += 0.125f);
        w[v->path()] = t;
    }
    return w;
}
} // namespace

class TestGuiExport : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { test::isolateUserFolders(); }

    void savedModelHoldsTheTrainedWeights() {
        const ModelSpec spec = smallSpec();
        const auto weights = fakeTrained(spec);
        QTemporaryDir dir;
        ExportModelDialog d(spec, &weights);
        QVERIFY(d.usesTrainedWeights());
        d.setFormat(ExportModelDialog::Format::SavedModel);
        d.setTarget(dir.filePath("small_saved"));
        QVERIFY2(d.exportModel(), qPrintable(d.message()));
        const storage::SavedModel saved = storage::SavedModel::load(dir.filePath("small_saved").toStdString());
        auto model = saved.instantiate();
        int checked = 0;
        for (Variable* v : model->variables()) {
            const Tensor& want = weights.at(v->path());
            for (int64_t i = 0; i < want.size(); ++i) QCOMPARE(v->value().f32()[i], want.f32()[i]);
            ++checked;
        }
        QCOMPARE(checked, 4);
        QVERIFY(saved.metadata().dump().find("trained") != std::string::npos);
    }

    void everyFormatWritesItsFiles() {
        const ModelSpec spec = smallSpec();
        const auto weights = fakeTrained(spec);
        QTemporaryDir dir;
        ExportModelDialog d(spec, &weights);
        d.setFormat(ExportModelDialog::Format::Onnx);
        QVERIFY(d.target().endsWith("small.onnx")); // the name follows the format
        d.setTarget(dir.filePath("small.onnx"));
        QVERIFY2(d.exportModel(), qPrintable(d.message()));
        QFile onnx(dir.filePath("small.onnx"));
        QVERIFY(onnx.open(QIODevice::ReadOnly));
        QVERIFY(onnx.size() > 4 * (4 * 5 + 5 + 5 * 3 + 3)); // at least the weights
        QVERIFY(onnx.readAll().contains("hidden"));

        d.setFormat(ExportModelDialog::Format::PyTorch);
        QVERIFY(d.target().endsWith("small_pytorch"));
        d.setTarget(dir.filePath("small_pytorch"));
        QVERIFY2(d.exportModel(), qPrintable(d.message()));
        QFile py(dir.filePath("small_pytorch/model.py"));
        QVERIFY(py.open(QIODevice::ReadOnly));
        QVERIFY(py.readAll().contains("nn.Module"));
    }

    void existingTargetIsRefusedAndKept() {
        const ModelSpec spec = smallSpec();
        QTemporaryDir dir;
        const QString path = dir.filePath("taken.onnx");
        {
            std::ofstream f(path.toStdString());
            f << "keep me";
        }
        ExportModelDialog d(spec, nullptr);
        QVERIFY(!d.usesTrainedWeights());
        d.setFormat(ExportModelDialog::Format::Onnx);
        d.setTarget(path);
        QVERIFY(!d.exportModel());
        QVERIFY2(d.message().contains("already exists"), qPrintable(d.message()));
        std::ifstream f(path.toStdString());
        std::string text((std::istreambuf_iterator<char>(f)), {});
        QCOMPARE(QString::fromStdString(text), QString("keep me"));
    }

    void weightsThatDoNotFitNameTheVariable() {
        const ModelSpec spec = smallSpec();
        auto weights = fakeTrained(spec);
        weights["model/hidden/kernel"] = Tensor(Shape{7, 5});
        QTemporaryDir dir;
        ExportModelDialog d(spec, &weights);
        d.setTarget(dir.filePath("bad_saved"));
        QVERIFY(!d.exportModel());
        QVERIFY2(d.message().contains("hidden/kernel"), qPrintable(d.message()));
        QVERIFY(!QFileInfo::exists(dir.filePath("bad_saved"))); // nothing half-written
    }

    void initialWeightsWhenNotTrained() {
        const ModelSpec spec = smallSpec();
        QTemporaryDir dir;
        ExportModelDialog d(spec, nullptr);
        d.setTarget(dir.filePath("init_saved"));
        QVERIFY2(d.exportModel(), qPrintable(d.message()));
        QVERIFY(d.message().contains("initial"));
        auto fresh = Model::fromSpec(spec);
        fresh->build(0);
        auto model = storage::SavedModel::load(dir.filePath("init_saved").toStdString()).instantiate();
        QCOMPARE(model->variables()[0]->value().f32()[0], fresh->variables()[0]->value().f32()[0]);
    }

    void menuActionOpensTheDialog() {
        MainWindow w;
        w.setInteractive(false);
        w.document()->setModel(test::example("digits_mlp"), {}, false);
        QAction* a = w.action("exportModel");
        QVERIFY(a);
        QCOMPARE(a->shortcut(), QKeySequence("Ctrl+Shift+E"));
        QMenu* file = nullptr;
        for (QAction* m : w.menuBar()->actions())
            if (m->text().remove('&') == "File") file = m->menu();
        QVERIFY(file && file->actions().contains(a));
        bool seen = false;
        QTimer::singleShot(0, [&] {
            auto* d = w.findChild<ExportModelDialog*>();
            seen = d != nullptr && !d->usesTrainedWeights() && d->target().endsWith("digits_mlp_saved_model");
            if (d) d->reject();
        });
        a->trigger();
        QVERIFY(seen);
    }
};

QTEST_MAIN(TestGuiExport)
#include "tst_gui_export.moc"
