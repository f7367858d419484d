// Helpers of the ONNX suites (tst_onnx_export, tst_onnx_import, tst_onnx_roundtrip): child processes (the ONNX checker, onnxruntime), random weights and
// inputs, and the engine's own inference to compare with.
#pragma once

#include "StorageTestUtil.h"

#include "app/cli/Cli.h"
#include "engine/Activations.h"
#include "engine/train/Inference.h"
#include "engine/train/Tracer.h"

#include <QProcess>
#include <QStringList>

#include <onnx/checker.h>
#include <onnx/common/file_utils.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <string>

#include <random>
#include <sstream>

namespace strata::onnxtest {

using nlohmann::json;

inline const QString kPython = "/usr/bin/python3"; // Debian's: python3 on PATH may be another build without python3-onnx
inline const char* kInstallHint = "install them with 'bash installer/setup.sh test' as root (apt-get install python3-onnx "
                           "nodejs npm; then 'npm ci' in tests/onnx)";

inline std::string onnxToolsDir() { return std::string(STRATA_TEST_DATA_DIR) + "/../onnx"; }

struct Proc {
    int code = -1;
    std::string out, err;
};

// A tensor written by the torch scripts as {"dims": [...], "data": [...]}.
inline Tensor tensorFromJson(const json& j) {
    return Tensor::fromVector(Shape(j["dims"].get<std::vector<int64_t>>()), j["data"].get<std::vector<float>>());
}

// An NCHW tensor (PyTorch's image layout) as NHWC, the layout of an imported model's Input; other ranks as they are.
inline Tensor nchwToNhwc(const Tensor& t) {
    const auto& d = t.shape().dims();
    if (d.size() != 4) return t;
    const int64_t n = d[0], c = d[1], h = d[2], w = d[3];
    Tensor out{Shape{n, h, w, c}};
    for (int64_t b = 0; b < n; ++b)
        for (int64_t k = 0; k < c; ++k)
            for (int64_t y = 0; y < h; ++y)
                for (int64_t x = 0; x < w; ++x) out.f32()[((b * h + y) * w + x) * c + k] = t.f32()[((b * c + k) * h + y) * w + x];
    return out;
}

// The message of the StrataError `f` throws, or "(no error)".
template <class F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const StrataError& e) {
        return e.what();
    }
    return "(no error)";
}

// libonnx's full check of an ONNX file, as python's onnx.checker.check_model(full_check=True):
// the checker, then strict shape inference with type checks. Its message, or "" when it passes.
inline std::string onnxCheckerProblem(const std::filesystem::path& file) {
    try {
        ::onnx::ModelProto model;
        ::onnx::LoadProtoFromPath(file.string(), model);
        ::onnx::checker::check_model(model);
        ::onnx::shape_inference::InferShapes(model, ::onnx::OpSchemaRegistry::Instance(), ::onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        return file.string() + ": " + e.what();
    }
    return {};
}

inline Proc runProcess(const QString& program, const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.start(program, args);
    Proc r;
    if (!p.waitForStarted(30000)) {
        r.err = program.toStdString() + " did not start: " + p.errorString().toStdString();
        return r;
    }
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = program.toStdString() + " timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput().toStdString();
    r.err = p.readAllStandardError().toStdString();
    return r;
}

inline Proc runStrataCli(std::vector<std::string> args) {
    std::ostringstream out, err;
    const int code = cli::runCli(args, out, err);
    return {code, out.str(), err.str()};
}

// Non-trivial values where initializers leave zeros and ones: biases, beta, gamma, moving statistics.
inline void randomizeWeights(Model& m, uint32_t seed) {
    std::mt19937 rng(seed);
    for (Variable* v : m.variables()) {
        const std::string& n = v->name();
        float lo = -0.5f, hi = 0.5f;
        if (n == "gamma") lo = 0.5f, hi = 1.5f;
        else if (n == "moving_variance") lo = 0.3f, hi = 2.0f;
        else if (n == "kernel") continue; // glorot_uniform already
        std::uniform_real_distribution<float> u(lo, hi);
        Tensor t = v->value();
        for (float& x : t.values()) x = u(rng);
        v->assign(t);
    }
}

inline std::unique_ptr<Model> builtModel(const ModelSpec& spec, uint32_t seed) {
    auto m = Model::fromSpec(spec);
    m->build(seed);
    randomizeWeights(*m, seed + 1);
    return m;
}

// Inputs for every model input: `batch` rows, unknown dims replaced by `unknownDims` in order.
inline std::vector<Tensor> randomInputs(const Model& m, int64_t batch, uint32_t seed, std::vector<int64_t> unknownDims = {}) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.5f, 1.5f);
    std::vector<Tensor> out;
    std::size_t next = 0;
    for (int i : m.inputIndices()) {
        std::vector<int64_t> dims = m.outputShape(i).dims();
        dims[0] = batch;
        for (std::size_t d = 1; d < dims.size(); ++d)
            if (dims[d] == kUnknownDim) dims[d] = unknownDims.at(next++);
        Tensor t{Shape(dims)};
        for (float& x : t.values()) x = u(rng);
        out.push_back(std::move(t));
    }
    return out;
}

// The engine's own inference (CPU backend, inference-mode trace).
// The engine's outputs for `inputs` (all rows in one batch), through its one predict path.
inline std::vector<Tensor> engineOutputs(const Model& m, const std::vector<Tensor>& inputs) {
    cpu::CpuBackend be;
    return train::runModel(m, be, inputs, inputs.at(0).shape()[0]);
}

inline json tensorJson(const Tensor& t) {
    json data = json::array();
    for (float x : t.values()) data.push_back(double(x));
    return {{"dims", t.shape().dims()}, {"data", data}};
}

struct Case {
    std::string name;
    std::unique_ptr<Model> model;
    std::vector<Tensor> inputs;
    std::filesystem::path file; // set when exported by the test itself
};

// Element-wise |got - want| <= atol + rtol |want|; the message names the element.
inline std::string difference(const Tensor& got, const Tensor& want, double atol, double rtol) {
    if (got.shape() != want.shape()) return "shape " + got.shape().toString() + " vs " + want.shape().toString();
    for (int64_t i = 0; i < want.size(); ++i)
        if (!(std::abs(double(got.f32()[i]) - want.f32()[i]) <= atol + rtol * std::abs(want.f32()[i])))
            return "element " + std::to_string(i) + " is " + std::to_string(got.f32()[i]) + ", expected " + std::to_string(want.f32()[i]);
    return {};
}

} // namespace strata::onnxtest
