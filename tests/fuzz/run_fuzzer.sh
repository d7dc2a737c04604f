#!/usr/bin/env bash
# Runs one libFuzzer harness the way the `fuzz` ctest label does:
#   run_fuzzer.sh HARNESS SEED_CORPUS WORK_DIR SECONDS [RSS_MB] [MAX_LEN]
# Replays every committed seed (tests/fuzz/corpus/<name>, read-only here), then fuzzes for SECONDS
# with a fixed seed (and tests/fuzz/dict/<name>.dict when there is one); new inputs go to
# WORK_DIR/corpus, a crash to WORK_DIR/crash-* (and the test fails).
set -euo pipefail
harness=$1 seeds=$2 work=$3 seconds=$4 rss=${5:-2048} maxlen=${6:-16384}
n=$(find "$seeds" -type f | wc -l)
if [ "$n" -eq 0 ]; then
  echo "run_fuzzer: no seed inputs in $seeds" >&2
  exit 1
fi
mkdir -p "$work/corpus"
# A dictionary of the format's tokens (tests/fuzz/dict/<name>.dict) when there is one.
dict=$(dirname "$0")/dict/$(basename "$seeds").dict
dictarg=()
[ -f "$dict" ] && dictarg=(-dict="$dict")
echo "run_fuzzer: $(basename "$harness"): $n seeds, ${seconds}s"
# The first corpus folder receives new inputs; the committed seeds are only read.
exec "$harness" -seed=1 -max_total_time="$seconds" -timeout=20 -rss_limit_mb="$rss" -max_len="$maxlen" \
  -print_final_stats=1 -artifact_prefix="$work/" "${dictarg[@]}" "$work/corpus" "$seeds"
