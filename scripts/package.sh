#!/usr/bin/env bash
# Builds Inpaint Studio (scripts/build.sh) and makes the .deb with CPack: dependencies from
# dpkg-shlibdeps, desktop entry, hicolor icons, AppStream metainfo, man pages. Prints its path.
#   scripts/package.sh [OUT_DIR]        default: the build folder
# Install it with: sudo apt install ./build/inpaint-studio_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=$(realpath -m "${1:-$BUILD_DIR}")
command -v dpkg-shlibdeps >/dev/null || { echo "package: dpkg-shlibdeps is missing (apt-get install dpkg-dev)" >&2; exit 1; }
scripts/build.sh
mkdir -p "$OUT"
(cd "$BUILD_DIR" && cpack -G DEB -B "$OUT/_cpack" >/dev/null)
deb=$(ls -t "$OUT"/_cpack/inpaint-studio_*.deb | head -n1)
mv -f "$deb" "$OUT/"
rm -rf "$OUT/_cpack"
echo "$OUT/$(basename "$deb")"
