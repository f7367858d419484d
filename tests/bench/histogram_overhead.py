#!/usr/bin/python3
"""What recording variable histograms every epoch costs a training run (issue 17: under 5%).

  /usr/bin/python3 tests/bench/histogram_overhead.py [--build build] [--epochs 3] [--repeats 4]
                                                     [--model fashion_mlp] [--data fashion-mnist]
                                                     [--device cpu] [--limit 0.05]

Trains resources/examples/<model>.json on <data> with `strata-cli train --project` into a fresh
project per run, once with histograms (the default: at the end of every epoch a value histogram
of every trainable variable read from the backend and a gradient histogram of the epoch's last
step, stored in the project) and once with --no-histograms, alternating, --repeats times each.
Each run's wall time and CPU time (user + system, os.wait4; the whole command: loading,
training, validation, checkpoints, test), the sum of its epochs' training seconds (the trainer's
own clock, which includes the last step's gradient fetch but not the histograms), the seconds
it spent making and storing histograms (the run's result "histogram_seconds", measured in the
process around that work) and its peak RSS (ru_maxrss) are printed as a JSON line. The last line
has the medians and two overheads:
  overhead_in_run: median over the runs with histograms of histogram_seconds / training seconds
    of the same run (both clocks see the same machine load, so this is the precise figure; it is
    the one held to --limit, exit status 1 above it);
  overhead_cpu_across_runs: (median CPU seconds with - median CPU seconds without) / median
    training seconds without, which also covers the gradient fetch in each epoch's last step but
    on a shared machine is only as good as the noise between runs (a few percent).
"""
import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def train(cli, spec, data, epochs, device, histograms, directory, index):
    project = os.path.join(directory, "run%d_%s.strata" % (index, "on" if histograms else "off"))
    cmd = [cli, "train", spec, "--data", data, "--epochs", str(epochs), "--device", device, "--seed", "1",
           "--project", project, "--json"]
    if not histograms:
        cmd.append("--no-histograms")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.exit("strata-cli train failed (%s): %s" % (" ".join(cmd), err.read()))
        lines = [json.loads(l) for l in out.read().strip().splitlines()]
    epochs_seen = [l for l in lines if "epoch" in l]
    train_seconds = sum(l["seconds"] for l in epochs_seen)
    size = os.path.getsize(project)
    db = sqlite3.connect("file:%s?mode=ro" % project, uri=True)
    try:
        result = json.loads(db.execute("SELECT result FROM runs").fetchone()[0])
    finally:
        db.close()
    histogram_seconds = result.get("histogram_seconds", 0.0)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(project + suffix):
            os.remove(project + suffix)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "train_s": train_seconds,
            "histogram_s": histogram_seconds, "peak_rss_bytes": usage.ru_maxrss * 1024,
            "epochs": len(epochs_seen), "test_accuracy": lines[-1].get("test_accuracy"), "project_bytes": size}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default="fashion_mlp")
    ap.add_argument("--data", default="fashion-mnist")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--limit", type=float, default=0.05)
    args = ap.parse_args()
    cli = os.path.join(args.build, "app", "strata-cli")
    spec = os.path.join(ROOT, "resources", "examples", args.model + ".json")
    runs = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="strata-hist-bench-") as directory:
        for r in range(args.repeats):
            # Alternate which goes first, so a drift in the machine's load falls on both.
            for histograms in ((True, False) if r % 2 == 0 else (False, True)):
                m = train(cli, spec, args.data, args.epochs, args.device, histograms, directory, r)
                runs[histograms].append(m)
                print(json.dumps({"bench": "histogram_overhead", "histograms": histograms, "repeat": r,
                                  **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}}), flush=True)

    def med(h, key):
        return statistics.median(m[key] for m in runs[h])

    wall_on, wall_off = med(True, "wall_s"), med(False, "wall_s")
    cpu_on, cpu_off = med(True, "cpu_s"), med(False, "cpu_s")
    train_off = med(False, "train_s")
    cross = (cpu_on - cpu_off) / train_off
    overhead = statistics.median(m["histogram_s"] / m["train_s"] for m in runs[True])
    summary = {"bench": "histogram_overhead", "model": args.model, "data": args.data, "device": args.device,
               "epochs": args.epochs, "repeats": args.repeats,
               "median_wall_s_with": round(wall_on, 4), "median_wall_s_without": round(wall_off, 4),
               "wall_ratio": round(wall_on / wall_off, 4),
               "median_cpu_s_with": round(cpu_on, 4), "median_cpu_s_without": round(cpu_off, 4),
               "cpu_ratio": round(cpu_on / cpu_off, 4),
               "median_train_s_with": round(med(True, "train_s"), 4), "median_train_s_without": round(train_off, 4),
               "median_histogram_s": round(med(True, "histogram_s"), 4),
               "overhead_in_run": round(overhead, 4), "overhead_cpu_across_runs": round(cross, 4),
               "median_peak_rss_with_bytes": med(True, "peak_rss_bytes"),
               "median_peak_rss_without_bytes": med(False, "peak_rss_bytes"),
               "median_project_bytes_with": med(True, "project_bytes"),
               "median_project_bytes_without": med(False, "project_bytes"), "limit": args.limit}
    print(json.dumps(summary))
    return 0 if overhead <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
