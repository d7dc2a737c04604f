#!/usr/bin/env bash
# Installs what is needed, builds, and opens the editor with the sample photo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
exec "${BUILD_DIR:-build}/app/editor/inpaint-studio" resources/samples/coffee.png "$@"
