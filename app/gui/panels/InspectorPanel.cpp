#include "app/gui/panels/InspectorPanel.h"
#include "engine/JsonDepth.h"

#include "app/gui/canvas/CanvasStyle.h"
#include "app/gui/model/GraphEditor.h"

#include "engine/Activations.h"
#include "engine/Initializers.h"
#include "engine/LayerRegistry.h"
#include "engine/Summary.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cctype>
#include <climits>

namespace strata::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

QStringList toQt(const std::vector<std::string>& v) {
    QStringList out;
    for (const auto& s : v) out << q(s);
    return out;
}

QString jsonText(const nlohmann::json& v) {
    if (v.is_array()) {
        QStringList parts;
        for (const auto& e : v) parts << q(e.dump());
        return parts.join(", ");
    }
    return q(v.dump());
}
} // namespace

InspectorPanel::InspectorPanel(GraphModel* model, GraphEditor* editor, QWidget* parent)
    : QWidget(parent), model_(model), editor_(editor) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 8, 10, 8);
    title_ = new QLabel;
    QFont tf = title_->font();
    tf.setBold(true);
    tf.setPointSizeF(tf.pointSizeF() * 1.15);
    title_->setFont(tf);
    description_ = new QLabel;
    description_->setWordWrap(true);
    description_->setForegroundRole(QPalette::PlaceholderText);
    form_ = new QWidget;
    formLayout_ = new QFormLayout(form_);
    formLayout_->setContentsMargins(0, 6, 0, 6);
    formLayout_->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    formLayout_->setLabelAlignment(Qt::AlignRight);
    shape_ = new QLabel;
    shape_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    errors_ = new QLabel;
    errors_->setWordWrap(true);
    errors_->setStyleSheet("color: #e5484d;");
    refusal_ = new QLabel;
    refusal_->setWordWrap(true);
    refusal_->setStyleSheet("color: #d97706;");
    layout->addWidget(title_);
    layout->addWidget(description_);
    layout->addWidget(form_);
    layout->addWidget(shape_);
    layout->addWidget(errors_);
    layout->addWidget(refusal_);
    layout->addStretch(1);
    connect(model_, &GraphModel::changed, this, &InspectorPanel::refresh);
    connect(model_, &GraphModel::levelChanged, this, [this] { setLayer({}); });
    rebuild();
}

QWidget* InspectorPanel::editorFor(const std::string& key) const {
    if (key == "name") return name_;
    auto it = editors_.find(key);
    return it == editors_.end() ? nullptr : it->second;
}

QString InspectorPanel::lastRefusal() const { return refusal_->text(); }

void InspectorPanel::setLayer(const std::string& layer) {
    if (layer == layer_) return;
    layer_ = layer;
    refusal_->clear();
    refresh();
}

void InspectorPanel::refresh() {
    const LayerSpec* l = model_->layer(layer_);
    if (!l) layer_.clear();
    std::string signature = l ? l->name + "\x1f" + l->type : std::string();
    if (signature != builtFor_) {
        builtFor_ = signature;
        rebuild();
    }
    loadValues();
}

nlohmann::json InspectorPanel::currentValue(const std::string& key) const {
    const LayerSpec* l = model_->layer(layer_);
    if (!l) return nullptr;
    if (l->config.is_object() && l->config.contains(key)) return l->config[key];
    if (key == kTrainableKey) return true; // absent: trainable
    const LayerTypeInfo* info = LayerRegistry::instance().find(l->type);
    return info && info->defaults.contains(key) ? info->defaults[key] : nlohmann::json(nullptr);
}

QWidget* InspectorPanel::makeEditor(const std::string& key, const nlohmann::json& def) {
    if (key == "spec") {
        auto* b = new QPushButton(tr("Open block"));
        connect(b, &QPushButton::clicked, this, [this] { emit openBlockRequested(layer_); });
        return b;
    }
    auto choices = [&](const QStringList& items) {
        auto* c = new QComboBox;
        c->addItems(items);
        connect(c, &QComboBox::currentTextChanged, this, [this, key](const QString& t) { apply(key, t.toStdString()); });
        return c;
    };
    if (key == "activation" || key == "recurrent_activation") return choices(toQt(activationNames()));
    if (key == "merge_mode") return choices({"concat", "sum", "mul", "ave"}); // Bidirectional
    if (key == "padding") {
        // "valid" / "same", or pads as JSON (ZeroPadding2D's p, [h, w]; a pool's explicit
        // [[top, bottom], [left, right]], Strata's extension of Keras): an editable choice.
        auto* c = new QComboBox;
        c->setEditable(true);
        c->addItems({"valid", "same"});
        c->setToolTip(tr("\"valid\", \"same\", or pads as JSON, e.g. [[1, 1], [1, 1]] (top, bottom, left, right)"));
        auto commit = [this, c, key] {
            if (loading_) return;
            const std::string text = c->currentText().trimmed().toStdString();
            nlohmann::json v = text;
            if (!text.empty() && (text.front() == '[' || std::isdigit(static_cast<unsigned char>(text.front())))) {
                const bool tooDeep = !jsonDepthProblem(text).empty();
                v = tooDeep ? nlohmann::json(nlohmann::json::value_t::discarded) : nlohmann::json::parse(text, nullptr, false);
                if (v.is_discarded()) {
                    refusal_->setText(tr("Refused: %1: not a valid value: %2").arg(q(key), c->currentText()));
                    loadValues();
                    return;
                }
            }
            if (v != currentValue(key)) apply(key, v);
        };
        connect(c, &QComboBox::activated, this, commit);
        connect(c->lineEdit(), &QLineEdit::editingFinished, this, commit);
        return c;
    }
    if (key.size() > 12 && key.ends_with("_initializer")) return choices(toQt(initializerNames()));
    if (def.is_boolean()) {
        auto* c = new QCheckBox;
        if (key == "mask_zero") // Embedding
            c->setToolTip(tr("Id 0 is padding: its steps are masked for the layers after, as in Keras (recurrent layers "
                             "skip them, MultiHeadAttention ignores them, GlobalAveragePooling1D averages the others); "
                             "input_dim is then the vocabulary size + 1"));
        connect(c, &QCheckBox::toggled, this, [this, key](bool on) { apply(key, on); });
        return c;
    }
    if (def.is_number_integer() && key != "seed") {
        auto* s = new QSpinBox;
        s->setRange(-1000000, 100000000);
        s->setKeyboardTracking(false);
        s->setAccelerated(true);
        connect(s, &QSpinBox::valueChanged, this, [this, key](int v) { apply(key, v); });
        return s;
    }
    if (def.is_number_float()) {
        auto* s = new QDoubleSpinBox;
        s->setDecimals(4);
        s->setRange(-1e6, 1e6);
        s->setSingleStep(key == "rate" ? 0.05 : 0.001);
        s->setKeyboardTracking(false);
        connect(s, &QDoubleSpinBox::valueChanged, this, [this, key](double v) { apply(key, v); });
        return s;
    }
    // Lists, nullable values and strings: JSON text ("3, 3" is read as [3, 3]).
    auto* e = new QLineEdit;
    e->setPlaceholderText(def.is_null() ? tr("null") : QString());
    if (key == "layer") // Bidirectional's wrapped layer
        e->setToolTip(tr("The wrapped recurrent layer as JSON: {\"type\": \"LSTM\", \"config\": {\"units\": 32, "
                         "\"return_sequences\": true}}; type SimpleRNN, LSTM or GRU"));
    connect(e, &QLineEdit::editingFinished, this, [this, e, key, def] {
        if (loading_) return;
        std::string text = e->text().trimmed().toStdString();
        nlohmann::json v;
        bool wantsList = def.is_array() || key == "shape" || key == "strides" || key == "target_shape";
        if (text.empty()) v = nullptr;
        else if (def.is_string() && text.front() != '"') v = text;
        else {
            const bool tooDeep = !jsonDepthProblem(text).empty();
            auto parsed = tooDeep ? nlohmann::json(nlohmann::json::value_t::discarded) : nlohmann::json::parse(text, nullptr, false);
            if (!tooDeep && wantsList && (parsed.is_discarded() || !parsed.is_array()))
                parsed = nlohmann::json::parse("[" + text + "]", nullptr, false);
            if (parsed.is_discarded()) {
                refusal_->setText(tr("Refused: %1: not a valid value: %2").arg(q(key), e->text()));
                loadValues();
                return;
            }
            v = parsed;
        }
        apply(key, v);
    });
    return e;
}

void InspectorPanel::rebuild() {
    while (formLayout_->rowCount() > 0) formLayout_->removeRow(0);
    editors_.clear();
    name_ = nullptr;
    const LayerSpec* l = model_->layer(layer_);
    if (!l) {
        title_->setText(tr("No layer selected"));
        description_->setText(tr("Select a layer on the canvas to edit its name and config."));
        return;
    }
    const LayerTypeInfo* info = LayerRegistry::instance().find(l->type);
    title_->setText(q(l->type));
    description_->setText(info ? q(info->description) : tr("Unknown layer type"));
    name_ = new QLineEdit;
    connect(name_, &QLineEdit::editingFinished, this, [this] {
        if (loading_ || !name_ || name_->text().toStdString() == layer_) return;
        std::string fresh = name_->text().trimmed().toStdString();
        QString why = editor_->rename(layer_, fresh);
        if (!why.isEmpty()) {
            refusal_->setText(tr("Refused: %1").arg(why));
            emit statusMessage(tr("Not renamed: %1").arg(why));
            loadValues();
            return;
        }
        refusal_->clear();
        layer_ = fresh;
        emit renamed(fresh);
        refresh();
    });
    formLayout_->addRow(tr("name"), name_);
    if (!info) return;
    for (auto it = info->defaults.begin(); it != info->defaults.end(); ++it) {
        QWidget* w = makeEditor(it.key(), it.value());
        editors_[it.key()] = w;
        formLayout_->addRow(q(it.key()), w);
    }
    if (l->type != "Input") { // every layer but Input takes Keras' trainable (LayerRegistry.h)
        QWidget* w = makeEditor(kTrainableKey, true);
        w->setObjectName("inspectorTrainable");
        w->setToolTip(tr("Off freezes the layer: training leaves its weights as they are, and they count as "
                         "non-trainable (a frozen BatchNormalization uses its moving statistics)"));
        editors_[kTrainableKey] = w;
        formLayout_->addRow(tr("trainable"), w);
    }
}

void InspectorPanel::loadValues() {
    loading_ = true;
    const LayerSpec* l = model_->layer(layer_);
    if (l && name_) name_->setText(q(l->name));
    for (const auto& [key, w] : editors_) {
        nlohmann::json v = currentValue(key);
        if (auto* c = qobject_cast<QComboBox*>(w)) {
            QString t = v.is_string() ? q(v.get<std::string>()) : v.is_null() ? QString() : jsonText(v);
            if (c->findText(t) < 0) c->addItem(t);
            c->setCurrentText(t);
        } else if (auto* b = qobject_cast<QCheckBox*>(w)) {
            b->setChecked(v.is_boolean() && v.get<bool>());
        } else if (auto* s = qobject_cast<QSpinBox*>(w)) {
            if (v.is_number_integer()) s->setValue(int(v.get<int64_t>()));
        } else if (auto* d = qobject_cast<QDoubleSpinBox*>(w)) {
            if (v.is_number()) d->setValue(v.get<double>());
        } else if (auto* e = qobject_cast<QLineEdit*>(w)) {
            e->setText(v.is_null() ? QString() : v.is_string() ? q(v.get<std::string>()) : jsonText(v));
        }
    }
    if (l) {
        const LayerInference* inf = model_->inferenceOf(l->name);
        QString shape = model_->outputShapeText(l->name);
        // Extra outputs (states with return_state): what each port carries and how to wire it.
        QString extra;
        const QStringList names = model_->extraOutputNames(l->name);
        for (int k = 0; k < names.size(); ++k) {
            const QString s = model_->outputShapeText(l->name, k + 1);
            extra += tr("<br>%1 <b>%2</b> (output %3, wired as '%4')")
                         .arg(names[k].toHtmlEscaped(), s.isEmpty() ? tr("unknown") : s.toHtmlEscaped())
                         .arg(k + 1)
                         .arg(q(outputRefText(l->name, k + 1)).toHtmlEscaped());
        }
        shape_->setText(inf ? tr("Output <b>%1</b> · %2 params")
                                      .arg(shape.isEmpty() ? tr("unknown") : shape.toHtmlEscaped(),
                                           q(withThousands(inf->params.total()))) +
                                  extra
                            : QString());
        errors_->setText(model_->errorsOf(l->name).join("\n"));
    } else {
        shape_->clear();
        errors_->clear();
    }
    loading_ = false;
}

void InspectorPanel::apply(const std::string& key, const nlohmann::json& value) {
    if (loading_ || layer_.empty()) return;
    QString why = editor_->setConfig(layer_, key, value);
    if (why.isEmpty()) {
        refusal_->clear();
        return;
    }
    refusal_->setText(tr("Refused: %1").arg(why));
    emit statusMessage(tr("Not changed: %1").arg(why));
    loadValues(); // back to the value the model holds
}

} // namespace strata::gui
