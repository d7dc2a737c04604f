#!/usr/bin/env bash
# test_package BUILD_DIR SOURCE_DIR: see CMakeLists.txt. Every check prints what it found; the
# first failing one ends the test with a message.
set -euo pipefail
BUILD=$(realpath "$1")
SRC=$(realpath "$2")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "test_package: FAIL: $*" >&2; exit 1; }
for tool in cpack dpkg-deb dpkg-shlibdeps lintian appstreamcli desktop-file-validate man readelf; do
  command -v "$tool" >/dev/null || fail "$tool is missing (scripts/setup-debian.sh installs it)"
done

echo "== cpack"
(cd "$BUILD" && cpack -G DEB -B "$WORK/cpack" >"$WORK/cpack.log" 2>&1) || { cat "$WORK/cpack.log"; fail "cpack failed"; }
deb=$(ls "$WORK"/cpack/inpaint-studio_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || fail "cpack made no inpaint-studio_*.deb"
echo "$(basename "$deb"): $(stat -c %s "$deb") bytes"
[[ $(basename "$deb") =~ ^inpaint-studio_[0-9.]+-[0-9]+_[a-z0-9]+\.deb$ ]] || fail "unexpected file name $(basename "$deb")"

echo "== control"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libtorch1.13 libqt6widgets6 libqt6gui6 libqt6core6 libopencv-photo406 libzip4 libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends does not list $lib (dpkg-shlibdeps should have found it)"
done
[ "$(dpkg-deb -f "$deb" Section)" = graphics ] || fail "Section is not graphics"

echo "== lintian"
lintian --tag-display-limit 0 "$deb" >"$WORK/lintian.txt" 2>&1 || true
grep -v "running with root privileges" "$WORK/lintian.txt" || true
if grep -q "^E: " "$WORK/lintian.txt"; then fail "lintian reports errors"; fi
# Known warnings, each with its reason: initial-upload-closes-no-bugs (this is not an upload to
# Debian's archive, there is no ITP bug to close). Any other warning fails the test.
unknown=$(grep "^W: " "$WORK/lintian.txt" | grep -v "initial-upload-closes-no-bugs" || true)
[ -z "$unknown" ] || fail "lintian warnings nobody has looked at: $unknown"

echo "== unpack (dpkg -x)"
ROOT="$WORK/root"
dpkg-deb -x "$deb" "$ROOT"
ID=io.github.inpaintstudio.InpaintStudio
expect=(usr/bin/inpaint-studio usr/bin/inpaint-cli usr/bin/inpaint-bench
        usr/share/applications/$ID.desktop usr/share/metainfo/$ID.metainfo.xml
        usr/share/icons/hicolor/scalable/apps/$ID.svg
        usr/share/man/man1/inpaint-studio.1.gz usr/share/man/man1/inpaint-cli.1.gz usr/share/man/man1/inpaint-bench.1.gz
        usr/share/doc/inpaint-studio/copyright usr/share/doc/inpaint-studio/changelog.Debian.gz)
for s in 16 22 24 32 48 64 128 256; do expect+=("usr/share/icons/hicolor/${s}x${s}/apps/$ID.png"); done
for f in "${expect[@]}"; do [ -s "$ROOT/$f" ] || fail "the package has no $f"; done
echo "${#expect[@]} expected files present"
for s in 16 48 256; do
  dims=$(od -An -tu1 -j16 -N8 "$ROOT/usr/share/icons/hicolor/${s}x${s}/apps/$ID.png" | awk '{print $3*256+$4 "x" $7*256+$8}')
  [ "$dims" = "${s}x${s}" ] || fail "the ${s}x${s} icon is $dims"
done
for b in inpaint-studio inpaint-cli inpaint-bench; do
  if readelf -d "$ROOT/usr/bin/$b" | grep -Eq "RPATH|RUNPATH"; then fail "$b keeps a run path: $(readelf -d "$ROOT/usr/bin/$b" | grep -E 'RPATH|RUNPATH')"; fi
done

echo "== desktop entry, metainfo, MIME, man pages"
desktop-file-validate "$ROOT/usr/share/applications/$ID.desktop" || fail "desktop-file-validate"
grep -q "^MimeType=.*image/openraster;" "$ROOT/usr/share/applications/$ID.desktop" || fail "the desktop entry does not claim .ora (image/openraster)"
appstreamcli validate --no-net "$ROOT/usr/share/metainfo/$ID.metainfo.xml" || fail "appstreamcli validate"
# One id throughout: the entry's Icon= names the hicolor icons, the metainfo launches the entry.
icon=$(sed -n 's/^Icon=//p' "$ROOT/usr/share/applications/$ID.desktop")
[ "$icon" = "$ID" ] && [ -s "$ROOT/usr/share/icons/hicolor/48x48/apps/$icon.png" ] || fail "Icon=$icon is not the installed icon $ID"
grep -q "<icon type=\"stock\">$ID</icon>" "$ROOT/usr/share/metainfo/$ID.metainfo.xml" || fail "the metainfo's icon is not $ID"
grep -q "<launchable type=\"desktop-id\">$ID.desktop</launchable>" "$ROOT/usr/share/metainfo/$ID.metainfo.xml" || fail "the metainfo does not launch $ID.desktop"
for m in inpaint-studio inpaint-cli inpaint-bench; do
  warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$ROOT/usr/share/man/man1/$m.1.gz" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "man page $m: $warnings"
done

echo "== run from the unpacked root"
out=$("$ROOT/usr/bin/inpaint-cli" --help) || fail "inpaint-cli --help exited $?"
grep -q "^usage: inpaint-cli <command>" <<<"$out" || fail "inpaint-cli --help printed no usage"
# The sample is copied out of the source tree, so that nothing the programs read lies under it.
cp "$SRC/resources/samples/coffee.png" "$WORK/coffee.png"
out=$("$ROOT/usr/bin/inpaint-cli" run --image "$WORK/coffee.png" --mask /nonexistent.png --out "$WORK/x.png" 2>&1) && fail "a missing mask did not fail"
echo "inpaint-cli with a missing mask: $out"
export XDG_RUNTIME_DIR="$WORK/runtime" XDG_STATE_HOME="$WORK/state" QT_QPA_PLATFORM=offscreen
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
# Under strace where it can trace (a container may forbid ptrace): the installed editor must not
# open, stat or run anything in the source or build tree (resources are compiled in).
trace=()
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
  trace=(strace -f -qq -e trace=%file -o "$WORK/trace.txt")
else
  echo "(strace cannot trace here: the source-tree check is skipped)"
fi
rc=0
(cd "$WORK" && "${trace[@]}" "$ROOT/usr/bin/inpaint-studio" coffee.png --demo-mask --size 900x600 --screenshot "$WORK/shot.png") \
  >"$WORK/editor.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/editor.log"; fail "the editor's --screenshot exited $rc"; }
if [ ${#trace[@]} -gt 0 ]; then
  leaks=$(grep -F -e "\"$SRC/" -e "\"$BUILD/" "$WORK/trace.txt" | grep -vF "\"$WORK/" || true)
  [ -z "$leaks" ] || fail "the installed editor reads the source or build tree: $(head -n5 <<<"$leaks")"
  echo "the editor touched $(grep -c . "$WORK/trace.txt") paths, none under $SRC or $BUILD"
fi
[ "$(od -An -c -j1 -N3 "$WORK/shot.png" | tr -d ' ')" = "PNG" ] || fail "the screenshot is not a PNG"
dims=$(od -An -tu1 -j16 -N8 "$WORK/shot.png" | awk '{print $3*256+$4 "x" $7*256+$8}')
# The window may grow past the asked height to fit its minimum layout; the width is exact.
[[ "$dims" =~ ^900x(6[0-9][0-9])$ ]] || fail "the screenshot is $dims, not 900 x about 600"
[ "$(stat -c %s "$WORK/shot.png")" -gt 20000 ] || fail "the screenshot is nearly empty"
echo "editor screenshot from the unpacked root: $dims, $(stat -c %s "$WORK/shot.png") bytes"
echo "test_package: OK"
