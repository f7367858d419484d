// The inspector: the selected layer's name and config as typed widgets built from the registry's
// defaults (spin boxes, combo boxes, check boxes, JSON fields for lists). Each committed change
// is one undo step through the GraphEditor; a value the engine refuses is reverted and the
// reason shown.
#pragma once

#include <QWidget>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

class QFormLayout;
class QLabel;
class QLineEdit;

namespace strata::gui {

class GraphEditor;
class GraphModel;

class InspectorPanel : public QWidget {
    Q_OBJECT
public:
    InspectorPanel(GraphModel* model, GraphEditor* editor, QWidget* parent = nullptr);

    const std::string& layer() const { return layer_; }
    QWidget* editorFor(const std::string& key) const; // the widget of a config key ("name" for the name)
    QString lastRefusal() const;

public slots:
    void setLayer(const std::string& layer); // empty: nothing selected
    void refresh();

signals:
    void renamed(const std::string& newName);
    void openBlockRequested(const std::string& block);
    void statusMessage(const QString& text);

private:
    void rebuild();
    void loadValues();
    void apply(const std::string& key, const nlohmann::json& value);
    QWidget* makeEditor(const std::string& key, const nlohmann::json& def);
    nlohmann::json currentValue(const std::string& key) const;

    GraphModel* model_;
    GraphEditor* editor_;
    std::string layer_, builtFor_;
    QLabel* title_;
    QLabel* description_;
    QWidget* form_;
    QFormLayout* formLayout_;
    QLineEdit* name_ = nullptr;
    QLabel* shape_;
    QLabel* errors_;
    QLabel* refusal_;
    std::map<std::string, QWidget*> editors_;
    bool loading_ = false;
};

} // namespace strata::gui
