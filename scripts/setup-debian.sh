#!/usr/bin/env bash
# Installs exactly the Debian 12 packages Inpaint Studio needs to build, test and run.
# Idempotent: packages already present are skipped by apt. Works as root or through sudo.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config
  # clang with libFuzzer and the sanitizer runtimes (the sanitizer stage of scripts/test.sh)
  clang libclang-rt-14-dev
  # Qt 6 Widgets + Test (Test ships in qt6-base-dev), image plugins for WebP/TIFF
  qt6-base-dev qt6-image-formats-plugins libqt6svg6 libgl-dev
  # LibTorch 1.13 (CPU) and the threaded OpenBLAS it must use for fast matmuls
  libtorch-dev libopenblas0-pthread
  # OpenCV (classical inpainting), QCoro (coroutines over Qt signals), JSON
  libopencv-dev qcoro-qt6-dev nlohmann-json3-dev
  # the A1111-style .yaml configs beside single-file checkpoints
  libyaml-cpp-dev
  # animated WebP export of the denoising steps
  libwebp-dev
  # OpenRaster (.ora) projects are zip archives
  libzip-dev
  # fonts for the comparison sheet; GUI tests and screenshots without a display
  fonts-dejavu-core
  xvfb xauth
  # the .deb (scripts/package.sh) and its test: shlibdeps, lintian, AppStream and desktop-entry checks
  dpkg-dev lintian appstream desktop-file-utils man-db
  # test_package traces the installed editor to show it reads nothing from the source tree
  strace
)

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
