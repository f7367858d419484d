#!/usr/bin/env bash
# Set-up for a fresh Debian 12 machine, run as root from the repository root.
#   bash installer/setup.sh run    install what Strata needs, build it, run the main job
#   bash installer/setup.sh test   install what the tests need, build everything, run every test
set -euo pipefail
mode="${1:-}"
case "$mode" in run|test) ;; *) echo "usage: bash installer/setup.sh run|test" >&2; exit 2 ;; esac

cd "$(dirname "$0")/.."
root="$(pwd)"
build="${STRATA_BUILD_DIR:-$root/build}"

# ONNX files are read and written through Debian's libonnx (1.12) and libprotobuf (storage/onnx);
# images are decoded by stb_image (PNG, BMP) and libjpeg-turbo (JPEG); the editor's charts are
# QCustomPlot 2.1's Qt 6 build. Data-parallel training runs on OpenMPI (libopenmpi-dev, openmpi-bin).
packages=(cmake ninja-build g++ pkg-config qt6-base-dev nlohmann-json3-dev libopenblas-dev zlib1g-dev libstb-dev libturbojpeg0-dev
          libsqlite3-dev libgraphviz-dev dataset-fashion-mnist libvulkan-dev glslc mesa-vulkan-drivers vulkan-validationlayers
          libonnx-dev libprotobuf-dev libqcustomplot-dev libqcustomplot2.1-qt6
          libopenmpi-dev openmpi-bin)
if [ "$mode" = test ]; then
  # The ONNX export tests check files with onnx.checker (Debian's python3-onnx, for /usr/bin/python3)
  # and run them with onnxruntime from npm (tests/onnx/package.json). The PyTorch export's code
  # runs in Debian's torch (tests/storage/tst_torch_export). The .deb test runs cpack, whose
  # shared-library dependencies come from dpkg-shlibdeps (dpkg-dev). The golden files' independent
  # check (tests/reference/verify_golden.py, CTest reference/verify_golden) needs numpy. The ONNX
  # import tests export torchvision's architectures (weights=None) with python3-torchvision.
  packages+=(python3-onnx python3-torch python3-torchvision python3-numpy dpkg-dev file)
  command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
fi

apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt_get update -q
  apt_get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$mode" = test ]; then
  # onnxruntime-node's install script would download optional (CUDA) files: skipped, as
  # tests/onnx/.npmrc says too; its CPU library comes in the package.
  (cd "$root/tests/onnx" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

werror=OFF
[ "$mode" = test ] && werror=ON
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRATA_WERROR=$werror
cmake --build "$build" --parallel "$(nproc)"

if [ "$mode" = run ]; then
  cli="$build/app/strata-cli"
  "$cli" summary "$root/resources/examples/digits_mlp.json"
  "$cli" train "$root/resources/examples/digits_mlp.json" --data digits --epochs 30 --batch 32 \
      --optimizer adam --lr 1e-3 --seed 0
  # The app, on the example project (a copy in the user's data folder). Without a display it
  # renders the window to a PNG instead.
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    "$build/app/gui/strata"
  else
    QT_QPA_PLATFORM=offscreen "$build/app/gui/strata" --screenshot "$build/strata-editor.png" &&
      echo "setup: no display; rendered the editor to $build/strata-editor.png"
  fi
else
  if [ "${STRATA_REQUIRE_TOOLS:-}" = 1 ]; then
    # CI cannot pass by skipping: say at once when the Vulkan suites would have no device (Mesa's
    # lavapipe, package mesa-vulkan-drivers, is the one CI uses), instead of only in their output.
    # The distributed tests (CTest label mpi) start ranks with OpenMPI's mpirun.
    if ! command -v mpirun >/dev/null 2>&1; then
      echo "setup: STRATA_REQUIRE_TOOLS=1 and mpirun is missing, so the distributed tests would fail: apt-get install openmpi-bin" >&2
      exit 1
    fi
    devices="$("$build/app/strata-cli" devices 2>&1 || true)"
    if ! grep -q "vulkan:0" <<<"$devices"; then
      echo "setup: STRATA_REQUIRE_TOOLS=1 and this machine has no Vulkan device, so the Vulkan tests would fail:" >&2
      echo "$devices" | sed 's/^/setup:   /' >&2
      echo "setup: install Mesa's lavapipe (apt-get install mesa-vulkan-drivers) or check VK_ICD_FILENAMES" >&2
      exit 1
    fi
  fi
  ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 1200
fi
