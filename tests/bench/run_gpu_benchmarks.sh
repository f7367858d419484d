#!/usr/bin/env bash
# Runs the Vulkan benchmarks on whatever Vulkan device this machine has and prints one table
# (and the raw JSON lines): GEMM GFLOP/s at N = 256, 512, 1024, 2048 (Vulkan vs OpenBLAS on the
# same threads), the per-op cost of a recorded chain of 200 element-wise ops, and training
# samples/s of fashion_mlp (and of fashion_autoencoder, Conv2DTranspose) on Vulkan vs the CPU backend.
#
#   tests/bench/run_gpu_benchmarks.sh [BUILD_DIR]
#
# BUILD_DIR holds strata-bench (searched under ./build* when omitted). Environment:
#   VK_DRIVER_FILES / VK_ICD_FILENAMES  the Vulkan driver manifest(s) to use (kept as given)
#   VULKAN_LOADER                       a libvulkan.so.1 outside the library path
#   STRATA_BENCH_DEVICE                 the Vulkan device index (default: the best, GPUs first)
#   STRATA_BENCH_TIMEOUT                seconds per benchmark (default 120)
#   STRATA_BENCH_THREADS                CPU threads for OpenBLAS and the CPU backend (default: all)
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-${STRATA_BUILD_DIR:-}}"
if [ -z "$build" ]; then
  for d in "$root"/build*; do
    if [ -x "$d/tests/bench/strata-bench" ]; then build="$d"; break; fi
  done
fi
bench="$(find "${build:-$root}" -name strata-bench -type f -perm -u+x 2>/dev/null | head -n1)"
if [ -z "$bench" ]; then echo "run_gpu_benchmarks: no strata-bench under '${build:-$root}' (pass the build folder)" >&2; exit 2; fi
cli="$(find "$(dirname "$(dirname "$(dirname "$bench")")")" -name strata-cli -type f -perm -u+x 2>/dev/null | head -n1)"
limit="${STRATA_BENCH_TIMEOUT:-120}"
threads="${STRATA_BENCH_THREADS:-$(nproc)}"
device="${STRATA_BENCH_DEVICE:--1}"
out="$(mktemp -t strata-gpu-bench.XXXXXX.jsonl)"

echo "== machine"
echo "strata-bench: $bench"
uname -srm
grep -m1 "model name" /proc/cpuinfo 2>/dev/null || true
echo "cpu threads used: $threads"
command -v nvidia-smi >/dev/null && nvidia-smi -L 2>/dev/null
echo "== Vulkan"
loader="$(ldconfig -p 2>/dev/null | grep -m1 'libvulkan.so.1' | sed 's/.*=> //')"
if [ -z "$loader" ] && [ -z "${VULKAN_LOADER:-}" ]; then
  for f in /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/lib64/libvulkan.so.1 /usr/local/lib/libvulkan.so.1 /usr/lib/libvulkan.so.1; do
    if [ -e "$f" ]; then export VULKAN_LOADER="$f"; loader="$f"; break; fi
  done
fi
echo "loader: ${VULKAN_LOADER:-${loader:-NOT FOUND (install libvulkan1; the benchmarks will report errors)}}"
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  manifests="$(ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json /usr/local/share/vulkan/icd.d/*.json 2>/dev/null | tr '\n' ' ')"
  if ! echo "$manifests" | grep -qi nvidia; then
    # The NVIDIA driver ships its Vulkan ICD inside libGLX_nvidia; give the loader a manifest for it.
    glx="$(ldconfig -p 2>/dev/null | grep -m1 'libGLX_nvidia.so.0' | sed 's/.*=> //')"
    if [ -n "$glx" ]; then
      icd="$(mktemp -t nvidia_icd.XXXXXX.json)"
      printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$glx" > "$icd"
      export VK_DRIVER_FILES="$icd"
      echo "made an NVIDIA ICD manifest for $glx: $icd"
    fi
  fi
  echo "driver manifests: ${manifests:-none found}"
fi
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-}"
if [ -n "$cli" ]; then timeout "$limit" "$cli" devices 2>&1 || true; fi
timeout "$limit" "$bench" vulkan-devices 2>&1 | tee -a "$out"

run() { # run 'JSON KEYS' NAME ARGS...: one benchmark under the time limit; its JSON lines are kept
  local id="$1" line rc; shift
  line="$(timeout "$limit" "$bench" "$@" 2>&1)"; rc=$?
  [ $rc -eq 124 ] && line="{$id,\"args\":\"$*\",\"error\":\"timed out after ${limit}s\"}"
  echo "$line" | grep -q '^{' || line="{$id,\"args\":\"$*\",\"error\":\"exit $rc: $(echo "$line" | tail -n1 | tr -d '"\\')\"}"
  echo "$line"
  echo "$line" | grep '^{' >> "$out"
}

echo "== benchmarks (JSON lines)"
for n in 256 512 1024 2048; do
  run "\"bench\":\"gemm\",\"backend\":\"vulkan\",\"n\":$n" gemm-vulkan --n "$n" --device "$device"
  run "\"bench\":\"gemm\",\"backend\":\"openblas\",\"n\":$n" gemm --backend openblas --n "$n" --threads "$threads"
done
run '"bench":"op-chain","backend":"vulkan"' op-chain --backend vulkan --ops 200 --device "$device"
run '"bench":"op-chain","backend":"cpu"' op-chain --backend cpu --ops 200
for b in 64 256; do
  run "\"bench\":\"train-device\",\"backend\":\"vulkan\",\"model\":\"fashion_mlp\",\"batch\":$b" train-device --backend vulkan --model fashion_mlp --steps 300 --batch "$b" --device "$device"
  run "\"bench\":\"train-device\",\"backend\":\"cpu\",\"model\":\"fashion_mlp\",\"batch\":$b" train-device --backend cpu --model fashion_mlp --steps 300 --batch "$b" --threads "$threads"
done
# A convolutional autoencoder (Conv2D encoder, Conv2DTranspose decoder, mean squared error).
run '"bench":"train-device","backend":"vulkan","model":"fashion_autoencoder","batch":64' train-device --backend vulkan --model fashion_autoencoder --steps 50 --batch 64 --device "$device"
run '"bench":"train-device","backend":"cpu","model":"fashion_autoencoder","batch":64' train-device --backend cpu --model fashion_autoencoder --steps 50 --batch 64 --threads "$threads"

echo "== table"
if command -v python3 >/dev/null; then
  python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
def pick(**kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()): return r
    return {}
def num(r, key, fmt):
    return fmt.format(r[key]) if key in r else ("error: " + r.get("error", "missing"))[:40]
dev = next((r.get("name") for r in rows if r.get("bench") == "vulkan-devices" and r.get("chosen")), "?")
print(f"Vulkan device: {dev}")
print(f"{'benchmark':34} {'Vulkan':>14} {'CPU/OpenBLAS':>14} {'ratio':>8}")
for n in (256, 512, 1024, 2048):
    v, c = pick(bench="gemm", backend="vulkan", n=n), pick(bench="gemm", backend="openblas", n=n)
    ratio = f"{v['gflops'] / c['gflops']:.2f}x" if "gflops" in v and "gflops" in c else ""
    print(f"{'GEMM N=%d GFLOP/s' % n:34} {num(v, 'gflops', '{:.1f}'):>14} {num(c, 'gflops', '{:.1f}'):>14} {ratio:>8}")
v, c = pick(bench="op-chain", backend="vulkan"), pick(bench="op-chain", backend="cpu")
print(f"{'op chain (200 ops) us/op':34} {num(v, 'us_per_op', '{:.2f}'):>14} {num(c, 'us_per_op', '{:.2f}'):>14}")
for model, b in (("fashion_mlp", 64), ("fashion_mlp", 256), ("fashion_autoencoder", 64)):
    v = pick(bench="train-device", backend="vulkan", batch=b, model=model)
    c = pick(bench="train-device", backend="cpu", batch=b, model=model)
    ratio = f"{v['samples_per_second'] / c['samples_per_second']:.2f}x" if "samples_per_second" in v and "samples_per_second" in c else ""
    print(f"{'%s batch %d samples/s' % (model, b):34} {num(v, 'samples_per_second', '{:.0f}'):>14} {num(c, 'samples_per_second', '{:.0f}'):>14} {ratio:>8}")
    print(f"{'  host CPU us per step':34} {num(v, 'host_cpu_us_per_step', '{:.0f}'):>14} {num(c, 'host_cpu_us_per_step', '{:.0f}'):>14}")
    if "dispatches_per_step" in v:
        print(f"{'  dispatches / barriers per step':34} {'%d / %d' % (v['dispatches_per_step'], v['barriers_per_step']):>14}")
PY
else
  cat "$out"
fi
echo "== GEMM kernel sweep at N = 1024, 2048, 4096: the vec4 kernel (STRATA_GEMM_VEC4=4|8: 64x64 or 128x128 tiles)"
echo "   and the plain tiled kernel (STRATA_GEMM_TILES=BM,BN,BK,TM,TN); the default choice is in the table above"
if grep '"bench":"vulkan-devices"' "$out" | grep '"chosen":true' | grep -q '"type":"cpu"'; then
  echo "skipped: the device is a CPU driver, which uses the subgroup kernel (STRATA_GEMM_SG tunes it)"
else
sweep() { # sweep LABEL ENV...: one line per N
  local label="$1" n line; shift
  for n in 1024 2048 4096; do
    line="$(env "$@" timeout "$limit" "$bench" gemm-vulkan --n "$n" --device "$device" 2>&1 | grep '^{')"
    echo "$label n $n: $(echo "$line" | grep -o '"gflops":[0-9.]*' || echo "error or timeout")"
  done
}
for tt in 8 4; do sweep "vec4 $tt" STRATA_GEMM_KERNEL=vec4 STRATA_GEMM_VEC4=$tt; done
for tiles in 64,64,16,4,4 128,128,8,8,8 128,64,16,8,4 64,64,8,4,4; do sweep "tiled $tiles" STRATA_GEMM_KERNEL=tiled STRATA_GEMM_TILES=$tiles; done
fi
echo "== where a training step's device time goes (every command timed alone: the sum exceeds a real step)"
for m in fashion_mlp mnist_cnn fashion_autoencoder; do
  line="$(timeout "$limit" "$bench" step-profile --model "$m" --batch 64 --steps 10 --device "$device" 2>&1 | grep '^{')"
  echo "$line" >> "$out"
  if command -v python3 >/dev/null && [ -n "$line" ]; then
    echo "$line" | python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
if "error" in d: print(d["model"], "error:", d["error"]); sys.exit()
print("%s batch %d: %.0f us per step in %d commands" % (d["model"], d["batch"], d["us_per_step"], d["commands"]))
for k, us in sorted(d["us_per_kernel"].items(), key=lambda kv: -kv[1])[:6]: print("   %-14s %10.1f us" % (k, us))'
  else
    echo "$m: ${line:-error or timeout}"
  fi
done
echo "(raw JSON lines: $out)"
