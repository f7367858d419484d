#include "app/cli/EvaluationReportFiles.h"

#include "app/cli/ReportImages.h"
#include "storage/AtomicFolder.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace strata::cli {

namespace {

using nlohmann::json;
using train::EvalReport;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json scoresJson(const train::ClassScores& s) {
    return {{"precision", number(s.precision)}, {"recall", number(s.recall)}, {"f1", number(s.f1)}, {"support", s.support}};
}

std::string g(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", v);
    return buf;
}

// A CSV field: quoted when it holds a comma, a quote or a line break.
std::string field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string confusionCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "true\\predicted";
    for (const auto& n : r.classNames) csv << ',' << field(n);
    csv << '\n';
    for (int t = 0; t < r.classCount(); ++t) {
        csv << field(r.classNames[std::size_t(t)]);
        for (int64_t v : r.confusion[std::size_t(t)]) csv << ',' << v;
        csv << '\n';
    }
    return csv.str();
}

std::string perClassCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "class,precision,recall,f1,support\n";
    auto row = [&](const std::string& name, const train::ClassScores& s) {
        csv << field(name) << ',' << g(s.precision) << ',' << g(s.recall) << ',' << g(s.f1) << ',' << s.support << '\n';
    };
    for (int c = 0; c < r.classCount(); ++c) row(r.classNames[std::size_t(c)], r.perClass[std::size_t(c)]);
    row("macro avg", r.macro);
    row("weighted avg", r.weighted);
    csv << "accuracy,,," << g(r.accuracy) << ',' << r.samples << '\n';
    return csv.str();
}

std::string misclassifiedCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "index,true,predicted,loss";
    for (const auto& n : r.classNames) csv << ",p_" << field(n);
    csv << '\n';
    for (const auto& m : r.misclassified) {
        csv << m.index << ',' << field(r.classNames[std::size_t(m.trueLabel)]) << ',' << field(r.classNames[std::size_t(m.predicted)]) << ','
            << g(m.loss);
        for (float p : m.probabilities) csv << ',' << g(p);
        csv << '\n';
    }
    return csv.str();
}

std::string predictionsCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "index,element,true,predicted,residual\n";
    const int64_t w = std::max<int64_t>(1, r.targetWidth);
    for (std::size_t i = 0; i < r.predictedValues.size(); ++i)
        csv << int64_t(i) / w << ',' << int64_t(i) % w << ',' << g(r.trueValues[i]) << ',' << g(r.predictedValues[i]) << ','
            << g(double(r.predictedValues[i]) - double(r.trueValues[i])) << '\n';
    return csv.str();
}

std::string residualsCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "bin_low,bin_high,count\n";
    const auto& h = r.residuals;
    const double width = h.counts.empty() ? 0 : (h.high - h.low) / double(h.counts.size());
    for (std::size_t b = 0; b < h.counts.size(); ++b)
        csv << g(h.low + width * double(b)) << ',' << g(h.low + width * double(b + 1)) << ',' << h.counts[b] << '\n';
    return csv.str();
}

std::string reconstructionCsv(const EvalReport& r) {
    std::ostringstream csv;
    csv << "index,error,loss\n";
    for (const auto& e : r.reconstruction) csv << e.index << ',' << g(e.error) << ',' << g(r.losses[std::size_t(e.index)]) << '\n';
    return csv.str();
}

} // namespace

json reportJson(const EvalReport& r, const ReportContext& c) {
    json j = {{"format", "strata.evaluation/1"},
              {"kind", train::reportKindName(r.kind)},
              {"data", c.data},
              {"split", c.split},
              {"source", c.source},
              {"dataset", r.dataset},
              {"output", r.output},
              {"samples", r.samples},
              {"mean_loss", number(r.meanLoss)},
              {"metrics", c.metrics}};
    json losses = json::array();
    for (double l : r.losses) losses.push_back(number(l));
    json sample = {{"index", r.sampleIndex}, {"output", r.sampleOutput}, {"target", r.sampleTarget}};
    if (r.kind == train::ReportKind::Classification) {
        j["classes"] = r.classNames;
        j["confusion_matrix"] = r.confusion;
        j["confusion_matrix_normalised"] = r.normalisedConfusion();
        json perClass = json::array();
        for (int k = 0; k < r.classCount(); ++k) {
            json s = scoresJson(r.perClass[std::size_t(k)]);
            s["class"] = r.classNames[std::size_t(k)];
            perClass.push_back(s);
        }
        j["per_class"] = perClass;
        j["macro_avg"] = scoresJson(r.macro);
        j["weighted_avg"] = scoresJson(r.weighted);
        j["accuracy"] = number(r.accuracy);
        json mis = json::array();
        for (const auto& m : r.misclassified)
            mis.push_back({{"index", m.index}, {"true", m.trueLabel}, {"true_name", r.classNames[std::size_t(m.trueLabel)]},
                           {"predicted", m.predicted}, {"predicted_name", r.classNames[std::size_t(m.predicted)]},
                           {"loss", number(m.loss)}, {"probabilities", m.probabilities}});
        j["misclassified"] = mis;
        j["per_sample"] = {{"true", r.trueLabels}, {"predicted", r.predicted}, {"loss", losses}};
        const std::size_t i = std::size_t(r.sampleIndex);
        if (i < r.predicted.size()) {
            sample["true"] = r.trueLabels[i];
            sample["true_name"] = r.classNames[std::size_t(r.trueLabels[i])];
            sample["predicted"] = r.predicted[i];
            sample["predicted_name"] = r.classNames[std::size_t(r.predicted[i])];
            sample["loss"] = number(r.losses[i]);
        }
    } else if (r.kind == train::ReportKind::Regression) {
        j["target_width"] = r.targetWidth;
        j["mae"] = number(r.mae);
        j["rmse"] = number(r.rmse);
        j["r2"] = number(r.r2);
        j["predicted"] = r.predictedValues;
        j["true"] = r.trueValues;
        j["residual_histogram"] = {{"low", r.residuals.low}, {"high", r.residuals.high}, {"counts", r.residuals.counts}};
        j["per_sample"] = {{"loss", losses}};
    } else {
        json errors = json::array();
        for (const auto& e : r.reconstruction) errors.push_back({{"index", e.index}, {"error", number(e.error)}});
        j["reconstruction_errors"] = errors;
        j["per_sample"] = {{"loss", losses}};
    }
    if (r.samples) j["sample"] = sample;
    return j;
}

void writeReportFiles(const EvalReport& r, const ReportContext& context, const std::filesystem::path& folder) {
    storage::writeDurably(folder / "report.json", reportJson(r, context).dump(1) + "\n");
    if (r.kind == train::ReportKind::Classification) {
        storage::writeDurably(folder / "confusion_matrix.csv", confusionCsv(r));
        storage::writeDurably(folder / "per_class.csv", perClassCsv(r));
        storage::writeDurably(folder / "misclassified.csv", misclassifiedCsv(r));
        storage::writeDurably(folder / "confusion_matrix.png", confusionMatrixPng(r));
    } else if (r.kind == train::ReportKind::Regression) {
        storage::writeDurably(folder / "predictions.csv", predictionsCsv(r));
        storage::writeDurably(folder / "residuals.csv", residualsCsv(r));
        storage::writeDurably(folder / "scatter.png", scatterPng(r));
        storage::writeDurably(folder / "residuals.png", residualHistogramPng(r));
    } else {
        storage::writeDurably(folder / "reconstruction.csv", reconstructionCsv(r));
    }
}

} // namespace strata::cli
