#!/usr/bin/env bash
# The crash-safety test with many kills (issue 19: 1,000), outside CI: a training run that
# checkpoints every step is killed with SIGKILL at random moments, and after every kill the
# project must pass integrity_check, open, restore its latest checkpoint (never older than the
# one before) and predict (QtTest's 5-minute limit per test function is lifted). Prints the seed (STRATA_CRASH_SEED repeats a run) and the result.
#   tests/storage/crash_kills.sh [KILLS] [BUILD_DIR]
set -euo pipefail
kills="${1:-1000}"
build="${2:-$(dirname "$0")/../../build}"
start=$(date +%s)
STRATA_CRASH_KILLS="$kills" QT_QPA_PLATFORM=offscreen QTEST_FUNCTION_TIMEOUT=86400000 \
  "$build/tests/tst_crashsafety" trainingKilledAtRandomMomentsLeavesALoadableProject -maxwarnings 0 2>&1 | tee /tmp/crash_kills.log |
  grep -E "random seed|kills in|PASS|FAIL|Totals"
echo "crash_kills: $kills kills, $(( $(date +%s) - start )) s; corrupt projects: $(grep -c '^FAIL' /tmp/crash_kills.log || true)"
