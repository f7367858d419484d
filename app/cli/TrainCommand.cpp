// strata-cli train: trains a model spec on a built-in dataset or a CSV table, on the CPU or a
// Vulkan device, printing a progress bar on a terminal or one JSON line per epoch, then the test
// split's loss and accuracy.
#include "app/cli/Cli.h"
#include "app/cli/Devices.h"
#include "app/cli/DistributedOptions.h"
#include "app/cli/ImageOptions.h"
#include "app/cli/TextOptions.h"
#include "app/session/Devices.h"
#include "app/session/TrainingSession.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/data/DatasetSource.h"
#include "engine/train/Trainer.h"

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <functional>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <unistd.h>

namespace strata::cli {

namespace {

std::atomic<session::TrainingSession*> gActiveSession{nullptr};
extern "C" void onInterrupt(int) {
    if (auto* s = gActiveSession.load()) s->requestStop();
}

// Ctrl+C asks the session to stop while fit runs; the previous handler comes back afterwards.
struct InterruptGuard {
    void (*previous)(int) = nullptr;
    bool installed = false;
    void install(session::TrainingSession& s) {
        gActiveSession = &s;
        previous = std::signal(SIGINT, onInterrupt);
        installed = true;
    }
    ~InterruptGuard() {
        if (installed) std::signal(SIGINT, previous);
        gActiveSession = nullptr;
    }
};

nlohmann::json metric(double v) { return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v); }

bool parseNumber(const std::string& text, double& out) {
    try {
        std::size_t used = 0;
        out = std::stod(text, &used);
        return used == text.size();
    } catch (const std::exception&) {
        return false;
    }
}

// ---- the project options (--project, --model, --checkpoint-every, --max-to-keep, --resume)

const std::vector<std::string> kProjectFlags = {"--resume", "--from-scratch", "--no-histograms"};
const std::vector<std::string> kProjectOptions = {"--project", "--model", "--checkpoint-every", "--max-to-keep"};
constexpr const char* kProjectUsage =
    "  --project FILE      record the run in a .strata project (created when absent): the model\n"
    "                      version, dataset, hyper-parameters, metrics and checkpoints\n"
    "  --model NAME        the model's name in the project (default: the spec's name)\n"
    "  --checkpoint-every N  a checkpoint every N steps (default: one at the end of each epoch)\n"
    "  --max-to-keep K     checkpoints kept per run, newest first, plus the best by val_loss\n"
    "                      (default 5; 0 keeps all)\n"
    "  --resume            continue the model's latest run from its latest checkpoint, with the\n"
    "                      run's spec, data and hyper-parameters (MODEL.json and --data may be\n"
    "                      left out); --epochs sets the new total\n"
    "  A new run of a model the project holds (MODEL.json left out: its newest version; or an edited\n"
    "  spec of it) starts from the model's newest checkpoint, an import's weights or the last run's,\n"
    "  matched by variable path and shape; the run names every variable that was new or\n"
    "  reinitialized.\n"
    "  --from-scratch      start from fresh initial weights instead\n"
    "  --no-histograms     record no variable histograms; by default, at the end of every epoch,\n"
    "                      each trainable variable's value and its gradient in the epoch's last\n"
    "                      step are recorded as a histogram (count, min, max, mean, std, 30 bins)\n";

bool parseCount(const Args& a, const char* name, int64_t min, std::optional<int64_t>& out, std::ostream& err) {
    if (!a.hasValue(name)) return true;
    const std::string text = a.value(name);
    try {
        std::size_t used = 0;
        const long long v = std::stoll(text, &used);
        if (used == text.size() && v >= min) {
            out = v;
            return true;
        }
    } catch (const std::exception&) {
    }
    err << "strata-cli train: " << name << " must be an integer >= " << min << ", got '" << text << "'\n";
    return false;
}

// Returns false after printing a usage error; `out` stays empty when --project is absent (the
// other project options then are an error).
bool parseProjectOptions(const Args& a, std::optional<session::ProjectTrainingOptions>& out, std::ostream& err) {
    out.reset();
    if (!a.hasValue("--project")) {
        for (const char* o : {"--model", "--checkpoint-every", "--max-to-keep"})
            if (a.hasValue(o)) {
                err << "strata-cli train: " << o << " needs --project FILE\n";
                return false;
            }
        for (const char* f : {"--resume", "--from-scratch", "--no-histograms"})
            if (a.has(f)) {
                err << "strata-cli train: " << f << " needs --project FILE\n";
                return false;
            }
        return true;
    }
    if (a.has("--resume") && (a.has("--from-scratch") || a.hasValue("--freeze"))) {
        err << "strata-cli train: --resume continues a run as it was; --from-scratch and --freeze start a new one\n";
        return false;
    }
    session::ProjectTrainingOptions o;
    o.project = a.value("--project");
    o.model = a.value("--model");
    o.resume = a.has("--resume");
    o.fromScratch = a.has("--from-scratch");
    o.histograms = !a.has("--no-histograms");
    std::optional<int64_t> keep;
    if (!parseCount(a, "--checkpoint-every", 0, o.checkpointEvery, err) || !parseCount(a, "--max-to-keep", 0, keep, err))
        return false;
    if (keep) o.maxToKeep = int(std::min<int64_t>(*keep, 1 << 30));
    out = std::move(o);
    return true;
}

// --input NAME=COLUMNS and --output NAME=COLUMN[:class|:regression], repeated: a CSV table's
// columns mapped to a model's inputs and outputs.
bool parseColumnMapping(const Args& a, data::DataSource& source, std::ostream& err) {
    const std::vector<std::string> ins = a.values("--input"), outs = a.values("--output");
    if (ins.empty() && outs.empty()) return true;
    if (!source.name.empty() && !data::isCsvSource(source.name)) {
        err << "strata-cli train: --input and --output map the columns of a CSV table (--data FILE.csv), not of '" << source.name << "'\n";
        return false;
    }
    if (ins.empty() || outs.empty() || a.hasValue("--label") || source.regression || source.reconstruct) {
        err << "strata-cli train: a column mapping needs --input NAME=COLUMNS for every model input and --output "
               "NAME=COLUMN[:class|:regression] for every output, and replaces --label, --regression and --reconstruct\n";
        return false;
    }
    try {
        for (const std::string& v : ins) source.columns.inputs.push_back(data::parseInputColumns(v));
        for (const std::string& v : outs) source.columns.outputs.push_back(data::parseOutputColumn(v));
    } catch (const StrataError& e) {
        err << "strata-cli train: " << e.what() << "\n";
        return false;
    }
    return true;
}

// --loss NAME (every output) or --loss OUTPUT=NAME and --loss-weight OUTPUT=W, repeated.
bool parseLosses(const Args& a, train::TrainOptions& opts, std::ostream& err) {
    opts.loss.clear();
    auto outputLoss = [&](const std::string& name) -> train::OutputLoss& {
        for (train::OutputLoss& l : opts.outputLosses)
            if (l.output == name) return l;
        return opts.outputLosses.emplace_back(train::OutputLoss{name, "", 1.0});
    };
    for (const std::string& v : a.values("--loss")) {
        const std::size_t eq = v.find('=');
        if (eq == std::string::npos) {
            opts.loss = v;
            continue;
        }
        if (eq == 0 || eq + 1 == v.size()) {
            err << "strata-cli train: --loss takes NAME or OUTPUT=NAME, got '" << v << "'\n";
            return false;
        }
        outputLoss(v.substr(0, eq)).loss = v.substr(eq + 1);
    }
    for (const std::string& v : a.values("--loss-weight")) {
        const std::size_t eq = v.find('=');
        double w = 0;
        if (eq == std::string::npos || eq == 0 || !parseNumber(v.substr(eq + 1), w) || !(w >= 0) || !std::isfinite(w)) {
            err << "strata-cli train: --loss-weight takes OUTPUT=W with W a number >= 0, got '" << v << "'\n";
            return false;
        }
        outputLoss(v.substr(0, eq)).weight = w;
    }
    return true;
}

// Parses the arguments into `r`; returns false after printing a usage error (exit status 2).
bool parseRequest(const Args& a, session::TrainingRequest& r, std::ostream& err) {
    if (a.ok() && !parseProjectOptions(a, r.project, err)) return false;
    const bool resuming = r.project && r.project->resume;
    if (!a.ok() || a.positional().size() > 1 || (a.positional().empty() && !r.project)) {
        err << "strata-cli train: " << (a.ok() ? "expected one MODEL.json argument" : a.error()) << " (see --help)\n";
        return false;
    }
    if (!a.hasValue("--data") && !resuming) {
        err << "strata-cli train: --data NAME is required (digits, iris, wine, fashion-mnist, mnist:DIR, FILE.csv, images:DIR)\n";
        return false;
    }
    data::DataSource& source = r.data;
    source = {a.value("--data"), a.value("--label", ""), a.has("--regression"), a.has("--reconstruct")};
    if (source.regression && source.reconstruct) {
        err << "strata-cli train: --regression and --reconstruct exclude each other (--reconstruct: the target is the input)\n";
        return false;
    }
    if (!source.name.empty() && !data::isCsvSource(source.name) && (a.hasValue("--label") || source.regression)) {
        err << "strata-cli train: --label and --regression apply to CSV tables (--data FILE.csv), not to '" << source.name << "'\n";
        return false;
    }
    if (!parseImageOptions(a, source, "train", err)) return false;
    if (!parseColumnMapping(a, source, err)) return false;
    if (!parseTextOptions(a, source, "train", err)) return false;
    if (data::isCsvSource(source.name)) { // recorded by absolute path, so --resume works from anywhere
        std::error_code ec;
        const auto full = std::filesystem::absolute(data::csvPathOf(source.name), ec);
        if (!ec) source.name = "csv:" + full.lexically_normal().string();
    }
    auto intOption = [&](const char* name, int64_t fallback, int64_t min, int64_t& v) {
        double d = double(fallback);
        if (a.hasValue(name) && (!parseNumber(a.value(name), d) || d != double(int64_t(d)) || d < double(min))) {
            err << "strata-cli train: " << name << " must be an integer >= " << min << ", got '" << a.value(name) << "'\n";
            return false;
        }
        v = int64_t(d);
        return true;
    };
    int64_t epochs, batch, seed, threads, steps;
    if (!intOption("--epochs", 1, 0, epochs) || !intOption("--batch", 32, 1, batch) || !intOption("--seed", 0, 0, seed) ||
        !intOption("--threads", 1, 1, threads) || !intOption("--steps", -1, -1, steps))
        return false;
    train::TrainOptions& opts = r.options;
    opts.epochs = int(epochs);
    opts.batchSize = batch;
    opts.seed = uint64_t(seed);
    opts.maxSteps = steps;
    opts.dataWorkers = source.dataThreads;
    if (!parseLosses(a, opts, err)) return false; // an empty loss: the session's default for the data
    opts.fromLogits = a.has("--from-logits");
    r.freeze = a.values("--freeze");
    opts.optimizer = ir::OptimizerConfig::defaults(a.value("--optimizer", "adam")); // an unknown name throws (exit 1)
    if (a.hasValue("--lr")) {
        double lr = 0;
        if (!parseNumber(a.value("--lr"), lr) || !(lr > 0)) {
            err << "strata-cli train: --lr must be a positive number, got '" << a.value("--lr") << "'\n";
            return false;
        }
        opts.optimizer.learningRate = ir::LearningRateSchedule::constant(lr);
    }
    r.epochsGiven = a.hasValue("--epochs");
    r.device = a.value("--device", "");
    r.threads = int(threads);
    return true;
}

// "  cls_loss 0.1234  cls_accuracy 0.9000  reg_loss 0.5000" for a model with several outputs.
std::string outputsText(const std::vector<train::OutputMetrics>& outputs, const std::string& prefix) {
    std::string text;
    char cell[128];
    for (const train::OutputMetrics& o : outputs) {
        for (const auto& [what, v] : {std::pair<const char*, double>{"loss", o.loss}, {"accuracy", o.accuracy}, {"mae", o.mae}}) {
            if (std::isnan(v)) continue;
            std::snprintf(cell, sizeof cell, "  %s%s_%s %.4f", prefix.c_str(), o.name.c_str(), what, v);
            text += cell;
        }
    }
    return text;
}

void printEpoch(const train::EpochEvent& e, int epochs, bool json, bool bar, std::ostream& out, std::ostream& err) {
    if (json) {
        nlohmann::json line = {{"epoch", e.epoch}};
        for (const auto& [k, v] : train::epochMetrics(e)) line[k] = k == "loss" ? nlohmann::json(v) : metric(v);
        line["seconds"] = e.seconds;
        line["samples_per_second"] = e.samplesPerSecond;
        out << line.dump() << std::endl;
        return;
    }
    if (bar) err << "\r" << std::string(80, ' ') << "\r";
    if (!e.outputs.empty()) {
        char head[64], tail[96];
        std::snprintf(head, sizeof head, "epoch %d/%lld  loss %.4f", e.epoch, (long long)epochs, e.loss);
        std::snprintf(tail, sizeof tail, "  val_loss %.4f", e.valLoss);
        std::string line = head + outputsText(e.outputs, "") + tail + outputsText(e.valOutputs, "val_");
        std::snprintf(tail, sizeof tail, "  %.2fs  %.0f samples/s\n", e.seconds, e.samplesPerSecond);
        out << line << tail << std::flush;
        return;
    }
    char line[256];
    if (std::isnan(e.accuracy)) // a regression loss: no accuracy to show
        std::snprintf(line, sizeof line, "epoch %d/%lld  loss %.4f  val_loss %.4f  %.2fs  %.0f samples/s\n", e.epoch,
                      (long long)epochs, e.loss, e.valLoss, e.seconds, e.samplesPerSecond);
    else
        std::snprintf(line, sizeof line, "epoch %d/%lld  loss %.4f  accuracy %.4f  val_loss %.4f  val_accuracy %.4f  %.2fs  %.0f samples/s\n",
                      e.epoch, (long long)epochs, e.loss, e.accuracy, e.valLoss, e.valAccuracy, e.seconds, e.samplesPerSecond);
    out << line << std::flush;
}

void printTest(const train::EvalResult& test, bool json, std::ostream& out) {
    if (test.samples == 0) { // an image folder with train/ and no test/
        if (json) out << nlohmann::json{{"test_loss", nullptr}, {"test_accuracy", nullptr}, {"test_samples", 0}}.dump() << std::endl;
        else out << "test  (no test split)\n";
        return;
    }
    if (json) {
        nlohmann::json line;
        for (const auto& [k, v] : train::evalMetrics(test, "test_")) line[k] = k == "test_loss" ? nlohmann::json(v) : metric(v);
        out << line.dump() << std::endl;
        return;
    }
    if (!test.outputs.empty()) {
        char head[64];
        std::snprintf(head, sizeof head, "test  loss %.4f", test.loss);
        out << head << outputsText(test.outputs, "") << "  (" << test.samples << " samples)\n";
        return;
    }
    char line[128];
    if (std::isnan(test.accuracy))
        std::snprintf(line, sizeof line, "test  loss %.4f  mae %.4f  (%lld samples)\n", test.loss, test.mae, (long long)test.samples);
    else
        std::snprintf(line, sizeof line, "test  loss %.4f  accuracy %.4f  (%lld samples)\n", test.loss, test.accuracy,
                      (long long)test.samples);
    out << line;
}

int trainSession(const Args& a, session::TrainingRequest& request, DistributedRun& dist,
                 const std::function<int(int, const std::string&, const std::string&)>& fail, std::ostream& out, std::ostream& err);
int trainAndReport(const Args& a, session::TrainingSession& session, const DistributedRun& dist,
                   std::ostream& out, std::ostream& err);

int trainCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::vector<std::string> flags = {"--json", "--quiet", "--regression", "--reconstruct", "--from-logits"};
    std::vector<std::string> options = {"--data", "--label", "--input", "--output", "--loss-weight", "--epochs", "--batch", "--optimizer", "--lr", "--loss", "--seed", "--threads", "--device", "--steps", "--freeze"};
    flags.insert(flags.end(), kProjectFlags.begin(), kProjectFlags.end());
    options.insert(options.end(), kProjectOptions.begin(), kProjectOptions.end());
    flags.insert(flags.end(), kImageFlags.begin(), kImageFlags.end());
    options.insert(options.end(), kImageOptions.begin(), kImageOptions.end());
    options.insert(options.end(), kTextOptions.begin(), kTextOptions.end());
    flags.insert(flags.end(), kDistributedFlags.begin(), kDistributedFlags.end());
    options.insert(options.end(), kDistributedOptions.begin(), kDistributedOptions.end());
    Args a(joinImageSize(args), flags, options);
    session::TrainingRequest request;
    if (!parseRequest(a, request, err)) return 2;
    try {
        if (!a.positional().empty()) request.spec = ModelSpec::load(a.positional()[0]);
    } catch (const StrataError& e) {
        err << e.what() << "\n";
        return 2;
    }
    DistributedRun dist;
    if (!startDistributed(a, request, dist, err)) return 2;
    // Data-parallel, a rank that fails ends every rank (else they would wait for it until the
    // collective timeout); one process prints and returns the exit status.
    auto fail = [&](int code, const std::string& prefix, const std::string& message) {
        if (dist.mpi) dist.mpi->abortJob(message, code); // "strata-cli: rank R, step S: message"
        err << prefix << message << "\n";
        return code;
    };
    try {
        return trainSession(a, request, dist, fail, out, err);
    } catch (const std::exception& e) {
        if (dist.mpi) dist.mpi->abortJob(e.what(), 1);
        throw;
    }
}

int trainSession(const Args& a, session::TrainingRequest& request, DistributedRun& dist,
                 const std::function<int(int, const std::string&, const std::string&)>& fail, std::ostream& out, std::ostream& err) {
    session::TrainingSession session(std::move(request));
    try {
        session.openProject();
    } catch (const StrataError& e) {
        return fail(2, "strata-cli train: ", e.what());
    }
    try {
        session.makeBackend();
    } catch (const session::DeviceError& e) {
        return fail(2, "strata-cli: ", e.what());
    }
    const bool rank0 = dist.rank0();
    if (!session.backendNote().empty() && rank0) err << "strata-cli: " << session.backendNote() << "\n";
    try {
        session.makeModel();
    } catch (const ModelError& e) {
        std::string issues;
        for (const auto& issue : e.issues()) issues += (issues.empty() ? "" : "\n") + issue.text();
        return fail(1, "", issues);
    } catch (const StrataError& e) {
        return fail(2, "strata-cli train: ", e.what());
    }
    if (!rank0) { // rank 0 alone speaks; the others only fail loudly
        static std::ostream silent(nullptr);
        return trainAndReport(a, session, dist, silent, silent);
    }
    return trainAndReport(a, session, dist, out, err);
}

int trainAndReport(const Args& a, session::TrainingSession& session, const DistributedRun& dist,
                   std::ostream& out, std::ostream& err) {
    if (!session.frozenLayers().empty()) {
        std::string names;
        for (const auto& n : session.frozenLayers()) names += (names.empty() ? "" : ", ") + n;
        err << "strata-cli train: frozen (not trained): " << names << "\n";
    }
    if (const std::string w = session.lossWarning(); !w.empty()) err << "strata-cli train: warning: " << w << "\n";

    const bool json = a.has("--json");
    const bool bar = !json && !a.has("--quiet") && isatty(STDERR_FILENO);
    InterruptGuard interrupt;
    session::TrainingEvents events;
    events.started = [&](const std::string& recording) {
        if (!recording.empty()) err << recording << "\n";
        interrupt.install(session);
    };
    events.data = [&](const std::string& line) { err << "strata-cli train: " << line << "\n"; };
    events.step = [&](const train::StepEvent& s) {
        if (!bar || (s.batch % 4 != 0 && s.batch != s.batchesPerEpoch)) return;
        const int width = 30;
        const int filled = int(width * s.batch / std::max<int64_t>(s.batchesPerEpoch, 1));
        err << "\repoch " << s.epoch << "/" << session.options().epochs << " [" << std::string(filled, '=')
            << std::string(width - filled, ' ') << "] " << s.batch << "/" << s.batchesPerEpoch << " loss " << s.loss
            << "   " << std::flush;
    };
    events.epoch = [&](const train::EpochEvent& e) { printEpoch(e, session.options().epochs, json, bar, out, err); };
    const session::TrainingResult r = session.run(events); // errors: "strata-cli train: ..." (exit 1)
    if (!r.fit.message.empty()) err << (bar ? "\n" : "") << "strata-cli train: " << r.fit.message << "\n";
    printTest(r.test, json, out);
    printDistributedSummary(dist, r, session.options().batchSize, json, out);
    if (!r.replicasAgree) {
        err << "strata-cli train: the ranks ended with different weights (a transport that did not give every rank the "
               "same sums); do not trust this run\n";
        return 1;
    }
    return r.fit.diverged ? 1 : 0;
}

} // namespace

void addTrainCommands(std::vector<Command>& out) {
    out.push_back({"train", "train a model spec on a dataset (CPU, or a Vulkan device with --device)",
                   std::string("usage: strata-cli train MODEL.json --data NAME [options]\n"
                               "       strata-cli train [MODEL.json] --project P.strata [--model NAME] --data NAME [options]\n"
                               "       strata-cli train [MODEL.json] --project P.strata --resume [--epochs N]\n\n") +
                   "  --data NAME         digits | iris | wine | fashion-mnist | mnist:DIR | FILE.csv | images:DIR\n"
                   "                      (a CSV table, plain or .gz: 20% held out for test, 10% of the\n"
                   "                      rest for validation, features standardized)\n" +
                   std::string(kImageUsage) +
                   std::string(kTextUsage) +
                   "  --label COLUMN      CSV: the target column, a header name or a 0-based index\n"
                   "                      (default: the last column); class names or integers 0, 1, ...\n"
                   "  --regression        CSV: the target is a real value (default loss: mean_squared_error)\n"
                   "  --input NAME=COLUMNS  CSV, a model with several inputs or outputs: the columns (header\n"
                   "                      names or 0-based indices, comma-separated, first..last a range)\n"
                   "                      that feed Input NAME; once per input\n"
                   "  --output NAME=COLUMN[:class|:regression]  the target column of output NAME (default\n"
                   "                      class labels); once per output. Replaces --label and --regression\n"
                   "  --reconstruct       every sample is its own target: an autoencoder whose output has the\n"
                   "                      input's size (default loss: mean_squared_error; labels unused)\n"
                   "  --epochs N          passes over the training split (default 1)\n"
                   "  --batch B           batch size (default 32)\n"
                   "  --optimizer NAME    sgd | adam | adamw | rmsprop (default adam, Keras defaults)\n"
                   "  --lr X              learning rate (default: the optimizer's Keras default)\n"
                   "  --loss NAME         sparse_categorical_crossentropy (default) | categorical_crossentropy |\n"
                   "                      binary_crossentropy | mean_squared_error | mean_absolute_error;\n"
                   "                      OUTPUT=NAME, repeated, for each output of a model with several (default:\n"
                   "                      from the target column's kind)\n"
                   "  --loss-weight OUTPUT=W  the weight of an output's loss in the sum trained (default 1)\n"
                   "  --from-logits       the model's outputs are logits (no softmax/sigmoid at the end): the\n"
                   "                      cross-entropy losses apply it themselves, as Keras' from_logits. A\n"
                   "                      warning says when the output and this option disagree\n"
                   "  --freeze LAYERS     do not train these layers: names or patterns ('conv*'), comma-separated\n"
                   "                      or repeated; recorded in the spec as Keras' trainable: false\n"
                   "  --seed S            initial weights, data order and dropout (default 0)\n"
                   "  --threads T         CPU threads for matrix products (default 1)\n"
                   "  --steps N           stop after N training steps\n" +
                       std::string(kDeviceHelp) +
                   std::string(kProjectUsage) + std::string(kDistributedUsage) +
                   "  --json              one JSON line per epoch: epoch, loss, accuracy, val_loss,\n"
                   "                      val_accuracy, seconds, samples_per_second; then test_loss, test_accuracy\n"
                   "Samples are reshaped to the model input when their element counts agree.\n"
                   "Ctrl+C stops after the current step and still evaluates on the test split.\n"
                   "Exit status: 0 trained; 1 the spec, data or loss do not fit, or the loss became NaN;\n"
                   "2 usage errors and unreadable files.\n",
                   trainCommand});
}

} // namespace strata::cli
