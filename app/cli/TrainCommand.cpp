// strata-cli train: trains a model spec on a built-in dataset or a CSV table, on the CPU or a
// Vulkan device, printing a progress bar on a terminal or one JSON line per epoch, then the test
// split's loss and accuracy.
#include "app/cli/Cli.h"
#include "app/cli/Devices.h"
#include "app/cli/ProjectTraining.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/data/DatasetSource.h"
#include "engine/train/Trainer.h"

#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>
#include <unistd.h>

namespace strata::cli {

namespace {

std::atomic<train::Trainer*> gActiveTrainer{nullptr};
extern "C" void onInterrupt(int) {
    if (auto* t = gActiveTrainer.load()) t->requestStop();
}

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

int trainCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::vector<std::string> flags = {"--json", "--quiet", "--regression", "--reconstruct"};
    std::vector<std::string> options = {"--data", "--label", "--epochs", "--batch", "--optimizer", "--lr", "--loss", "--seed", "--threads", "--device", "--steps"};
    flags.insert(flags.end(), projectTrainingFlags().begin(), projectTrainingFlags().end());
    options.insert(options.end(), projectTrainingOptions().begin(), projectTrainingOptions().end());
    Args a(args, flags, options);
    std::optional<ProjectTrainingOptions> projectOptions;
    if (a.ok() && !ProjectTraining::parse(a, projectOptions, err)) return 2;
    const bool resuming = projectOptions && projectOptions->resume;
    if (!a.ok() || a.positional().size() > 1 || (a.positional().empty() && !resuming)) {
        err << "strata-cli train: " << (a.ok() ? "expected one MODEL.json argument" : a.error()) << " (see --help)\n";
        return 2;
    }
    if (!a.hasValue("--data") && !resuming) {
        err << "strata-cli train: --data NAME is required (digits, iris, wine, fashion-mnist, mnist:DIR, FILE.csv)\n";
        return 2;
    }
    data::DataSource source{a.value("--data"), a.value("--label", ""), a.has("--regression"), a.has("--reconstruct")};
    if (source.regression && source.reconstruct) {
        err << "strata-cli train: --regression and --reconstruct exclude each other (--reconstruct: the target is the input)\n";
        return 2;
    }
    if (!source.name.empty() && !data::isCsvSource(source.name) && (a.hasValue("--label") || source.regression)) {
        err << "strata-cli train: --label and --regression apply to CSV tables (--data FILE.csv), not to '" << source.name << "'\n";
        return 2;
    }
    if (data::isCsvSource(source.name)) { // recorded by absolute path, so --resume works from anywhere
        std::error_code ec;
        const auto full = std::filesystem::absolute(data::csvPathOf(source.name), ec);
        if (!ec) source.name = "csv:" + full.lexically_normal().string();
    }
    std::unique_ptr<ProjectTraining> project;
    if (projectOptions) {
        try {
            project = std::make_unique<ProjectTraining>(*projectOptions);
            source = project->resolveDataset(source);
        } catch (const StrataError& e) {
            err << "strata-cli train: " << e.what() << "\n";
            return 2;
        }
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
        return 2;
    std::unique_ptr<ir::Backend> backend = makeBackend(a.value("--device", ""), int(threads), err);
    if (!backend) return 2;

    ModelSpec spec;
    try {
        if (!a.positional().empty()) spec = ModelSpec::load(a.positional()[0]);
        if (project) spec = project->resolveSpec(a.positional().empty() ? std::nullopt : std::optional<ModelSpec>(spec));
    } catch (const StrataError& e) {
        err << e.what() << "\n";
        return 2;
    }
    std::unique_ptr<Model> model;
    try {
        model = Model::fromSpec(spec);
    } catch (const ModelError& e) {
        for (const auto& issue : e.issues()) err << issue.text() << "\n";
        return 1;
    }

    train::TrainOptions opts;
    opts.epochs = int(epochs);
    opts.batchSize = batch;
    opts.seed = uint64_t(seed);
    opts.maxSteps = steps;
    opts.loss = a.value("--loss", source.regression || source.reconstruct ? "mean_squared_error" : "sparse_categorical_crossentropy");
    opts.optimizer = ir::OptimizerConfig::defaults(a.value("--optimizer", "adam"));
    if (a.hasValue("--lr")) {
        double lr = 0;
        if (!parseNumber(a.value("--lr"), lr) || !(lr > 0)) {
            err << "strata-cli train: --lr must be a positive number, got '" << a.value("--lr") << "'\n";
            return 2;
        }
        opts.optimizer.learningRate = ir::LearningRateSchedule::constant(lr);
    }
    if (project) project->applyRunOptions(opts, a.hasValue("--epochs"));

    data::DatasetSplits splits = data::loadDataSource(source);
    const int in = model->inputIndices()[0];
    const Shape sample = model->outputShape(in).withoutFirst();
    for (data::Dataset* d : {&splits.train, &splits.validation, &splits.test})
        if (d->size() > 0) {
            data::reshapeFeatures(*d, sample, model->layers()[in]->name());
            data::reshapeTargets(*d, model->outputShape(model->outputIndices()[0]).withoutFirst());
        }

    model->build(opts.seed);
    if (project) err << project->begin(*model, *backend, opts, splits.train, source) << "\n";
    train::Trainer trainer(*model, *backend, opts);
    trainer.checkData(splits.train);

    const bool json = a.has("--json");
    const bool bar = !json && !a.has("--quiet") && isatty(STDERR_FILENO);
    trainer.onStep([&](const train::StepEvent& s) {
        if (project) project->onStep(s, trainer.backend());
        if (!bar || (s.batch % 4 != 0 && s.batch != s.batchesPerEpoch)) return;
        const int width = 30;
        const int filled = int(width * s.batch / std::max<int64_t>(s.batchesPerEpoch, 1));
        err << "\repoch " << s.epoch << "/" << opts.epochs << " [" << std::string(filled, '=')
            << std::string(width - filled, ' ') << "] " << s.batch << "/" << s.batchesPerEpoch << " loss " << s.loss
            << "   " << std::flush;
    });
    trainer.onEpoch([&](const train::EpochEvent& e) {
        if (project) project->onEpoch(e, trainer.backend());
        if (json) {
            out << nlohmann::json{{"epoch", e.epoch},
                                  {"loss", e.loss},
                                  {"accuracy", metric(e.accuracy)},
                                  {"val_loss", metric(e.valLoss)},
                                  {"val_accuracy", metric(e.valAccuracy)},
                                  {"seconds", e.seconds},
                                  {"samples_per_second", e.samplesPerSecond}}
                       .dump()
                << std::endl;
            return;
        }
        if (bar) err << "\r" << std::string(80, ' ') << "\r";
        char line[256];
        if (std::isnan(e.accuracy)) // a regression loss: no accuracy to show
            std::snprintf(line, sizeof line, "epoch %d/%lld  loss %.4f  val_loss %.4f  %.2fs  %.0f samples/s\n", e.epoch,
                          (long long)opts.epochs, e.loss, e.valLoss, e.seconds, e.samplesPerSecond);
        else
            std::snprintf(line, sizeof line, "epoch %d/%lld  loss %.4f  accuracy %.4f  val_loss %.4f  val_accuracy %.4f  %.2fs  %.0f samples/s\n",
                          e.epoch, (long long)opts.epochs, e.loss, e.accuracy, e.valLoss, e.valAccuracy, e.seconds, e.samplesPerSecond);
        out << line << std::flush;
    });

    gActiveTrainer = &trainer;
    auto previous = std::signal(SIGINT, onInterrupt);
    train::FitResult fit = trainer.fit(splits.train, splits.validation.size() ? &splits.validation : nullptr);
    std::signal(SIGINT, previous);
    gActiveTrainer = nullptr;
    if (!fit.message.empty()) err << (bar ? "\n" : "") << "strata-cli train: " << fit.message << "\n";

    train::EvalResult test = trainer.evaluate(splits.test);
    if (project) project->finish(fit, test, trainer.backend());
    if (json)
        out << nlohmann::json{{"test_loss", test.loss}, {"test_accuracy", metric(test.accuracy)}, {"test_mae", metric(test.mae)}}.dump()
            << std::endl;
    else {
        char line[128];
        if (std::isnan(test.accuracy))
            std::snprintf(line, sizeof line, "test  loss %.4f  mae %.4f  (%lld samples)\n", test.loss, test.mae, (long long)test.samples);
        else
            std::snprintf(line, sizeof line, "test  loss %.4f  accuracy %.4f  (%lld samples)\n", test.loss, test.accuracy,
                          (long long)test.samples);
        out << line;
    }
    return fit.diverged ? 1 : 0;
}

} // namespace

void addTrainCommands(std::vector<Command>& out) {
    out.push_back({"train", "train a model spec on a dataset (CPU, or a Vulkan device with --device)",
                   std::string("usage: strata-cli train MODEL.json --data NAME [options]\n"
                               "       strata-cli train [MODEL.json] --project P.strata --resume [--epochs N]\n\n") +
                   "  --data NAME         digits | iris | wine | fashion-mnist | mnist:DIR | FILE.csv\n"
                   "                      (a CSV table, plain or .gz: 20% held out for test, 10% of the\n"
                   "                      rest for validation, features standardized)\n"
                   "  --label COLUMN      CSV: the target column, a header name or a 0-based index\n"
                   "                      (default: the last column); class names or integers 0, 1, ...\n"
                   "  --regression        CSV: the target is a real value (default loss: mean_squared_error)\n"
                   "  --reconstruct       every sample is its own target: an autoencoder whose output has the\n"
                   "                      input's size (default loss: mean_squared_error; labels unused)\n"
                   "  --epochs N          passes over the training split (default 1)\n"
                   "  --batch B           batch size (default 32)\n"
                   "  --optimizer NAME    sgd | adam | adamw | rmsprop (default adam, Keras defaults)\n"
                   "  --lr X              learning rate (default: the optimizer's Keras default)\n"
                   "  --loss NAME         sparse_categorical_crossentropy (default) | categorical_crossentropy |\n"
                   "                      binary_crossentropy | mean_squared_error | mean_absolute_error\n"
                   "  --seed S            initial weights, data order and dropout (default 0)\n"
                   "  --threads T         CPU threads for matrix products (default 1)\n"
                   "  --steps N           stop after N training steps\n" +
                       std::string(kDeviceHelp) +
                   std::string(projectTrainingUsage()) +
                   "  --json              one JSON line per epoch: epoch, loss, accuracy, val_loss,\n"
                   "                      val_accuracy, seconds, samples_per_second; then test_loss, test_accuracy\n"
                   "Samples are reshaped to the model input when their element counts agree.\n"
                   "Ctrl+C stops after the current step and still evaluates on the test split.\n"
                   "Exit status: 0 trained; 1 the spec, data or loss do not fit, or the loss became NaN;\n"
                   "2 usage errors and unreadable files.\n",
                   trainCommand});
}

} // namespace strata::cli
