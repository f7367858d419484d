#include "storage/torch/TorchCode.h"

#include "engine/Masks.h"
#include "engine/layers/Block.h"
#include "engine/layers/CoreLayers.h"
#include "storage/StorageError.h"
#include "storage/torch/TorchLayerTable.h"
#include "storage/torch/TorchSnippets.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

namespace strata::storage {

namespace {

// Python keywords, the names model.py defines at module level, and nn.Module's own attributes:
// a layer (or model) named like one of these gets a '_' after its name.
const std::set<std::string>& reservedIdentifiers() {
    static const std::set<std::string> names = {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
        "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
        "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "self", "array", "hashlib", "json",
        "math", "os", "sys", "torch", "nn", "F", "ACTIVATIONS", "WEIGHTS_FORMAT", "same_padding", "pad_same", "build",
        "MERGE_MODES", "keras_recurrent_output",
        "load", "load_weights", "training", "forward", "train", "eval", "parameters", "buffers", "children", "modules",
        "state_dict", "load_state_dict", "to", "to_empty", "cuda", "cpu", "xpu", "ipu", "type", "float", "double",
        "half", "bfloat16", "apply", "zero_grad", "share_memory", "extra_repr", "requires_grad_", "add_module",
        "register_module", "register_buffer", "register_parameter", "named_parameters", "named_buffers",
        "named_children", "named_modules", "get_parameter", "get_buffer", "get_submodule", "get_extra_state",
        "set_extra_state", "register_forward_hook", "register_forward_pre_hook", "register_backward_hook",
        "register_full_backward_hook", "register_full_backward_pre_hook", "dump_patches", "call_super_init",
        "T_destination", "compile"};
    return names;
}

// Text inside a """docstring""": backslashes and quotes escaped.
std::string docText(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out;
}

// One graph of layers: the model's or a block's.
struct GraphView {
    std::vector<Layer*> layers;
    std::vector<int> order;
    std::vector<std::vector<int>> inbound;
    std::vector<std::vector<int>> inboundOutput; // which output of each inbound layer (a state: K > 0)
    std::vector<int> inputs, outputs;
    std::vector<Shape> shapes; // each layer's output shape
};

GraphView modelGraph(const Model& m) {
    GraphView g;
    g.layers = m.layers();
    g.order = m.order();
    for (std::size_t i = 0; i < g.layers.size(); ++i) {
        g.inbound.push_back(m.inbound(int(i)));
        g.inboundOutput.push_back(m.inboundOutput(int(i)));
        g.shapes.push_back(m.outputShape(int(i)));
    }
    g.inputs = m.inputIndices();
    g.outputs = m.outputIndices();
    return g;
}

GraphView blockGraph(const layers::Block& b) {
    GraphView g;
    g.layers = b.innerLayers();
    const InferenceResult& r = b.innerInference(b.buildInputShapes());
    const ModelSpec& spec = b.innerSpec();
    g.order = r.order;
    for (const auto& l : r.layers) {
        g.inbound.push_back(l.inbound);
        g.inboundOutput.push_back(l.inboundOutput);
        g.shapes.push_back(l.outputShape.value_or(Shape{}));
    }
    for (const auto& n : spec.inputs) g.inputs.push_back(spec.indexOf(n));
    g.outputs.push_back(spec.indexOf(spec.outputs.at(0)));
    return g;
}

class Generator {
public:
    explicit Generator(const Model& model) : model_(model) {
        for (const auto& c : torchSnippetClassNames()) classNames_.insert(c);
    }

    TorchCode run(const std::string& header) {
        TorchCode code;
        const GraphView g = modelGraph(model_);
        code.className = pythonClassName(model_.spec().name, classNames_);
        std::vector<std::string> frozen;
        nameLayers(g);
        const std::string rootClass = emitClass(g, code.className, "", modelDoc(g), &frozen);
        std::set<const Variable*> covered;
        for (const TorchTensor& t : tensors_) covered.insert(t.variable);
        if (covered.size() != model_.variables().size())
            throw StorageError("model '" + model_.spec().name + "': " + std::to_string(model_.variables().size() - covered.size()) +
                               " variables have no PyTorch counterpart; the PyTorch export does not cover this model");

        std::ostringstream py;
        py << "\"\"\"" << docText(model_.spec().name) << ", a Strata model as PyTorch code.\n\n" << docText(header) << "\n\n"
           << usage(g, code.className) << "\"\"\"\n"
           << torch_snippets::prelude();
        for (const auto& name : snippetOrder_) py << torch_snippets::snippet(name);
        for (const auto& c : classes_) py << c;
        py << rootClass;
        py << "\n\ndef build():\n    \"\"\"The model with fresh, untrained parameters (frozen ones have requires_grad off).\"\"\"\n"
           << "    return " << code.className << "()\n";
        py << torch_snippets::loader();
        py << "\n\nif __name__ == \"__main__\":\n    net = load()\n    print(net)\n"
           << "    print(sum(p.numel() for p in net.parameters()), \"parameters,\",\n"
           << "          sum(b.numel() for b in net.buffers()), \"in buffers (BatchNormalization running statistics)\")\n";
        code.source = py.str();
        code.tensors = std::move(tensors_);
        return code;
    }

private:
    std::string modelDoc(const GraphView& g) const {
        const ParamCounts pc = model_.paramCounts();
        std::string d = "Strata model '" + model_.spec().name + "' (" +
                        (model_.isSequential() ? "Sequential" : "functional") + ", " + std::to_string(pc.total()) +
                        " parameters: " + std::to_string(pc.trainable) + " trainable, " + std::to_string(pc.nonTrainable) +
                        " non-trainable).\n\n    Inputs (forward's arguments, in order):\n";
        for (int i : g.inputs) {
            const auto* in = dynamic_cast<const layers::InputLayer*>(g.layers[i]);
            const std::string dtype = in ? std::string(dtypeName(in->dtype())) : std::string("float32");
            d += "        " + names_.at(g.layers[i]) + ": " + dtype + " " + g.shapes[i].toString() + "\n";
        }
        d += "    Outputs" + std::string(g.outputs.size() > 1 ? " (a tuple, in order)" : "") + ":\n";
        for (int o : g.outputs) d += "        " + names_.at(g.layers[o]) + ": " + g.shapes[o].toString() + "\n";
        return d;
    }

    std::string usage(const GraphView& g, const std::string& cls) const {
        std::string args, outs;
        for (int i : g.inputs) args += (args.empty() ? "" : ", ") + names_.at(g.layers[i]);
        for (int o : g.outputs) outs += (outs.empty() ? "" : ", ") + names_.at(g.layers[o]);
        return "Needs only torch (1.13 or later) and this folder:\n\n"
               "    import sys\n    sys.path.insert(0, \"path/to/this/folder\")\n    import model\n"
               "    net = model.load()        # a " + cls + " with the trained weights, in eval mode\n"
               "    " + outs + " = net(" + args + ")\n\n"
               "Tensors are float32 and channels-last (NHWC) exactly as in Strata, with the batch first;\n"
               "the layers permute to NCHW inside themselves. model.build() gives the untrained model.\n";
    }

    // Each layer's attribute name, unique within its graph (done once per graph). Names that are
    // already usable keep them; the others are changed around them ("dense-1" beside "dense_1"
    // becomes "dense_1_2").
    void nameLayers(const GraphView& g) {
        if (g.layers.empty() || names_.count(g.layers[0])) return;
        std::set<std::string> taken;
        for (Layer* l : g.layers) {
            std::set<std::string> none;
            if (pythonIdentifier(l->name(), none) == l->name() && taken.insert(l->name()).second) names_[l] = l->name();
        }
        for (Layer* l : g.layers)
            if (!names_.count(l)) names_[l] = pythonIdentifier(l->name(), taken);
        // Locals for the extra outputs of a layer with several ("lstm_state_h"), after every layer's.
        for (Layer* l : g.layers)
            for (const std::string& what : l->extraOutputNames())
                extraNames_[l].push_back(pythonIdentifier(names_.at(l) + "_" + what, taken));
    }

    void addTensor(const Layer& l, const std::string& var, const std::string& attrPath, const std::string& torchVar,
                   std::vector<int64_t> permute, std::vector<std::string>& frozen, std::optional<int64_t> row = std::nullopt,
                   std::vector<int64_t> gateOrder = {}) {
        const Variable* v = l.findVariable(var);
        if (!v) return; // an optional variable (bias, gamma, beta) the layer does not have
        const std::string name = attrPath + "." + torchVar;
        const bool trainable = v->isEffectivelyTrainable();
        tensors_.push_back({v, name, std::move(permute), row, std::move(gateOrder), trainable});
        // Moving statistics and a Normalization's (adapted) mean and variance are buffers (never
        // trained); any other variable not trained is frozen.
        const bool buffer = var == "moving_mean" || var == "moving_variance" || l.type() == "Normalization";
        if (!trainable && !buffer) frozen.push_back(name);
    }

    // What a row's construct function may ask for while it makes the submodule of layer `l`.
    class Builder final : public TorchModuleBuilder {
    public:
        Builder(Generator& gen, const Layer& l, const std::string& attrPath, std::vector<std::string>& frozen)
            : gen_(gen), l_(l), attrPath_(attrPath), frozen_(frozen) {}
        void tensor(const std::string& var, const std::string& torchVar, std::vector<int64_t> permute) override {
            gen_.addTensor(l_, var, attrPath_, torchVar, std::move(permute), frozen_);
        }
        void gateTensor(const std::string& var, const std::string& torchVar, std::vector<int64_t> permute, int64_t row,
                        std::vector<int64_t> gateOrder) override {
            gen_.addTensor(l_, var, attrPath_, torchVar, std::move(permute), frozen_,
                           row < 0 ? std::nullopt : std::optional<int64_t>(row), std::move(gateOrder));
        }
        void useSnippet(const std::string& name) override {
            const TorchLayerRule* rule = torchLayerRule(l_.type());
            if (!rule || std::find(rule->optionalSnippets.begin(), rule->optionalSnippets.end(), name) == rule->optionalSnippets.end())
                throw StorageError("internal: the PyTorch row of " + l_.type() + " does not list the snippet " + name);
            if (gen_.snippetsUsed_.insert(name).second) gen_.snippetOrder_.push_back(name);
        }
        std::string blockClass(const layers::Block& b) override {
            const std::string cls = pythonClassName(b.innerSpec().name, gen_.classNames_);
            const std::string doc = "Strata block '" + torchLayerPath(l_) + "' (nested spec '" + b.innerSpec().name + "').\n";
            gen_.classes_.push_back(gen_.emitClass(blockGraph(b), cls, attrPath_ + ".", doc, &frozen_));
            return cls;
        }

    private:
        Generator& gen_;
        const Layer& l_;
        const std::string& attrPath_;
        std::vector<std::string>& frozen_;
    };

    // The Python expression that makes the submodule of layer `l` (its row of the PyTorch table,
    // TorchLayerTable.cpp); records its variables and the snippets it needs.
    std::string construct(const Layer& l, const std::string& attrPath, std::vector<std::string>& frozen) {
        const TorchLayerRule* rule = torchLayerRule(l.type());
        if (!rule || !rule->construct) {
            if (rule && !rule->notExportable.empty())
                throw StorageError("layer '" + torchLayerPath(l) + "' (" + l.type() + ") cannot be exported as PyTorch code: " +
                                   rule->notExportable);
            throw StorageError("layer '" + torchLayerPath(l) + "' of type " + l.type() + " cannot be exported as PyTorch code");
        }
        for (const auto& s : rule->snippets)
            if (snippetsUsed_.insert(s).second) snippetOrder_.push_back(s);
        Builder b(*this, l, attrPath, frozen);
        return rule->construct(l, b);
    }

    // A class for one graph; `prefix` is its submodules' state_dict prefix ("" for the model).
    // The root class (prefix "") also turns off requires_grad of every frozen parameter.
    std::string emitClass(const GraphView& g, const std::string& cls, const std::string& prefix, const std::string& doc,
                          std::vector<std::string>* frozen) {
        nameLayers(g);
        std::ostringstream init, fwd;
        for (int i : g.order) {
            const Layer& l = *g.layers[i];
            if (l.type() == "Input") continue;
            const std::string& attr = names_.at(&l);
            const std::string expr = construct(l, prefix + attr, *frozen);
            init << "        self." << attr << " = " << expr << "  # ";
            if (attr != l.name()) init << pythonString(l.name()) << ": ";
            init << l.type() << " -> " << g.shapes[i].toString();
            if (l.type() == "Flatten") init << ", in NHWC order as in Strata";
            init << "\n";
            std::string args;
            for (std::size_t a = 0; a < g.inbound[i].size(); ++a) {
                const Layer* from = g.layers[std::size_t(g.inbound[i][a])];
                const int k = a < g.inboundOutput[i].size() ? g.inboundOutput[i][a] : 0;
                args += (args.empty() ? "" : ", ") + (k == 0 ? names_.at(from) : extraNames_.at(from).at(std::size_t(k - 1)));
            }
            // A layer with several outputs (return_state) returns a tuple: its output, then its states.
            std::string targets = attr;
            if (auto e = extraNames_.find(&l); e != extraNames_.end())
                for (const std::string& n : e->second) targets += ", " + n;
            fwd << "        " << targets << " = self." << attr << "(" << args << ")\n";
        }
        std::string params, outs;
        for (int i : g.inputs) params += ", " + names_.at(g.layers[i]);
        for (int o : g.outputs) outs += (outs.empty() ? "" : ", ") + names_.at(g.layers[o]);
        std::ostringstream c;
        c << "\n\nclass " << cls << "(nn.Module):\n    \"\"\"" << docText(doc) << "    \"\"\"\n\n"
          << "    def __init__(self):\n        super().__init__()\n"
          << init.str();
        if (prefix.empty() && !frozen->empty()) {
            c << "        # Frozen in Strata (not trained there): no gradients here either.\n        for name in [\n";
            for (const auto& f : *frozen) c << "            " << pythonString(f) << ",\n";
            c << "        ]:\n            self.get_parameter(name).requires_grad_(False)\n";
        }
        c << "\n    def forward(self" << params << "):\n" << fwd.str() << "        return " << outs << "\n";
        return c.str();
    }

    const Model& model_;
    std::set<std::string> classNames_;
    std::set<std::string> snippetsUsed_;
    std::vector<std::string> snippetOrder_;
    std::vector<std::string> classes_; // block classes, innermost first
    std::vector<TorchTensor> tensors_;
    std::map<const Layer*, std::string> names_; // each layer's attribute (and forward local) name
    std::map<const Layer*, std::vector<std::string>> extraNames_; // forward locals of outputs 1, 2, ...
};

} // namespace

std::string pythonIdentifier(const std::string& name, std::set<std::string>& taken) {
    std::string id;
    for (unsigned char c : name) id += (std::isalnum(c) && c < 128) || c == '_' ? char(c) : '_';
    if (id.empty() || std::isdigit((unsigned char)id[0]) || id[0] == '_') id = "layer_" + id; // never "_private"
    if (reservedIdentifiers().count(id)) id += "_";
    std::string out = id;
    for (int n = 2; taken.count(out); ++n) out = id + "_" + std::to_string(n);
    taken.insert(out);
    return out;
}

std::string pythonClassName(const std::string& name, std::set<std::string>& taken) {
    std::string cls;
    bool upper = true;
    for (unsigned char c : name) {
        if (!std::isalnum(c) || c >= 128) {
            upper = true;
            continue;
        }
        cls += upper ? char(std::toupper(c)) : char(c);
        upper = false;
    }
    if (cls.empty() || std::isdigit((unsigned char)cls[0])) cls = "Model" + cls;
    if (reservedIdentifiers().count(cls) || taken.count(cls)) cls += "Model";
    std::string out = cls;
    for (int n = 2; taken.count(out); ++n) out = cls + std::to_string(n);
    taken.insert(out);
    return out;
}

std::string pythonString(const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace); // ASCII only
}

TorchCode generateTorchCode(const Model& model, const std::string& header) {
    if (!model.built()) throw StorageError("model '" + model.spec().name + "' must be built before it is exported to PyTorch");
    // Masks (Embedding mask_zero) are not written out: refuse a model whose masks change a layer's output.
    if (const auto effects = masks::maskEffects(model); !effects.empty())
        throw StorageError(effects.front() + " (a mask from an Embedding with mask_zero); the PyTorch export does not carry "
                           "masks: set mask_zero false, or drop the mask before that layer");
    return Generator(model).run(header);
}

} // namespace strata::storage
