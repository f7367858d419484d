#!/usr/bin/env bash
# The sanitizer build (README: Sanitizers and fuzzing), run by .ci/run after the Release tests:
# clang 14 with ASan + UBSan (STRATA_SANITIZE) and the libFuzzer targets (STRATA_FUZZ), without the
# editor (STRATA_GUI=OFF): the engine, storage (with onnx and torch), session and CLI, and their
# suites (labels engine, storage, app; the Vulkan suites and the benchmarks are left out of a
# sanitizer build, tests/CMakeLists.txt says why), then every fuzz target briefly (label fuzz).
#   bash tests/sanitizers/run_sanitized_tests.sh [BUILD_DIR]     (default build-asan)
# On a fresh Debian 12 machine run as root after `bash installer/setup.sh test` (which installs
# the tests' own packages); this adds the compiler and its sanitizer runtimes.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
build="${1:-$root/build-asan}"

# clang-14 and its runtimes (libclang_rt.asan/ubsan/fuzzer: libclang-rt-14-dev), llvm-symbolizer
# for the stack traces (llvm-14).
packages=(clang-14 libclang-rt-14-dev llvm-14)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "sanitize: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "sanitize: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -q
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
fi

start=$(date +%s)
# -O1 keeps the suites fast enough under ASan; line tables are all the stack traces need; asserts stay on.
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
      -DSTRATA_SANITIZE=ON -DSTRATA_FUZZ=ON -DSTRATA_GUI=OFF -DSTRATA_WERROR=ON
cmake --build "$build" --parallel "$(nproc)"
built=$(date +%s)
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 1200 --label-exclude fuzz
tested=$(date +%s)
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --label-regex fuzz
echo "sanitize: build $((built - start)) s, sanitized tests $((tested - built)) s, fuzz targets $(($(date +%s) - tested)) s"
