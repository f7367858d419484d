// Project: the person's notes and tags on runs, and the per-epoch histograms of a run's
// variables and gradients (schema version 2; see Schema.cpp).
#include "storage/Project.h"
#include "storage/StorageError.h"

#include <algorithm>
#include <cstdint>

namespace strata::storage {

namespace {

void requireVersion2(const Project& p, const std::string& what) {
    if (p.schemaVersion() < 2)
        throw StorageError(p.path().string() + " has project schema version " + std::to_string(p.schemaVersion()) +
                           " (opened read-only, so not migrated): " + what + " needs version 2");
}

void updateRunColumn(Project& p, int64_t runId, const char* column, const std::string& value, const std::string& what) {
    requireVersion2(p, what);
    Database& db = p.database();
    Transaction t(db);
    Statement s(db, std::string("UPDATE runs SET ") + column + " = ? WHERE id = ?", what);
    s.bindText(1, value).bindInt(2, runId).run();
    if (db.changes() != 1) throw StorageError(p.path().string() + ": no run with id " + std::to_string(runId));
    t.commit();
}

} // namespace

void Project::setRunNote(int64_t runId, const std::string& note) {
    updateRunColumn(*this, runId, "note", note, "writing a run's note");
}

void Project::setRunTags(int64_t runId, const std::vector<std::string>& tags) {
    nlohmann::json list = nlohmann::json::array();
    for (const std::string& t : tags)
        if (!t.empty()) list.push_back(t);
    updateRunColumn(*this, runId, "tags", list.dump(), "writing a run's tags");
}

void Project::addHistograms(int64_t runId, std::span<const VariableHistogram> histograms) {
    if (histograms.empty()) return;
    requireVersion2(*this, "writing variable histograms");
    Transaction t(*db_);
    Statement s(*db_, "INSERT OR REPLACE INTO variable_histograms(run_id, epoch, key, kind, count, min, max, mean, std, bins) "
                      "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "writing variable histograms");
    for (const VariableHistogram& h : histograms) {
        if (h.kind != "value" && h.kind != "gradient")
            throw StorageError(path().string() + ": histogram kind '" + h.kind + "' of '" + h.key + "' is neither value nor gradient");
        // bins: little-endian uint32 counts, then the non-finite count as one more uint32.
        std::vector<std::byte> blob((h.bins.size() + 1) * 4);
        auto put = [&](std::size_t i, uint32_t v) {
            for (int b = 0; b < 4; ++b) blob[i * 4 + std::size_t(b)] = std::byte((v >> (8 * b)) & 0xff);
        };
        for (std::size_t i = 0; i < h.bins.size(); ++i) put(i, h.bins[i]);
        put(h.bins.size(), uint32_t(std::min<int64_t>(h.nonFinite, UINT32_MAX)));
        s.reset();
        s.bindInt(1, runId).bindInt(2, h.epoch).bindText(3, h.key).bindText(4, h.kind).bindInt(5, h.count);
        s.bindReal(6, h.min).bindReal(7, h.max).bindReal(8, h.mean).bindReal(9, h.std).bindBlob(10, blob.data(), blob.size());
        s.run();
    }
    t.commit();
}

std::vector<VariableHistogram> Project::histograms(int64_t runId, const std::optional<std::string>& key) const {
    if (schemaVersion_ < 2) return {};
    Statement s(*db_, "SELECT epoch, key, kind, count, min, max, mean, std, bins FROM variable_histograms "
                      "WHERE run_id = ?1 AND (?2 IS NULL OR key = ?2) ORDER BY key, kind, epoch", "reading variable histograms");
    s.bindInt(1, runId);
    if (key) s.bindText(2, *key);
    else s.bindNull(2);
    std::vector<VariableHistogram> out;
    while (s.step()) {
        VariableHistogram h;
        h.epoch = s.columnInt(0);
        h.key = s.columnText(1);
        h.kind = s.columnText(2);
        h.count = s.columnInt(3);
        h.min = s.isNull(4) ? 0 : s.columnReal(4);
        h.max = s.isNull(5) ? 0 : s.columnReal(5);
        h.mean = s.isNull(6) ? 0 : s.columnReal(6);
        h.std = s.isNull(7) ? 0 : s.columnReal(7);
        const auto blob = s.columnBlob(8);
        if (blob.size() % 4 != 0 || blob.size() < 4)
            throw StorageError(path().string() + " is corrupted: the histogram of '" + h.key + "' at epoch " +
                               std::to_string(h.epoch) + " of run " + std::to_string(runId) + " has " +
                               std::to_string(blob.size()) + " bytes, not a whole number of counts");
        auto get = [&](std::size_t i) {
            uint32_t v = 0;
            for (int b = 0; b < 4; ++b) v |= uint32_t(std::to_integer<uint8_t>(blob[i * 4 + std::size_t(b)])) << (8 * b);
            return v;
        };
        const std::size_t n = blob.size() / 4 - 1;
        h.bins.resize(n);
        for (std::size_t i = 0; i < n; ++i) h.bins[i] = get(i);
        h.nonFinite = get(n);
        out.push_back(std::move(h));
    }
    return out;
}

std::vector<std::string> Project::histogramKeys(int64_t runId) const {
    if (schemaVersion_ < 2) return {};
    Statement s(*db_, "SELECT DISTINCT key FROM variable_histograms WHERE run_id = ? ORDER BY key", "listing histogram keys");
    s.bindInt(1, runId);
    std::vector<std::string> out;
    while (s.step()) out.push_back(s.columnText(0));
    return out;
}

} // namespace strata::storage
