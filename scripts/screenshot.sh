#!/usr/bin/env bash
# Starts the editor under a virtual X server (xvfb) with the sample photo open, and saves a
# screenshot of the window. The editor renders the picture itself (--screenshot), so no window
# manager or screen grabber is needed.
#   scripts/screenshot.sh [OUT.png]          default: build/screenshot.png
#   MODE=plain|mask|inpaint|split|midrun     what to show (default: split = mask painted, classical
#                                            result pending, split view against the original;
#                                            midrun = the first model of INPAINT_MODELS_PATH running,
#                                            shot after step 8 with its live preview;
#                                            compare = the object-removal comparison of those models;
#                                            outpaint = Extend Canvas 200 px right, then the first model
#                                            running on the new area, shot after step 8;
#                                            select = the cup selected with Select Object (GrabCut
#                                            rectangle, then object strokes), a stroke in progress)
#   BUILD_DIR=build                          where the editor was built (scripts/build.sh)
set -euo pipefail
OUT=$(realpath -m "${1:-${BUILD_DIR:-build}/screenshot.png}")
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
MODE=${MODE:-split}
bin="$BUILD_DIR/app/editor/inpaint-studio"
if [ ! -x "$bin" ]; then
  echo "screenshot: $bin is missing; build first with scripts/build.sh" >&2
  exit 1
fi
command -v xvfb-run >/dev/null || { echo "screenshot: xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 1; }

args=(resources/samples/coffee.png --size 1360x860 --screenshot "$OUT")
case "$MODE" in
  plain) ;;
  mask) args+=(--demo-mask) ;;
  inpaint) args+=(--demo-inpaint) ;;
  split) args+=(--demo-inpaint --split 0.55) ;;
  midrun) args+=(--demo-midrun 8) ;;
  outpaint) args+=(--demo-outpaint 8) ;;
  compare) args+=(--demo-compare) ;;
  select) args+=(--demo-select) ;;
  *) echo "screenshot: unknown MODE '$MODE' (plain, mask, inpaint, split, midrun, outpaint, compare, select)" >&2; exit 1 ;;
esac
mkdir -p "$(dirname "$OUT")"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
timeout 120 xvfb-run -a -s "-screen 0 1600x1000x24" "$bin" "${args[@]}"
test -s "$OUT" && echo "screenshot: wrote $OUT"
