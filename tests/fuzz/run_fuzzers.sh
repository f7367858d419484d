#!/usr/bin/env bash
# Runs Strata's libFuzzer targets (tests/fuzz/README.md).
#
#   tests/fuzz/run_fuzzers.sh [SECONDS_EACH] [BUILD_DIR]
#       every fuzz_* target of BUILD_DIR (default build-asan) for SECONDS_EACH (default 3600), one
#       after the other, each over its growing corpus in BUILD_DIR/fuzz/corpus/<target> (seeded
#       from tests/fuzz/corpus/<target>), going on after a finding (libFuzzer's fork mode); then one
#       table: executions, coverage (cov and ft, libFuzzer's final figures), findings and where
#       they are (BUILD_DIR/fuzz/artifacts/<target>/crash-*, timeout-*, oom-*, leak-*). Logs in
#       BUILD_DIR/fuzz/logs. Exit status 1 when anything was found.
#       Environment: STRATA_FUZZ_TARGETS="fuzz_csv fuzz_npy" runs only those targets (two shells with
#       different lists fuzz side by side); STRATA_FUZZ_BUDGET=cpu counts SECONDS_EACH as CPU time of
#       the target's whole process tree (the parent and its fork-mode children), not wall time, so a
#       target run under `nice` on a busy machine still gets its full budget.
#   tests/fuzz/run_fuzzers.sh --one EXE SECONDS WORKDIR
#       what the CTest tests (label fuzz) run: EXE over a fresh copy of its seed corpus, stopping at
#       the first finding (exit status non-zero), with the same limits.
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"

# The sanitizer settings the CTest tests get (tests/CMakeLists.txt), unless already set.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$src/../sanitizers/lsan.supp:print_suppressions=0}"
export VK_ICD_FILENAMES="${VK_ICD_FILENAMES:-/nonexistent/no-vulkan-driver-under-sanitizers.json}"
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ]; then
  for s in /usr/lib/llvm-14/bin/llvm-symbolizer "$(command -v llvm-symbolizer || true)"; do
    if [ -n "$s" ] && [ -x "$s" ]; then export ASAN_SYMBOLIZER_PATH="$s"; break; fi
  done
fi

# Per input: at most 10 s, 2 GiB of RSS and of any one allocation, and a size that fits the format.
max_len() {
  case "$1" in
    fuzz_project) echo 131072 ;;
    fuzz_model_spec|fuzz_saved_model|fuzz_onnx) echo 65536 ;;
    *) echo 16384 ;;
  esac
}
fuzz_args() { # NAME ARTIFACT_DIR
  local args=(-rss_limit_mb=2048 -timeout=10 -max_len="$(max_len "$1")" -print_final_stats=1 -artifact_prefix="$2/")
  [ -f "$src/dict/$1.dict" ] && args+=(-dict="$src/dict/$1.dict")
  printf '%s\n' "${args[@]}"
}
seed_into() { # NAME DIR
  mkdir -p "$2"
  if [ -d "$src/corpus/$1" ]; then cp -n "$src/corpus/$1"/* "$2"/ 2>/dev/null || true; fi
}
# Executions, cov and ft from libFuzzer's last status line ("#N ... cov: C ft: F ..."), as "N C F".
final_stats() {
  local line
  line="$(grep -aE '^#[0-9]+:?[[:space:]].*cov: [0-9]+' "$1" | tail -n 1 || true)"
  if [ -z "$line" ]; then echo "- - -"; return; fi
  echo "$(sed -E 's/^#([0-9]+).*/\1/' <<<"$line") $(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$line") $(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$line")"
}

if [ "${1:-}" = --one ]; then
  exe="$2" seconds="$3" work="$4"
  name="$(basename "$exe")"
  rm -rf "$work"
  mkdir -p "$work/artifacts"
  seed_into "$name" "$work/corpus"
  mapfile -t args < <(fuzz_args "$name" "$work/artifacts")
  set +e
  "$exe" "${args[@]}" -max_total_time="$seconds" "$work/corpus" >"$work/log" 2>&1
  rc=$?
  set -e
  read -r execs cov ft < <(final_stats "$work/log")
  if [ $rc -ne 0 ]; then
    tail -n 80 "$work/log"
    echo "$name: FINDING (libFuzzer exit status $rc) after $execs executions; reproducer: $(ls "$work"/artifacts/* 2>/dev/null | tr '\n' ' ')"
    echo "  rerun it: $exe $work/artifacts/<file>"
    exit 1
  fi
  echo "$name: $execs executions in ${seconds}s, cov $cov, ft $ft, nothing found (log: $work/log)"
  exit 0
fi

seconds="${1:-3600}"
build="${2:-build-asan}"
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS_EACH] [BUILD_DIR]" >&2; exit 2 ;; esac
budget="${STRATA_FUZZ_BUDGET:-wall}"
case "$budget" in wall|cpu) ;; *) echo "run_fuzzers: STRATA_FUZZ_BUDGET must be wall or cpu, not '$budget'" >&2; exit 2 ;; esac
targets=()
if [ -n "${STRATA_FUZZ_TARGETS:-}" ]; then
  for name in $STRATA_FUZZ_TARGETS; do
    exe="$build/tests/fuzz/$name"
    [ -f "$exe" ] && [ -x "$exe" ] || { echo "run_fuzzers: no fuzz target $exe (STRATA_FUZZ_TARGETS)" >&2; exit 2; }
    targets+=("$exe")
  done
else
  for exe in "$build"/tests/fuzz/fuzz_*; do [ -f "$exe" ] && [ -x "$exe" ] && targets+=("$exe"); done
fi
[ ${#targets[@]} -gt 0 ] || { echo "run_fuzzers: no fuzz_* targets in $build/tests/fuzz (configure with -DSTRATA_FUZZ=ON)" >&2; exit 2; }
out="$build/fuzz"
mkdir -p "$out/logs"
ticks_per_second="$(getconf CLK_TCK)"
# CPU ticks (user + system, own and of reaped children) of every live process in session SID.
session_cpu_ticks() {
  local total=0 f line rest
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue # the process may have ended
    rest="${line##*) }"
    # shellcheck disable=SC2086
    set -- $rest # state ppid pgrp session ... utime(12) stime(13) cutime(14) cstime(15)
    if [ "${4:-}" = "$SID" ]; then total=$((total + ${12} + ${13} + ${14} + ${15})); fi
  done
  echo "$total"
}
# Runs the fuzzer command in its own session; with the cpu budget, ends it once its process tree
# has used SECONDS of CPU: SIGINT to the fork-mode parent, then SIGKILL to the whole session (the
# figures are libFuzzer's last status line; a job killed this way is not a finding: findings are
# the artifacts). Sets `rc` (the fuzzer's exit status; 0 when the budget ended it) and `used`.
run_budgeted() { # SECONDS LOG CMD...
  local seconds="$1" log="$2"; shift 2
  setsid "$@" >"$log" 2>&1 &
  local pid=$!
  SID=$pid
  # A new session is a new scheduler autogroup, which shares the CPU equally with every other
  # group whatever the processes' nice values: give the group this script's niceness, so that
  # `nice run_fuzzers.sh` really yields to builds.
  [ -w "/proc/$pid/autogroup" ] && echo "$(nice)" >"/proc/$pid/autogroup" 2>/dev/null || true
  local spent=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    spent="$(session_cpu_ticks)"
    if [ "$budget" = cpu ] && [ "$spent" -ge $((seconds * ticks_per_second)) ]; then
      kill -INT "$pid" 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      break
    fi
  done
  wait "$pid"
  rc=$?
  used=$((spent / ticks_per_second))
  # An interrupt we sent is the budget running out, not a finding.
  if [ "$budget" = cpu ] && [ "$used" -ge "$seconds" ] && { [ $rc -eq 130 ] || [ $rc -eq 137 ] || [ $rc -eq 72 ]; }; then rc=0; fi
  return 0
}
found=0
rows=()
for exe in "${targets[@]}"; do
  name="$(basename "$exe")"
  artifacts="$out/artifacts/$name"
  mkdir -p "$artifacts"
  seed_into "$name" "$out/corpus/$name"
  mapfile -t args < <(fuzz_args "$name" "$artifacts")
  log="$out/logs/$name.log"
  before="$(ls "$artifacts" | wc -l)"
  echo "run_fuzzers: $name for ${seconds}s (log $log)"
  wall_limit="$seconds"
  [ "$budget" = cpu ] && wall_limit=$((seconds * 8))
  started="$(date +%s)"
  set +e
  run_budgeted "$seconds" "$log" "$exe" "${args[@]}" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$wall_limit" "$out/corpus/$name"
  set -e
  wall=$(( $(date +%s) - started ))
  read -r execs cov ft < <(final_stats "$log")
  crashes="$(ls "$artifacts" | grep -c '^crash-' || true)"
  timeouts="$(ls "$artifacts" | grep -c '^timeout-' || true)"
  ooms="$(ls "$artifacts" | grep -c '^oom-' || true)"
  leaks="$(ls "$artifacts" | grep -c '^leak-' || true)"
  after="$(ls "$artifacts" | wc -l)"
  new=$((after - before))
  if [ "$new" -gt 0 ] || [ $rc -ne 0 ]; then found=1; fi
  rows+=("$(printf '%-18s %7s %7s %12s %7s %8s %7s %8s %5s %5s  %s' "$name" "$used" "$wall" "$execs" "$cov" "$ft" "$crashes" "$timeouts" "$ooms" "$leaks" \
             "$([ "$after" -gt 0 ] && echo "$artifacts/" || echo -)$([ $rc -ne 0 ] && echo " (exit status $rc)")")")
done
echo
echo "fuzzing: ${seconds}s ($budget) per target, $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')"
printf '%-18s %7s %7s %12s %7s %8s %7s %8s %5s %5s  %s\n' target cpu_s wall_s executions cov ft crashes timeouts ooms leaks artifacts
printf '%s\n' "${rows[@]}"
echo "(findings counted over every run in $out/artifacts; corpora in $out/corpus)"
exit $found
