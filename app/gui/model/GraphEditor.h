// Every edit a person makes, as one undo step on the graph model. Each edit works on a draft
// of the state (spec at the open level plus layout), checks it, and pushes the delta as one
// QUndoCommand; a refused edit pushes nothing and returns the reason for the status bar.
#pragma once

#include "app/gui/model/GraphModel.h"

#include <QObject>
#include <QSizeF>
#include <QString>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

class QUndoStack;

namespace strata::gui {

class GraphEditor : public QObject {
    Q_OBJECT
public:
    GraphEditor(GraphModel* model, QUndoStack* stack, QObject* parent = nullptr);

    GraphModel* model() const { return model_; }
    QUndoStack* undoStack() const { return stack_; }

    // Each returns an empty string when done, else why it was refused (nothing changed then).
    QString addNode(const std::string& type, QPointF center, std::string* created = nullptr);
    // Inserts a new layer after `after` and wires it in between `after` and its consumers;
    // with `after` empty, after the last layer.
    QString appendAfter(const std::string& type, const std::string& after, std::string* created = nullptr);
    QString deleteItems(const std::vector<std::string>& layers, const std::vector<Connection>& wires = {});
    QString connect(const std::string& from, const std::string& to, int port);
    QString disconnect(const std::string& to, int port);
    // Moves the wire at input `oldPort` of `oldTo` to input `port` of `to`, as one step.
    QString reconnect(const std::string& oldTo, int oldPort, const std::string& to, int port);
    QString moveNodes(const std::map<std::string, QPointF>& topLeft);
    QString rename(const std::string& layer, const std::string& newName);
    QString setConfig(const std::string& layer, const std::string& key, const nlohmann::json& value);
    // Several config values, of one or more layers, as one undo step named `text`; refused whole
    // when any layer would not construct.
    struct ConfigChange {
        std::string layer, key;
        nlohmann::json value;
    };
    QString setConfigs(const std::vector<ConfigChange>& changes, const QString& text);
    QString paste(const nlohmann::json& clip, std::optional<QPointF> at, std::vector<std::string>* created = nullptr);
    QString duplicate(const std::vector<std::string>& layers, std::vector<std::string>* created = nullptr);
    // Lays the open level out with dot, in `flow`, or unset, in the one that shows it larger in a
    // window of `window`'s size (AutoLayout::layout).
    QString autoLayout(std::optional<Flow> flow = std::nullopt, QSizeF window = QSizeF(16, 10));
    QString groupIntoBlock(const std::vector<std::string>& layers, std::string* block = nullptr);
    QString ungroup(const std::string& block, std::vector<std::string>* created = nullptr);

    // The clipboard form of these layers (wires among them kept, positions relative).
    nlohmann::json copy(const std::vector<std::string>& layers) const;

    // The config a new layer of this type starts with (required keys get usable values).
    static nlohmann::json initialConfig(const std::string& type);

private:
    struct Draft {
        ModelSpec level;
        Positions positions;
        LevelPath path;
        std::string key(const std::string& layer) const { return positionKey(path, layer); }
    };
    Draft draft() const;
    // Pushes the change from the model's state to `d` as one undo step named `text`.
    QString commit(const QString& text, Draft& d);
    QString insertClip(const nlohmann::json& clip, std::optional<QPointF> at, std::vector<std::string>* created,
                       const QString& verb);
    static void renamePositions(Positions& pos, const std::string& fromPrefix, const std::string& toPrefix);

    GraphModel* model_;
    QUndoStack* stack_;
};

} // namespace strata::gui
