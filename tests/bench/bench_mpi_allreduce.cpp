// strata-bench-mpi: the gradient sums of data-parallel training against MPI itself. Under
// mpirun -np N, for a model spec: its trainable variables' gradient buffers, in the buckets
// DataParallelStep makes (1 MiB, from the last variable back), summed through the
// app/distributed transport (a communication thread, MPI_Iallreduce per bucket, polled), against
// one raw blocking MPI_Allreduce of the same bytes (and one raw MPI_Iallreduce + MPI_Wait, the
// primitive Strata uses, so that its own cost shows apart from MPI's). Rank 0 prints one JSON
// line: bytes, buckets, the median seconds of each and the throughput ratio (raw time / Strata's
// time; 1.0: no cost). The slowest rank's median counts.
//
//   mpirun -np 2 build/tests/bench/strata-bench-mpi resources/examples/fashion_mlp.json [--repeats 50]
#include "app/distributed/Distributed.h"
#include "engine/Model.h"
#include "engine/ModelSpec.h"
#include "engine/train/DataParallelStep.h"

#include <mpi.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

using namespace strata;

namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}
} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: mpirun -np N strata-bench-mpi MODEL.json [--repeats R] [--bucket-bytes B]\n";
        return 2;
    }
    int repeats = 50;
    int64_t bucketBytes = int64_t(1) << 20;
    for (int i = 2; i + 1 < argc; i += 2) {
        if (std::string(argv[i]) == "--repeats") repeats = std::max(1, std::stoi(argv[i + 1]));
        if (std::string(argv[i]) == "--bucket-bytes") bucketBytes = std::stoll(argv[i + 1]);
    }
    auto model = Model::fromSpec(ModelSpec::load(argv[1]));
    model->build(0);
    std::vector<int64_t> sizes;
    for (const Variable* v : model->trainableVariables()) sizes.push_back(v->value().size());
    const std::vector<int64_t> layout = train::DataParallelStep::bucketLayout(sizes, bucketBytes);

    auto mpi = distributed::start({600});
    std::vector<std::vector<float>> buckets;
    int64_t total = 0;
    for (int64_t n : layout) buckets.emplace_back(std::size_t(n), 1.0f), total += n;
    std::vector<float> flat(std::size_t(total), 1.0f);

    std::vector<double> ours, raw, rawNonBlocking;
    for (int r = 0; r < repeats + 3; ++r) { // 3 warm-up rounds; the two alternate so drift hits both
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = now();
        for (std::size_t b = 0; b < buckets.size(); ++b) mpi->startSum(int(b), buckets[b], b + 1 == buckets.size());
        mpi->waitAll();
        const double a = now() - t0;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = now();
        MPI_Allreduce(MPI_IN_PLACE, flat.data(), int(flat.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        const double b = now() - t0;
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = now();
        MPI_Request q;
        MPI_Iallreduce(MPI_IN_PLACE, flat.data(), int(flat.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &q);
        MPI_Wait(&q, MPI_STATUS_IGNORE);
        const double c = now() - t0;
        if (r >= 3) ours.push_back(a), raw.push_back(b), rawNonBlocking.push_back(c);
        for (auto& v : buckets) std::fill(v.begin(), v.end(), 1.0f); // keep the values finite
        std::fill(flat.begin(), flat.end(), 1.0f);
    }
    // The slowest rank's median decides: every rank waits for it.
    double m[3] = {median(ours), median(raw), median(rawNonBlocking)};
    MPI_Allreduce(MPI_IN_PLACE, m, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    if (mpi->rank() == 0) {
        const double bytes = double(total) * sizeof(float);
        std::cout << nlohmann::json{{"benchmark", "gradient_allreduce"}, {"model", model->name()}, {"ranks", mpi->size()},
                                    {"bytes", int64_t(bytes)}, {"buckets", layout.size()}, {"repeats", repeats},
                                    {"strata_seconds", m[0]}, {"raw_seconds", m[1]},
                                    {"strata_gb_per_s", bytes / m[0] / 1e9}, {"raw_gb_per_s", bytes / m[1] / 1e9},
                                    {"ratio", m[1] / m[0]}, {"raw_iallreduce_seconds", m[2]},
                                    {"ratio_to_iallreduce", m[2] / m[0]}}
                         .dump()
                  << std::endl;
    }
    return 0;
}
