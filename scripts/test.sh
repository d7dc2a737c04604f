#!/usr/bin/env bash
# Installs what is needed, builds, and runs every test. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
scripts/build.sh
# SKIP_LABELS (CI sets "slow"): labels left out of a run without arguments. Slow tests are
# benchmarks and full-size-module builds that take minutes on two cores.
if [ $# -eq 0 ] && [ -n "${SKIP_LABELS:-}" ]; then
  (cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "$(nproc)" -LE "$SKIP_LABELS")
else
  (cd "${BUILD_DIR:-build}" && ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@")
fi
# The sanitizer stage (clang ASan+UBSan build of the unit tests, and the fuzzers) runs with a full
# test run (no ctest arguments, as CI does) or with SANITIZE=1; SANITIZE=0 skips it.
SANITIZE=${SANITIZE:-auto}
if [ "$SANITIZE" = 1 ] || { [ "$SANITIZE" = auto ] && [ $# -eq 0 ]; }; then
  scripts/test-sanitize.sh
fi
