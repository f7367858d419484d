#include "storage/torch/TorchExport.h"

#include "storage/AtomicFolder.h"
#include "storage/Project.h"
#include "storage/Sha256.h"
#include "storage/StorageError.h"
#include "storage/torch/TorchCode.h"

#include <bit>
#include <map>

namespace strata::storage {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kAlignment = 64;

// "Exported by Strata 1.2.0 on 2024-05-01T10:00:00Z." and a line per metadata.source entry.
std::string headerText(const nlohmann::json& metadata) {
    std::string h = "Exported by Strata " + metadata.value("strata_version", std::string(STRATA_VERSION)) + " on " +
                    metadata.value("created_at", std::string("?")) + ".";
    if (metadata.contains("source") && metadata["source"].is_object()) {
        h += "\nSource:";
        for (const auto& [k, v] : metadata["source"].items())
            h += "\n    " + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump());
    }
    return h;
}

// A model trained on a text column: how its ids are made (engine/data/TextVectorization.h).
std::string textInputText(const nlohmann::json& metadata) {
    const nlohmann::json* tv = nullptr;
    if (metadata.contains("training") && metadata["training"].is_object() && metadata["training"].contains("text_vectorization"))
        tv = &metadata["training"]["text_vectorization"];
    if (!tv || !tv->is_object()) return {};
    const std::string split = tv->value("split", std::string("word")), standardize = tv->value("standardize", std::string());
    return "\n\nThis model was trained on text: its input is token ids, int32 or float, one row of " +
           std::to_string(tv->value("sequence_length", int64_t(0))) + " ids per text.\n"
           "The vocabulary file is text_vectorization.json (a saved model holds it beside saved_model.json;\n"
           "here the same document is weights.json's metadata.training.text_vectorization): the id of a\n"
           "token is its index in its \"vocabulary\" list, 0 is padding (\"\") and 1 the unknown token\n"
           "(\"[UNK]\"). To make the ids as Strata does: standardize the text (" + standardize + ": lower\n"
           "case, and for lower_and_strip_punctuation remove ASCII punctuation), split it into " +
           (split == "character" ? "characters\n(Unicode code points, spaces included)" : "words\n(on whitespace)") +
           ", look each token up (unknown: 1),\nand pad with 0 or cut at the end to " +
           std::to_string(tv->value("sequence_length", int64_t(0))) + " ids.";
}

std::string readmeText(const std::string& modelName, const TorchCode& code, const nlohmann::json& metadata) {
    const std::string title = "PyTorch export of the Strata model '" + modelName + "'";
    return title + "\n" + std::string(title.size(), '=') + "\n\n"
           "model.py     the model as a torch.nn.Module subclass (" + code.className + "), one submodule per\n"
           "             Strata layer, readable and editable; build() and load()\n"
           "weights.json where each trained variable lies in weights.bin, under which state_dict name\n"
           "weights.bin  the variables as raw little-endian float32, in Strata's layouts\n\n"
           "Load it with torch 1.13 or later and nothing else (no Strata, no numpy):\n\n"
           "    import sys\n"
           "    sys.path.insert(0, \"/path/to/this/folder\")\n"
           "    import model\n"
           "    net = model.load()          # trained weights, eval mode\n"
           "    y = net(x)                  # x: float32, batch first, channels-last (NHWC) as in Strata\n\n"
           "or run `python3 model.py` to print the model and its parameter count.\n\n"
           "Inputs: give the model what Strata trained it on. A CSV dataset's features, and the built-in\n"
           "iris and wine, were standardized per feature, (x - mean) / std, with the mean and standard\n"
           "deviation of the training split; those statistics are not part of the model, so apply the\n"
           "same standardization to x first. Images\n"
           "(digits, MNIST, Fashion-MNIST, image folders) are not standardized: a Rescaling or\n"
           "Normalization layer in the model, if any, does their scaling and is in model.py." + textInputText(metadata) + "\n\n"
           "Conventions:\n"
           "- Inputs and outputs are channels-last (NHWC) like in Strata; Conv2D and pooling permute to\n"
           "  NCHW inside. \"same\" padding is TensorFlow's (the odd cell at the bottom/right).\n"
           "- Dense kernel [in, out] becomes Linear.weight [out, in]; Conv2D kernel HWIO becomes OIHW;\n"
           "  Conv2DTranspose kernel (kh, kw, filters, in) becomes ConvTranspose2d's (in, filters, kh, kw),\n"
           "  and its output is cropped to TensorFlow's conv2d_transpose size and offset.\n"
           "- BatchNormalization gamma, beta, moving_mean, moving_variance become weight, bias,\n"
           "  running_mean, running_var; its momentum is Keras' (0.99 keeps 99% of the running value).\n"
           "- LSTM, GRU, SimpleRNN (and Bidirectional) are nn.LSTM, nn.GRU, nn.RNN with batch_first=True\n"
           "  (weight_ih = kernel transposed, weight_hh = recurrent_kernel transposed, Keras' single bias\n"
           "  as bias_ih and a zero bias_hh; a GRU's gates z, r, h reordered to torch's r, z, n), or a\n"
           "  RecurrentLoop written out step by step where torch's modules cannot express the layer.\n"
           "  Token ids for an Embedding may be int32 or float (truncated, as Strata casts them).\n"
           "- Parameters of layers frozen in Strata have requires_grad off.\n"
           "- model.train() / model.eval() switch Dropout and BatchNormalization as in Strata's training\n"
           "  and inference; the model is an ordinary nn.Module, so any torch optimizer can train it.\n";
}

} // namespace

void writeTorchExport(const Model& model, const fs::path& dir, nlohmann::json metadata) {
    if (!model.built()) throw StorageError("model '" + model.spec().name + "' must be built before it is exported to " + dir.string());
    static_assert(std::endian::native == std::endian::little, "weights.bin is written from memory as little-endian float32");
    if (!metadata.is_object()) metadata = nlohmann::json::object();
    metadata["strata_version"] = STRATA_VERSION;
    metadata["created_at"] = utcNow();
    metadata["parameters"] = model.paramCounts().total();
    // Generate first: a layer PyTorch cannot express fails before anything is written.
    const TorchCode code = generateTorchCode(model, headerText(metadata));
    for (const TorchTensor& t : code.tensors)
        if (t.variable->dtype() != DType::F32)
            throw StorageError("variable '" + t.variable->path() + "' is " + std::string(dtypeName(t.variable->dtype())) +
                               "; the PyTorch export writes float32 variables only");

    AtomicFolder folder(dir);
    const fs::path& tmp = folder.path();
    nlohmann::json vars = nlohmann::json::array();
    Sha256 hash;
    int64_t offset = 0;
    {
        DurableFile data(tmp / "weights.bin");
        static const char zeros[kAlignment] = {};
        std::map<const Variable*, int64_t> written; // a variable with one entry per row is stored once
        for (const TorchTensor& t : code.tensors) {
            const Tensor& value = t.variable->value();
            auto at = written.find(t.variable);
            if (at == written.end()) {
                if (int64_t pad = (kAlignment - offset % kAlignment) % kAlignment) {
                    data.write(zeros, std::size_t(pad));
                    hash.update(zeros, std::size_t(pad));
                    offset += pad;
                }
                data.write(value.bytes(), value.byteSize());
                hash.update(value.bytes(), value.byteSize());
                at = written.emplace(t.variable, offset).first;
                offset += int64_t(value.byteSize());
            }
            std::vector<int64_t> shape = value.shape().dims();
            if (t.row) shape.erase(shape.begin());
            std::vector<int64_t> torchShape = shape;
            if (!t.permute.empty())
                for (std::size_t i = 0; i < t.permute.size(); ++i) torchShape[i] = shape[std::size_t(t.permute[i])];
            nlohmann::json entry = {{"strata_path", t.variable->path()},
                                    {"strata_shape", value.shape().dims()},
                                    {"torch_name", t.torchName},
                                    {"torch_shape", torchShape},
                                    {"permute", t.permute.empty() ? nlohmann::json(nullptr) : nlohmann::json(t.permute)},
                                    {"offset", at->second},
                                    {"length", int64_t(value.byteSize())},
                                    {"trainable", t.trainable}};
            if (t.row) entry["row"] = *t.row;
            if (!t.gateOrder.empty()) entry["gate_order"] = t.gateOrder;
            vars.push_back(std::move(entry));
        }
        data.close();
    }
    const nlohmann::json index = {{"format", kTorchWeightsFormat},
                                  {"model", model.spec().name},
                                  {"class", code.className},
                                  {"dtype", "float32"},
                                  {"byte_order", "little"},
                                  {"data_file", "weights.bin"},
                                  {"data_bytes", offset},
                                  {"sha256", hash.hexDigest()},
                                  {"metadata", metadata},
                                  {"variables", vars}};
    writeDurably(tmp / "weights.json", index.dump(1));
    writeDurably(tmp / "model.py", code.source);
    writeDurably(tmp / "README.txt", readmeText(model.spec().name, code, metadata));
    folder.commit();
}

} // namespace strata::storage
