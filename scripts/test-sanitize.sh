#!/usr/bin/env bash
# The sanitizer stage of the test run (scripts/test.sh calls it after the gcc tests): a clang build
# in build-asan/ with AddressSanitizer + UndefinedBehaviorSanitizer (UBSan findings abort) and the
# libFuzzer harnesses; builds only the tests whose labels are in ASAN_TEST_LABELS (default: unit and
# asan) and runs them, then every fuzz harness once (FUZZ_SECONDS each, fixed seed).
#   ASAN_TEST_LABELS='unit;asan;gui' scripts/test-sanitize.sh   # also the widget tests
#   FUZZ_SECONDS=600 scripts/test-sanitize.sh -L fuzz            # long fuzzing; extra args go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}
LABELS=${ASAN_TEST_LABELS:-unit;asan}
FUZZ_SECONDS=${FUZZ_SECONDS:-10}
GEN=()
command -v ninja >/dev/null && [ ! -f "$BUILD_DIR/CMakeCache.txt" ] && GEN=(-G Ninja)
# -O1 keeps the instrumented code fast enough while stack traces stay exact; line tables only.
cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
  -DINPAINT_SANITIZE=address,undefined -DINPAINT_FUZZ=ON \
  "-DINPAINT_TEST_LABELS=$LABELS" "-DINPAINT_FUZZ_SECONDS=$FUZZ_SECONDS" >/dev/null
cmake --build "$BUILD_DIR" --target inpaint_tests --parallel "$(nproc)"
cd "$BUILD_DIR"
if [ $# -eq 0 ]; then
  set -- -L "${LABELS//;/|}|fuzz"
fi
ctest --output-on-failure --timeout 900 -j "$(nproc)" "$@"
