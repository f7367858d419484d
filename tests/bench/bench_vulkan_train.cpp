// strata-bench train-device --backend vulkan|cpu [--model fashion_mlp] [--steps 300] [--batch 64]
//                           [--threads T] [--device I] [--data fashion-mnist|synthetic]
// Training samples/s of an example model through the Trainer on either backend, timing only the
// training loop. Fashion-MNIST when it is installed, else random images of the same shape
// (the samples/s are the same; the accuracy is then meaningless and reported as null). On Vulkan
// it also reports the dispatches and barriers of the recorded step (STRATA_VK_REORDER=0: the
// barriers of program order, for comparison). A model named *autoencoder* (fashion_autoencoder)
// trains to give back its input, with mean squared error, and reports the test loss.
#include "BenchRegistry.h"

#include "engine/Error.h"
#include "engine/Model.h"
#include "engine/cpu/CpuBackend.h"
#include "engine/data/BuiltinDatasets.h"
#include "engine/train/Trainer.h"
#include "gpu/VulkanBackend.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <map>
#include <filesystem>
#include <iostream>

namespace strata::bench {
namespace {

data::Dataset synthetic(const Shape& sample, int64_t n, uint64_t seed) {
    data::Dataset d;
    d.name = "synthetic";
    d.x = Tensor(sample.prepended(n));
    d.y = Tensor(Shape{n}, DType::I32);
    d.numClasses = 10;
    uint32_t s = uint32_t(seed) * 2654435761u + 1u;
    for (int64_t i = 0; i < d.x.size(); ++i) s = s * 1664525u + 1013904223u, d.x.f32()[i] = float(s >> 8) / 16777216.0f;
    for (int64_t i = 0; i < n; ++i) d.y.i32()[i] = int32_t(i % 10);
    return d;
}

// An autoencoder example (fashion_autoencoder) learns to give back its input, with mean squared
// error, as strata-cli train --reconstruct; returns whether `model` is one.
bool reconstructs(const std::string& model, const Model& m, std::initializer_list<data::Dataset*> sets, train::TrainOptions& opts) {
    if (model.find("autoencoder") == std::string::npos) return false;
    for (data::Dataset* d : sets) {
        data::useInputsAsTargets(*d);
        data::reshapeTargets(*d, m.outputShape(m.outputIndices()[0]).withoutFirst());
    }
    opts.loss = "mean_squared_error";
    return true;
}

// Runs `body`, which fills `out`, and prints `out` as one JSON line, with "error" when it threw;
// the exit status says which.
template <typename Body>
int printJsonRun(nlohmann::json& out, Body body) {
    int rc = 0;
    try {
        body();
    } catch (const std::exception& e) {
        out["error"] = e.what();
        rc = 1;
    }
    std::cout << out.dump() << std::endl;
    return rc;
}

double threadCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

int runTrainDevice(const std::vector<std::string>& args) {
    const std::string backendName = argValue(args, "--backend", "vulkan");
    const std::string model = argValue(args, "--model", "fashion_mlp");
    const int64_t steps = std::stoll(argValue(args, "--steps", "300"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "64"));
    const int threads = std::stoi(argValue(args, "--threads", "1"));
    std::string dataName = argValue(args, "--data", std::filesystem::exists(data::kFashionMnistDir) ? "fashion-mnist" : "synthetic");
    nlohmann::json out = {{"bench", "train-device"}, {"backend", backendName}, {"model", model}, {"batch", batch}, {"threads", threads}};
    return printJsonRun(out, [&] {
        std::unique_ptr<ir::Backend> be;
        gpu::VulkanBackend* vulkan = nullptr;
        if (backendName == "cpu") {
            be = std::make_unique<cpu::CpuBackend>(threads);
            out["device"] = "cpu";
        } else {
            gpu::VulkanOptions o;
            o.device = std::stoi(argValue(args, "--device", "-1"));
            auto vk = std::make_unique<gpu::VulkanBackend>(o);
            out["device"] = vk->device().name;
            vulkan = vk.get();
            be = std::move(vk);
        }
        auto m = Model::fromSpec(ModelSpec::load(std::string(STRATA_SOURCE_DIR) + "/resources/examples/" + model + ".json"));
        m->build(0);
        const int in = m->inputIndices()[0];
        data::Dataset train, test;
        if (dataName == "synthetic") {
            train = synthetic(m->outputShape(in).withoutFirst(), std::max<int64_t>(steps * batch, batch), 1);
        } else {
            auto splits = data::loadBuiltinDataset(dataName);
            train = std::move(splits.train), test = std::move(splits.test);
            for (data::Dataset* d : {&train, &test}) data::reshapeFeatures(*d, m->outputShape(in).withoutFirst(), m->layers()[std::size_t(in)]->name());
        }
        // Whole batches only: a last, smaller batch is another shape, whose plan (and, on a CPU
        // driver, machine code) would be made inside the timed loop.
        if (train.size() >= batch) train = train.take(train.size() / batch * batch);
        train::TrainOptions opts;
        opts.epochs = 1 << 20;
        opts.maxSteps = steps;
        opts.batchSize = batch;
        opts.optimizer = ir::OptimizerConfig::defaults("adam");
        const bool autoencoder = reconstructs(model, *m, {&train, &test}, opts);
        { // warm-up, not counted: compiles the device's pipelines (seconds on a CPU driver); the
          // timed run continues from its 3 steps
            train::TrainOptions warm = opts;
            warm.maxSteps = 3;
            const auto t0 = std::chrono::steady_clock::now();
            train::Trainer(*m, *be, warm).fit(train);
            out["warmup_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        train::Trainer trainer(*m, *be, opts);
        const double cpu0 = threadCpuSeconds();
        const train::FitResult fit = trainer.fit(train);
        // The training thread's own CPU time per step: the host's share (batches, staging copies,
        // submits, reading results); a device's work runs elsewhere.
        out["host_cpu_us_per_step"] = fit.steps ? (threadCpuSeconds() - cpu0) * 1e6 / double(fit.steps) : 0.0;
        if (vulkan) { // the training step's command buffer (the last one recorded)
            out["dispatches_per_step"] = vulkan->lastDispatchCount();
            out["barriers_per_step"] = vulkan->lastBarrierCount();
        }
        double seconds = 0, samples = 0;
        for (const auto& e : fit.epochs) seconds += e.seconds, samples += e.samplesPerSecond * e.seconds;
        out["data"] = dataName;
        out["steps"] = fit.steps;
        out["seconds"] = seconds;
        out["samples_per_second"] = seconds > 0 ? samples / seconds : 0;
        if (test.size() && autoencoder) out["test_loss"] = trainer.evaluate(test).loss;
        out["test_accuracy"] = test.size() && !autoencoder ? nlohmann::json(trainer.evaluate(test).accuracy) : nlohmann::json(nullptr);
        out["peak_rss_bytes"] = peakRssBytes();
    });
}

// strata-bench step-profile [--model mnist_cnn] [--batch 64] [--steps 20] [--device I] [--top 12]
// Where a Vulkan training step's device time goes: every command timed with timestamp queries
// (one command at a time, so the sum is above an unprofiled step), the slowest listed with the
// op that emitted them, and the time per kernel.
int runStepProfile(const std::vector<std::string>& args) {
    const std::string model = argValue(args, "--model", "mnist_cnn");
    const int64_t steps = std::stoll(argValue(args, "--steps", "20"));
    const int64_t batch = std::stoll(argValue(args, "--batch", "64"));
    const auto top = std::size_t(std::stoul(argValue(args, "--top", "12")));
    nlohmann::json out = {{"bench", "step-profile"}, {"model", model}, {"batch", batch}};
    return printJsonRun(out, [&] {
        gpu::VulkanOptions o;
        o.device = std::stoi(argValue(args, "--device", "-1"));
        o.profile = true;
        gpu::VulkanBackend vk(o);
        out["device"] = vk.device().name;
        auto m = Model::fromSpec(ModelSpec::load(std::string(STRATA_SOURCE_DIR) + "/resources/examples/" + model + ".json"));
        m->build(0);
        data::Dataset train = synthetic(m->outputShape(m->inputIndices()[0]).withoutFirst(), (steps + 2) * batch, 1);
        // Two more steps than timed: a CPU driver compiles a pipeline's machine code on its first
        // dispatch, which its timestamps would count; the profile restarts after them.
        constexpr int64_t kWarmup = 2;
        train::TrainOptions opts;
        opts.epochs = 1;
        opts.maxSteps = steps + kWarmup;
        opts.batchSize = batch;
        opts.optimizer = ir::OptimizerConfig::defaults("adam");
        reconstructs(model, *m, {&train}, opts);
        train::Trainer trainer(*m, vk, opts);
        trainer.onStep([&](const train::StepEvent& e) {
            if (e.step == kWarmup) vk.resetProfile();
        });
        trainer.fit(train);
        std::vector<gpu::KernelTime> prof = vk.profile();
        if (prof.empty()) throw StrataError("this device has no timestamp queries on its compute queue");
        const double runs = double(prof.front().runs);
        double total = 0;
        std::map<std::string, double> byKernel;
        for (const gpu::KernelTime& k : prof) total += k.microseconds, byKernel[k.kernel] += k.microseconds / runs;
        std::stable_sort(prof.begin(), prof.end(), [](const auto& a, const auto& b) { return a.microseconds > b.microseconds; });
        nlohmann::json list = nlohmann::json::array();
        for (std::size_t i = 0; i < std::min(top, prof.size()); ++i)
            list.push_back({{"op", prof[i].label}, {"kernel", prof[i].kernel}, {"us", prof[i].microseconds / runs},
                            {"share", prof[i].microseconds / total}});
        out["runs"] = prof.front().runs;
        out["commands"] = prof.size();
        out["us_per_step"] = total / runs;
        out["slowest"] = list;
        out["us_per_kernel"] = byKernel;
        out["peak_rss_bytes"] = peakRssBytes();
    });
}

const Register profileReg("step-profile",
                          "[--model mnist_cnn] [--batch B] [--steps N] [--device I] [--top K]: device time of every "
                          "command of a Vulkan training step (timestamp queries)",
                          runStepProfile);

const Register reg("train-device",
                   "--backend vulkan|cpu [--model fashion_mlp|mnist_cnn|fashion_autoencoder] [--steps N] [--batch B] [--threads T] "
                   "[--data NAME|synthetic]: training samples/s through the Trainer",
                   runTrainDevice);

} // namespace
} // namespace strata::bench
