// strata-cli evaluate: the loss and metrics of a trained model on a dataset split, as one JSON
// line; with --report DIR also the evaluation report's files (EvaluationReportFiles.h), one
// folder per output for a model with several. It runs on the device the run trained on unless
// --device says otherwise; when that device is not here, on the CPU, saying so.
#include "app/cli/Cli.h"
#include "app/cli/CommandErrors.h"
#include "app/cli/Devices.h"
#include "app/cli/EvaluationReportFiles.h"
#include "app/cli/ImageOptions.h"
#include "app/session/Evaluation.h"
#include "app/session/ModelLoading.h"
#include "engine/train/EvalReport.h"
#include "engine/train/Trainer.h"
#include "storage/AtomicFolder.h"
#include "storage/StorageError.h"

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <set>

namespace strata::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The report folder, created (hidden, beside DIR) before any work so that a path that cannot take
// it fails at once; it appears as DIR only when every file is written.
std::unique_ptr<storage::AtomicFolder> openReportFolder(const std::string& dir) {
    if (dir.empty()) throw UsageError("--report needs a folder name");
    if (fs::exists(dir)) {
        const char* what = fs::is_directory(dir) ? "is an existing folder" : "is an existing file";
        throw UsageError("--report " + dir + " " + what + "; the report goes into a new folder (remove it or choose another name)");
    }
    try {
        return std::make_unique<storage::AtomicFolder>(dir);
    } catch (const storage::StorageError& e) {
        throw UsageError("--report " + dir + ": the report folder cannot be written there (" + std::string(e.what()) + ")");
    }
}

// A folder name for each output's report: its layer name, with characters other than letters,
// digits, '.', '_' and '-' as '_', made unique (and never "report.json", ".", "..").
std::vector<std::string> outputFolders(const std::vector<train::EvalReport>& reports) {
    std::vector<std::string> out;
    std::set<std::string> taken = {"report.json", ".", ".."};
    for (const train::EvalReport& r : reports) {
        std::string name = r.output;
        for (char& c : name)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
        std::string unique = name;
        for (int k = 2; taken.count(unique); ++k) unique = name + "_" + std::to_string(k);
        taken.insert(unique);
        out.push_back(unique);
    }
    return out;
}

// The headline figures of one output's report, for the list of outputs in report.json.
json outputSummary(const train::EvalReport& r, const std::string& folder) {
    auto number = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    json j = {{"name", r.output}, {"folder", folder}, {"kind", train::reportKindName(r.kind)}, {"samples", r.samples}, {"mean_loss", number(r.meanLoss)}};
    if (r.kind == train::ReportKind::Classification) j["accuracy"] = number(r.accuracy);
    if (r.kind == train::ReportKind::Regression) j.update(json{{"mae", number(r.mae)}, {"rmse", number(r.rmse)}, {"r2", number(r.r2)}});
    return j;
}

// Writes the report files: a model with one output into `folder` itself (as ever); one with
// several, each output's into folder/<its name>/, and a report.json that lists them.
void writeReports(const std::vector<train::EvalReport>& reports, const ReportContext& context, const fs::path& folder) {
    if (reports.size() == 1) return writeReportFiles(reports.front(), context, folder);
    const std::vector<std::string> folders = outputFolders(reports);
    json outputs = json::array();
    for (std::size_t k = 0; k < reports.size(); ++k) {
        std::error_code ec;
        fs::create_directory(folder / folders[k], ec);
        if (ec) throw storage::StorageError((folder / folders[k]).string() + ": the folder of output '" + reports[k].output + "' cannot be made (" + ec.message() + ")");
        writeReportFiles(reports[k], context, folder / folders[k]);
        outputs.push_back(outputSummary(reports[k], folders[k]));
    }
    const json index = {{"format", "strata.evaluation/1"}, {"data", context.data},     {"split", context.split},
                        {"source", context.source},        {"metrics", context.metrics}, {"outputs", outputs}};
    const fs::path file = folder / "report.json";
    std::ofstream out(file);
    out << index.dump(2) << "\n";
    if (!out.flush()) throw storage::StorageError(file.string() + ": cannot be written");
}

int evaluateCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::vector<std::string> flags = {"--regression", "--reconstruct", "--from-logits"};
    std::vector<std::string> options = {"--data",    "--label",   "--split",      "--batch",  "--loss",  "--model",
                                        "--checkpoint", "--threads", "--device", "--report", "--sample"};
    flags.insert(flags.end(), kImageFlags.begin(), kImageFlags.end());
    options.insert(options.end(), kImageOptions.begin(), kImageOptions.end());
    Args a(joinImageSize(args), flags, options);
    if (!a.ok() || a.positional().size() != 1 || !a.hasValue("--data")) {
        err << "strata-cli evaluate: " << (!a.ok() ? a.error() : a.positional().size() != 1 ? "expected one DIR or P.strata" : "--data NAME is required")
            << " (see --help)\n";
        return 2;
    }
    const std::string split = a.value("--split", "test");
    if (split != "test" && split != "validation" && split != "train") {
        err << "strata-cli evaluate: --split is test, validation or train, got '" << split << "'\n";
        return 2;
    }
    int64_t sample = 0;
    if (a.hasValue("--sample")) {
        char* end = nullptr;
        const std::string v = a.value("--sample");
        sample = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end || sample < 0) {
            err << "strata-cli evaluate: --sample takes a sample index (0 or more), got '" << v << "'\n";
            return 2;
        }
        if (!a.hasValue("--report")) {
            err << "strata-cli evaluate: --sample chooses the sample of --report DIR; give --report too\n";
            return 2;
        }
    }
    // --device: that device or an error (exit 2); else the run's own, or the CPU with a note.
    const int threads = std::max(1, std::atoi(a.value("--threads", "1").c_str()));
    std::unique_ptr<ir::Backend> backend;
    if (a.hasValue("--device") && !(backend = makeBackend(a.value("--device"), threads, err))) return 2;
    return guarded("evaluate", err, [&] {
        std::unique_ptr<storage::AtomicFolder> reportFolder;
        if (a.hasValue("--report")) reportFolder = openReportFolder(a.value("--report"));
        session::LoadedModel r = session::loadModel(a.positional()[0], a.value("--model"), a.value("--checkpoint"));
        std::string deviceNote;
        if (!backend) {
            session::EvaluationDevice d =
                session::evaluationDevice("", session::runDevice(a.positional()[0], a.value("--model"), a.value("--checkpoint")), threads);
            backend = std::move(d.backend);
            deviceNote = d.note;
            if (!deviceNote.empty()) err << "strata-cli evaluate: " << deviceNote << "\n";
        }
        train::TrainOptions opts = session::evaluationOptions(r.training);
        opts.loss = a.value("--loss", opts.loss);
        opts.fromLogits = a.has("--from-logits") || opts.fromLogits;
        if (a.hasValue("--batch")) opts.batchSize = std::max<int64_t>(1, std::atoll(a.value("--batch").c_str()));
        session::DataChoice choice;
        if (a.hasValue("--label")) choice.label = a.value("--label");
        choice.regression = a.has("--regression");
        choice.reconstruct = a.has("--reconstruct");
        data::DataSource source = session::runDataSource(r.training, a.value("--data"), choice);
        if (!parseImageOptions(a, source, "evaluate", err)) return 2;
        opts.dataWorkers = source.dataThreads;
        const data::Dataset d = session::loadEvaluationSplit(*r.model, source, split);
        train::Trainer trainer(*r.model, *backend, opts);
        const train::EvalResult e = trainer.evaluate(d);
        auto metric = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
        json line;
        for (const auto& [k, v] : train::evalMetrics(e, "")) line[k] = metric(v);
        line.update(json{{"samples", e.samples}, {"data", a.value("--data")}, {"split", split}, {"source", r.source}, {"device", backend->name()}});
        if (!deviceNote.empty()) line["device_note"] = deviceNote;
        if (reportFolder) {
            train::EvalReportOptions ro;
            ro.loss = opts.loss;
            ro.fromLogits = opts.fromLogits;
            ro.reconstruct = source.reconstruct;
            ro.batchSize = opts.batchSize;
            ro.sampleIndex = sample;
            ro.dataWorkers = source.dataThreads;
            for (std::size_t k = 0; k < r.model->outputIndices().size(); ++k) ro.outputLosses.push_back(opts.lossFor(k));
            if (sample >= d.size())
                throw UsageError("--sample " + std::to_string(sample) + ": the " + split + " split has " + std::to_string(d.size()) + " samples");
            const std::vector<train::EvalReport> reports = train::evaluationReports(*r.model, *backend, d, ro);
            const ReportContext context{a.value("--data"), split, r.source, line};
            writeReports(reports, context, reportFolder->path());
            reportFolder->commit();
            line["report"] = fs::absolute(a.value("--report")).string();
        }
        out << line.dump() << "\n";
        return 0;
    });
}

} // namespace

void addEvaluateCommands(std::vector<Command>& out) {
    out.push_back({"evaluate", "print the loss and metrics of a saved model or checkpoint on a dataset, or write a report",
                   "usage: strata-cli evaluate DIR|P.strata --data NAME [options] [--report DIR [--sample I]]\n\n"
                   "Prints one JSON line: loss, accuracy (classification) or mae (regression), samples, data,\n"
                   "split, source, device (and device_note when the run's device was not available here).\n"
                   "The loss is the one the model was trained with, when known.\n"
                   "  --data NAME         digits | iris | wine | fashion-mnist | mnist:DIR | FILE.csv | images:DIR\n"
                   "  --label COLUMN, --regression   CSV: the target column and kind (default: the run's)\n"
                   "  --image-size H W, --color C, --validation-split F, --skip-bad-files, --data-threads N\n"
                   "                      images:DIR (default: the run's, else the model input's)\n"
                   "  --reconstruct       the target is the input itself (default: the run's)\n"
                   "  --split S           test (default) | validation | train\n"
                   "  --loss NAME         override the loss\n"
                   "  --from-logits       the outputs are logits (default: as the run trained, else off)\n"
                   "  --model NAME, --checkpoint ID|latest   for a project file (default: the latest checkpoint)\n"
                   "  --batch B           samples per run (default: the training batch size, else 32)\n"
                   "  --threads T\n"
                   "  --device NAME       cpu, vulkan, vulkan:N (see 'strata-cli devices'); default: the device the\n"
                   "                      run trained on, or the CPU (saying so) when this machine does not have it\n"
                   "  --report DIR        also write an evaluation report into the new folder DIR (written under a\n"
                   "                      temporary name and renamed: complete or absent); a model with several\n"
                   "                      outputs gets one folder per output, DIR/<output name>/, and DIR/report.json\n"
                   "                      lists the outputs with their headline figures. Each output's folder holds:\n"
                   "                      report.json (everything below, per-sample losses included);\n"
                   "                      a classifier: confusion_matrix.csv (counts; rows true, columns predicted),\n"
                   "                      per_class.csv (precision, recall, F1, support; macro and weighted\n"
                   "                      averages), misclassified.csv (worst loss first, with class probabilities),\n"
                   "                      confusion_matrix.png (a heat map normalised by true class, with counts);\n"
                   "                      a regression: predictions.csv, residuals.csv, scatter.png (predicted\n"
                   "                      against true), residuals.png (a histogram);\n"
                   "                      an autoencoder (--reconstruct): reconstruction.csv (worst first).\n"
                   "                      Class names are the dataset's when it has them.\n"
                   "  --sample I          the sample whose whole prediction report.json holds (default 0)\n"
                   "Exit status: 0 evaluated; 1 the data does not fit the model; 2 usage errors, unreadable files,\n"
                   "a --report DIR that exists or cannot be created.\n",
                   evaluateCommand});
}

} // namespace strata::cli
