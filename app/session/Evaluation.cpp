#include "app/session/Evaluation.h"

#include "app/session/Devices.h"
#include "app/session/ModelLoading.h"
#include "engine/Error.h"
#include "storage/CheckpointStore.h"
#include "storage/Project.h"

#include <filesystem>

namespace strata::session {

train::TrainOptions evaluationOptions(const nlohmann::json& training) {
    train::TrainOptions opts;
    opts.loss = training.value("loss", std::string("sparse_categorical_crossentropy"));
    opts.fromLogits = training.value("from_logits", false);
    opts.batchSize = std::max<int64_t>(1, training.value("batch_size", int64_t(32)));
    for (const auto& l : training.value("output_losses", nlohmann::json::array()))
        opts.outputLosses.push_back({l.at("output").get<std::string>(), l.at("loss").get<std::string>(), l.at("weight").get<double>()});
    return opts;
}

data::DataSource runDataSource(const nlohmann::json& training, const std::string& dataName, const DataChoice& choice) {
    // An autoencoder's run (reconstruct) is evaluated against its inputs again.
    data::DataSource source{dataName.empty() ? training.value("dataset", std::string()) : dataName, choice.label.value_or(""),
                            choice.regression, choice.reconstruct || training.value("reconstruct", false)};
    if (source.name.empty()) throw StrataError("the run recorded no dataset; name one");
    if (data::isCsvSource(source.name) && !choice.label && !choice.regression) {
        // The run's own target column, when it trained on a CSV table.
        source.label = training.value("label", std::string());
        source.regression = training.value("regression", false);
        // A model with several inputs or outputs: the run's column mapping.
        if (training.contains("columns")) source.columns = data::ColumnMapping::fromJson(training["columns"]);
    }
    if (data::isCsvSource(source.name)) { // a text run reads the same column with its own vocabulary
        source.textColumn = training.value("text_column", std::string());
        if (!source.textColumn.empty() && training.contains("text_vectorization"))
            source.adaptedText = std::make_shared<const data::TextVectorization>(data::TextVectorization::fromJson(training["text_vectorization"]));
        source.timesteps = training.value("timesteps", int64_t(0));
    }
    if (data::isImageSource(source.name)) {
        source.validationSplit = training.value("validation_split", data::kBuiltinValidationFraction);
        source.color = training.value("color", std::string());
        const auto size = training.value("image_size", std::vector<int>{});
        if (size.size() == 2) source.imageHeight = size[0], source.imageWidth = size[1];
    }
    return source;
}

data::Dataset loadEvaluationSplit(const Model& model, data::DataSource source, const std::string& split) {
    if (split != "test" && split != "validation" && split != "train")
        throw StrataError("the split is test, validation or train, got '" + split + "'");
    const std::vector<int> ins = model.inputIndices();
    const int in = ins.at(0);
    if (data::isImageSource(source.name)) data::settleImageShape(source, model.outputShape(in).withoutFirst());
    data::DatasetSplits splits = data::loadDataSource(source);
    data::Dataset d = std::move(split == "test" ? splits.test : split == "validation" ? splits.validation : splits.train);
    data::reshapeFeatures(d, model.outputShape(in).withoutFirst(), model.layers()[std::size_t(in)]->name());
    for (std::size_t i = 1; i < ins.size() && i - 1 < d.moreX.size(); ++i)
        data::reshapeTensor(d.moreX[i - 1], model.outputShape(ins[i]).withoutFirst(), d.name, model.layers()[std::size_t(ins[i])]->name());
    data::reshapeTargets(d, model.outputShape(model.outputIndices()[0]).withoutFirst());
    return d;
}

std::string runDevice(const std::string& where, const std::string& modelName, const std::string& checkpoint) {
    if (std::filesystem::is_directory(where)) return {};
    const storage::Project project = storage::Project::open(where, storage::OpenMode::ReadOnly);
    const storage::CheckpointInfo c = findCheckpoint(project, modelName, checkpoint);
    return c.runId ? project.run(*c.runId).backend : std::string();
}

EvaluationDevice evaluationDevice(const std::string& asked, const std::string& recorded, int threads) {
    if (!asked.empty()) {
        BackendChoice c = chooseBackend(asked, threads);
        if (!c.backend) throw DeviceError(c.error);
        const std::string name = c.backend->name();
        return {std::move(c.backend), name, c.note};
    }
    const std::string wanted = recorded.empty() ? "cpu" : recorded;
    BackendChoice c = chooseBackend(wanted, threads);
    if (c.backend && c.note.empty()) {
        const std::string name = c.backend->name();
        return {std::move(c.backend), name, {}};
    }
    // The run's device is not on this machine (no Vulkan, no such device, a name this build does
    // not know): the CPU computes, and the person is told.
    std::string why = c.backend ? c.note : c.error;
    const std::string tail = "; using the CPU backend";
    if (why.ends_with(tail)) why.resize(why.size() - tail.size());
    return {makeBackend("cpu", threads), "cpu",
            "the run trained on " + recorded + ", which is not available here (" + why + "). Evaluated on the CPU instead"};
}

} // namespace strata::session
