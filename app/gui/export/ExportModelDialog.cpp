#include "app/gui/export/ExportModelDialog.h"

#include "storage/onnx/OnnxExport.h"
#include "storage/SavedModel.h"
#include "storage/torch/TorchExport.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

#include <exception>
#include <filesystem>
#include <memory>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

QString defaultName(const std::string& model, ExportModelDialog::Format f) {
    const QString base = q(model).isEmpty() ? QStringLiteral("model") : q(model);
    switch (f) {
    case ExportModelDialog::Format::SavedModel: return base + "_saved_model";
    case ExportModelDialog::Format::Onnx: return base + ".onnx";
    case ExportModelDialog::Format::PyTorch: return base + "_pytorch";
    }
    return base;
}
} // namespace

void ExportModelDialog::setWeightsNote(const QString& html) { weightsNote_->setText(html); }
void ExportModelDialog::setFolder(const QString& dir) {
    if (!dir.isEmpty()) target_->setText(QDir(dir).filePath(defaultName(spec_.name, format())));
}
QString ExportModelDialog::weightsNote() const { return weightsNote_->text(); }

QString ExportModelDialog::suffixHint(Format f) {
    switch (f) {
    case Format::SavedModel: return tr("a new folder: saved_model.json, fingerprint.json and variables/ (loads with strata-cli, no GUI)");
    case Format::Onnx: return tr("one .onnx file (opset 13), inputs in the model's own layout (NHWC)");
    case Format::PyTorch: return tr("a new folder: model.py (a torch.nn.Module), the weights and a README");
    }
    return {};
}

ExportModelDialog::ExportModelDialog(const ModelSpec& spec, const Weights* trained, QWidget* parent) : QDialog(parent), spec_(spec) {
    setWindowTitle(tr("Export Model"));
    if (trained && !trained->empty()) trained_ = *trained, hasTrained_ = true;

    format_ = new QComboBox;
    format_->addItem(tr("Saved model (folder)"), int(Format::SavedModel));
    format_->addItem(tr("ONNX (.onnx file)"), int(Format::Onnx));
    format_->addItem(tr("PyTorch code (folder)"), int(Format::PyTorch));
    target_ = new QLineEdit(QDir::home().filePath(defaultName(spec_.name, Format::SavedModel)));
    target_->setMinimumWidth(420);
    auto* browse = new QPushButton(tr("Browse…"));
    auto* targetRow = new QHBoxLayout;
    targetRow->addWidget(target_, 1);
    targetRow->addWidget(browse);

    weightsNote_ = new QLabel(hasTrained_ ? tr("Weights: <b>trained</b>, from the last training run (or ONNX import) of this model in this window.")
                                          : tr("Weights: <b>initial</b> (seed 0). This model has no training run in this window; "
                                               "train it first (Model ▸ Train) to export trained weights."));
    weightsNote_->setWordWrap(true);
    message_ = new QLabel;
    message_->setWordWrap(true);
    message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* form = new QFormLayout;
    form->addRow(tr("&Format:"), format_);
    auto* targetLabel = new QLabel(tr("&Save as:"));
    targetLabel->setBuddy(target_);
    form->addRow(targetLabel, targetRow);
    auto* hint = new QLabel(suffixHint(Format::SavedModel));
    hint->setObjectName("hint");
    hint->setWordWrap(true);
    form->addRow(QString(), hint);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    exportButton_ = buttons->addButton(tr("&Export"), QDialogButtonBox::AcceptRole);
    exportButton_->setDefault(true);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(weightsNote_);
    layout->addWidget(message_);
    layout->addStretch(1);
    layout->addWidget(buttons);

    connect(format_, &QComboBox::currentIndexChanged, this, [this, hint] {
        hint->setText(suffixHint(format()));
        formatChanged();
    });
    connect(browse, &QPushButton::clicked, this, &ExportModelDialog::browse);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(exportButton_, &QPushButton::clicked, this, [this] {
        if (exportModel()) accept();
    });
}

ExportModelDialog::Format ExportModelDialog::format() const { return Format(format_->currentData().toInt()); }

void ExportModelDialog::setFormat(Format f) { format_->setCurrentIndex(format_->findData(int(f))); }

QString ExportModelDialog::target() const { return target_->text().trimmed(); }

void ExportModelDialog::setTarget(const QString& path) { target_->setText(path); }

QString ExportModelDialog::message() const { return message_->text(); }

void ExportModelDialog::setMessage(const QString& text, bool error) {
    message_->setText(text);
    message_->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
}

void ExportModelDialog::formatChanged() {
    // Keep the folder the person chose; only the name follows the format.
    const QFileInfo current(target());
    const QString dir = current.path().isEmpty() ? QDir::homePath() : current.path();
    target_->setText(QDir(dir).filePath(defaultName(spec_.name, format())));
    setMessage({}, false);
}

void ExportModelDialog::browse() {
    const QString filter = format() == Format::Onnx ? tr("ONNX models (*.onnx)") : QString();
    const QString path = QFileDialog::getSaveFileName(this, tr("Export as"), target(), filter, nullptr,
                                                      format() == Format::Onnx ? QFileDialog::Options() : QFileDialog::DontConfirmOverwrite);
    if (!path.isEmpty()) target_->setText(path);
}

bool ExportModelDialog::exportModel() {
    namespace fs = std::filesystem;
    const QString where = target();
    if (where.isEmpty()) {
        setMessage(tr("Choose where to save the export."), true);
        return false;
    }
    const fs::path path = where.toStdString();
    std::error_code ec;
    if (fs::exists(path, ec)) {
        setMessage(tr("%1 already exists; choose a new name (an export never overwrites).").arg(where), true);
        return false;
    }
    QApplication::setOverrideCursor(Qt::WaitCursor);
    try {
        std::unique_ptr<Model> model = Model::fromSpec(spec_);
        model->build(0);
        if (hasTrained_) {
            for (Variable* v : model->variables()) {
                auto it = trained_.find(v->path());
                if (it == trained_.end())
                    throw StrataError("the trained weights have no value for " + v->path() + "; train the model again");
                v->assign(it->second); // a shape mismatch names the variable
            }
        }
        nlohmann::json metadata = {{"source", {{"app", "strata"}, {"weights", hasTrained_ ? "trained" : "initial (seed 0)"}}}};
        switch (format()) {
        case Format::SavedModel: storage::writeSavedModel(*model, path, metadata); break;
        case Format::Onnx: storage::writeOnnxModel(*model, path, metadata); break;
        case Format::PyTorch: storage::writeTorchExport(*model, path, metadata); break;
        }
    } catch (const std::exception& e) {
        QApplication::restoreOverrideCursor();
        setMessage(tr("Could not export: %1").arg(q(e.what())), true);
        return false;
    }
    QApplication::restoreOverrideCursor();
    setMessage(tr("Exported %1 with %2 weights.").arg(where, hasTrained_ ? tr("trained") : tr("initial")), false);
    return true;
}

} // namespace strata::gui
