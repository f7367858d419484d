// Autosave for crashes: the edited model, written every few minutes while it has unsaved changes,
// to one file in the user's data folder; removed on save and on a clean exit, offered at start.
#pragma once

#include "engine/ModelSpec.h"

#include <QString>

#include <optional>

#include <nlohmann/json.hpp>

namespace strata::gui {

struct Recovery {
    QString projectPath; // empty for a model not saved in a project yet
    std::string model;
    ModelSpec spec;
    nlohmann::json layout;
    QString savedAt;
};

class RecoveryFile {
public:
    static QString defaultPath();
    explicit RecoveryFile(QString path = defaultPath()) : path_(std::move(path)) {}

    const QString& path() const { return path_; }
    // Written to a temporary file and renamed, so a crash mid-write keeps the previous one.
    bool write(const Recovery& r) const;
    std::optional<Recovery> read() const; // nullopt when absent or unreadable
    void remove() const;

private:
    QString path_;
};

} // namespace strata::gui
