#include "app/gui/project/RecoveryFile.h"
#include "engine/JsonDepth.h"

#include "engine/Error.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

namespace strata::gui {

QString RecoveryFile::defaultPath() {
    QString data = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return data + "/recovery.json";
}

bool RecoveryFile::write(const Recovery& r) const {
    QDir().mkpath(QFileInfo(path_).absolutePath());
    nlohmann::json j = {{"format", "strata.recovery/1"},
                        {"project", r.projectPath.toStdString()},
                        {"model", r.model},
                        {"spec", r.spec.toJson()},
                        {"layout", r.layout},
                        {"saved_at", QDateTime::currentDateTime().toString(Qt::ISODate).toStdString()}};
    QSaveFile f(path_);
    if (!f.open(QIODevice::WriteOnly)) return false;
    std::string text = j.dump(1);
    f.write(text.data(), qint64(text.size()));
    return f.commit();
}

std::optional<Recovery> RecoveryFile::read() const {
    QFile f(path_);
    if (!f.open(QIODevice::ReadOnly)) return std::nullopt;
    QByteArray bytes = f.readAll();
    if (!jsonDepthProblem(std::string_view(bytes.constData(), std::size_t(bytes.size()))).empty()) return std::nullopt;
    auto j = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("format", "") != "strata.recovery/1") return std::nullopt;
    try {
        Recovery r;
        r.projectPath = QString::fromStdString(j.value("project", ""));
        r.model = j.value("model", "model");
        r.spec = ModelSpec::fromJson(j.at("spec"));
        r.layout = j.value("layout", nlohmann::json::object());
        r.savedAt = QString::fromStdString(j.value("saved_at", ""));
        return r;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

void RecoveryFile::remove() const { QFile::remove(path_); }

} // namespace strata::gui
