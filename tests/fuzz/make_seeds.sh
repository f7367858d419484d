#!/usr/bin/env bash
# Makes the seeds that strata-cli writes (tests/fuzz/README.md): a project file with a run and its
# checkpoints, the saved model exported from it (packed as fuzz_saved_model's input) and its ONNX
# export (Strata's own, with the embedded spec). The others are checked in as they are.
#   tests/fuzz/make_seeds.sh BUILD_DIR
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
cli="${1:?usage: make_seeds.sh BUILD_DIR}/app/strata-cli"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat >"$work/tiny.json" <<'SPEC'
{"format": "strata.model/1", "name": "tiny", "layers": [
  {"name": "features", "type": "Input", "config": {"shape": [4]}},
  {"name": "hidden", "type": "Dense", "config": {"units": 5, "activation": "relu"}},
  {"name": "norm", "type": "BatchNormalization", "config": {}},
  {"name": "probs", "type": "Dense", "config": {"units": 3, "activation": "softmax"}}]}
SPEC
"$cli" train "$work/tiny.json" --data iris --epochs 2 --batch 32 --seed 1 --project "$work/tiny.strata" --checkpoint-every 3 --max-to-keep 2 >/dev/null
"$cli" export "$work/tiny.strata" --checkpoint latest --format saved-model --out "$work/saved" >/dev/null
"$cli" export "$work/saved" --format onnx --out "$work/tiny.onnx" >/dev/null
# strata-cli writes 64 KiB pages (1.2 MB for this project); the seeds are the same database
# rewritten (VACUUM) with 512-byte pages in WAL mode, as Strata keeps it, and 1 KiB pages in
# rollback-journal mode: 34 and 40 KB, under the target's max_len.
repack() { # PAGE_SIZE JOURNAL_MODE OUT
  cp "$work/tiny.strata" "$3"
  /usr/bin/python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('pragma journal_mode=delete'); c.execute('pragma page_size=$1'); c.execute('vacuum')
c.execute('pragma journal_mode=$2'); c.close()" "$3"
}
rm -f "$src"/corpus/fuzz_project/*
repack 512 wal "$src/corpus/fuzz_project/tiny_512_wal.strata"
repack 1024 delete "$src/corpus/fuzz_project/tiny_1024_rollback.strata"
cp "$work/tiny.onnx" "$src/corpus/fuzz_onnx/strata_export.onnx"
sep=$'\n@@strata-fuzz-file@@\n'
{ cat "$work/saved/saved_model.json"; printf '%s' "$sep"; cat "$work/saved/variables/variables.index"; printf '%s' "$sep"
  cat "$work/saved/variables/variables.data-00000-of-00001"; } >"$src/corpus/fuzz_saved_model/tiny_saved_model"
ls -l "$src"/corpus/fuzz_project "$src"/corpus/fuzz_saved_model "$src"/corpus/fuzz_onnx/strata_export.onnx
