#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@")
# The sanitizer stage (clang ASan+UBSan build of the unit tests, and the fuzzers) runs with a full
# test run (no ctest arguments, as CI does) or with SANITIZE=1; SANITIZE=0 skips it.
SANITIZE=${SANITIZE:-auto}
if [ "$SANITIZE" = 1 ] || { [ "$SANITIZE" = auto ] && [ $# -eq 0 ]; }; then
  scripts/test-sanitize.sh
fi
