// strata-cli evaluate: the loss and metrics of a trained model on a dataset split, as one JSON
// line; with --report DIR also the evaluation report's files (EvaluationReportFiles.h).
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

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>

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
    std::unique_ptr<ir::Backend> backend = makeBackend(a.value("--device", "cpu"), std::max(1, std::atoi(a.value("--threads", "1").c_str())), err);
    if (!backend) return 2;
    return guarded("evaluate", err, [&] {
        std::unique_ptr<storage::AtomicFolder> reportFolder;
        if (a.hasValue("--report")) reportFolder = openReportFolder(a.value("--report"));
        session::LoadedModel r = session::loadModel(a.positional()[0], a.value("--model"), a.value("--checkpoint"));
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
        line.update(json{{"samples", e.samples}, {"data", a.value("--data")}, {"split", split}, {"source", r.source}});
        if (reportFolder) {
            train::EvalReportOptions ro;
            ro.loss = opts.loss;
            ro.fromLogits = opts.fromLogits;
            ro.reconstruct = source.reconstruct;
            ro.batchSize = opts.batchSize;
            ro.sampleIndex = sample;
            ro.dataWorkers = source.dataThreads;
            if (sample >= d.size())
                throw UsageError("--sample " + std::to_string(sample) + ": the " + split + " split has " + std::to_string(d.size()) + " samples");
            const train::EvalReport report = train::evaluationReport(*r.model, *backend, d, ro);
            const ReportContext context{a.value("--data"), split, r.source, line};
            writeReportFiles(report, context, reportFolder->path());
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
                   "split, source. The loss is the one the model was trained with, when known.\n"
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
                   "  --threads T, --device NAME\n"
                   "  --report DIR        also write an evaluation report of the model's first output into the new\n"
                   "                      folder DIR (written under a temporary name and renamed: complete or absent):\n"
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
