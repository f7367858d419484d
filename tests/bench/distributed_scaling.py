#!/usr/bin/env python3
"""Data-parallel figures on this machine (docs/distributed.md), as one JSON document.

1. Gradient sums: for fashion_mlp and mnist_cnn, the gradient buffers in Strata's buckets summed
   through app/distributed against one raw MPI_Allreduce of the same bytes (strata-bench-mpi;
   ratio = raw time / Strata's time, the target is >= 0.9), at 2 and 4 ranks, with the default
   1 MiB buckets and with 16 KiB buckets (several sums per step, started during the backward pass).
2. Training: samples/s of `strata-cli train --distributed` at 1, 2 and 4 ranks, a fixed batch per
   rank (weak scaling), and where a step's time went (compute, communication nothing overlapped,
   the optimizer update), from the run's {"distributed": ...} line; 1 rank without MPI as well.

    python3 tests/bench/distributed_scaling.py [--build build] [--steps 200] [--out FILE.json]

Runs as root with --allow-run-as-root; --oversubscribe lets 4 ranks share fewer cores.
"""
import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mpirun(ranks, args):
    cmd = ["mpirun", "--oversubscribe", "-np", str(ranks)]
    if os.geteuid() == 0:
        cmd.insert(1, "--allow-run-as-root")
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return subprocess.run(cmd + args, capture_output=True, text=True, env=env, timeout=1800)


def json_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


# The simulated cluster (docs/distributed.md): one rank per host, hosts on 25 Gb/s links, a ring
# allreduce of the step's gradient bytes B over N workers costing 2 (N - 1) / N * B / bandwidth
# plus 2 (N - 1) latencies, nothing of it overlapped (each of these models fits one bucket), and
# each worker's compute per step as measured here on one rank (the same batch per worker).
LINK_BYTES_PER_SECOND = 25e9 / 8
LATENCY_SECONDS = 10e-6  # one message over TCP on 25 GbE, switch included (RDMA: about 2 us)


def cluster_model(training):
    rows = []
    for t in training:
        if not (t["mpi"] and t["ranks"] == 1):
            continue
        compute = t["seconds_per_step"] * (t["compute_share"] + t["update_share"])
        for n in (8, 64):
            comm = 2 * (n - 1) / n * t["bytes_per_step"] / LINK_BYTES_PER_SECOND + 2 * (n - 1) * LATENCY_SECONDS
            step = compute + comm
            rows.append({"model": t["model"], "workers": n, "bytes": t["bytes_per_step"], "compute_seconds": compute,
                         "allreduce_seconds": comm, "step_seconds": step, "efficiency": compute / step,
                         "samples_per_second": n * t["batch_per_rank"] / step,
                         "assumptions": {"link_gbit_per_s": 25, "latency_us": LATENCY_SECONDS * 1e6,
                                         "algorithm": "ring", "overlap": "none"}})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--batch", type=int, default=64, help="per rank")
    ap.add_argument("--ranks", default="1,2,4")
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--out")
    a = ap.parse_args()
    cli = os.path.join(a.build, "app", "strata-cli")
    bench = os.path.join(a.build, "tests", "bench", "strata-bench-mpi")
    models = ["fashion_mlp", "mnist_cnn"]
    result = {"machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()}, "allreduce": [], "training": []}

    for model in models:
        spec = os.path.join(ROOT, "resources", "examples", model + ".json")
        for ranks in (2, 4):
            for bucket in (1 << 20, 16 << 10):
                r = mpirun(ranks, [bench, spec, "--repeats", str(a.repeats), "--bucket-bytes", str(bucket)])
                if r.returncode != 0:
                    sys.exit("strata-bench-mpi failed:\n" + r.stderr)
                row = json_lines(r.stdout)[-1]
                row["bucket_bytes"] = bucket
                result["allreduce"].append(row)
                print(f"allreduce {model:12} {ranks} ranks {row['buckets']:2} buckets {row['bytes']:8} B: "
                      f"strata {row['strata_seconds'] * 1e6:8.1f} us, raw {row['raw_seconds'] * 1e6:8.1f} us, "
                      f"ratio {row['ratio']:.2f}", file=sys.stderr)

    for model in models:
        spec = os.path.join(ROOT, "resources", "examples", model + ".json")
        base = ["train", spec, "--data", "fashion-mnist", "--batch", str(a.batch), "--steps", str(a.steps),
                "--device", "cpu", "--threads", "1", "--json"]
        runs = [(1, False)] + [(int(n), True) for n in a.ranks.split(",")]
        for ranks, distributed in runs:
            if distributed:
                r = mpirun(ranks, [cli] + base + ["--distributed"])
            else:
                r = subprocess.run([cli] + base, capture_output=True, text=True, timeout=1800)
            if r.returncode != 0:
                sys.exit("strata-cli train failed:\n" + r.stderr)
            lines = json_lines(r.stdout)
            epoch = next(l for l in lines if "epoch" in l)
            row = {"model": model, "ranks": ranks, "mpi": distributed, "batch_per_rank": a.batch,
                   "steps": a.steps, "samples_per_second": epoch["samples_per_second"]}
            dist = next((l["distributed"] for l in lines if "distributed" in l), None)
            if dist:
                total = dist["compute_seconds"] + dist["wait_seconds"] + dist["apply_seconds"]
                row.update({"seconds_per_step": dist["seconds_per_step"],
                            "compute_share": dist["compute_seconds"] / total,
                            "communication_share": dist["wait_seconds"] / total,
                            "update_share": dist["apply_seconds"] / total,
                            "bytes_per_step": dist["bytes_per_step"], "replicas_agree": dist["replicas_agree"]})
            result["training"].append(row)
            print(f"train {model:12} {ranks} rank(s){' mpi' if distributed else '    '}: "
                  f"{row['samples_per_second']:9.0f} samples/s"
                  + (f", {row['seconds_per_step'] * 1e3:.2f} ms/step, communication {row['communication_share']:.0%}"
                     if dist else ""), file=sys.stderr)

    result["cluster_model"] = cluster_model(result["training"])
    for row in result["cluster_model"]:
        print(f"model {row['model']:12} {row['workers']:2} workers: allreduce {row['allreduce_seconds'] * 1e3:.3f} ms, "
              f"step {row['step_seconds'] * 1e3:.3f} ms, efficiency {row['efficiency']:.0%}, "
              f"{row['samples_per_second']:.0f} samples/s", file=sys.stderr)
    text = json.dumps(result, indent=1)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
