#!/usr/bin/env bash
# report.html of two synthetic machines rendered by headless Chromium: the screenshot is not
# blank and shows the charts (their bar and line colours cover many pixels).
#
# Chromium is Debian's `chromium` package, in the Makefile's DEB_PACKAGES (`make deps`, which
# `make test` runs, installs it). When this test runs without it (ctest alone) it installs it
# itself if it runs as root with apt-get; it skips (exit 77) only where that is impossible.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to write the results and read the screenshot; skipping" >&2
  exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)

find_browser() { command -v chromium || command -v chromium-browser || command -v google-chrome || true; }
BROWSER=$(find_browser)
if [[ -z "$BROWSER" && "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "chromium is not installed; installing Debian's chromium" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && timeout 900 apt-get install -y -qq --no-install-recommends chromium; } \
    >"$TMP/apt.log" 2>&1 || tail -5 "$TMP/apt.log" >&2
  BROWSER=$(find_browser)
fi
if [[ -z "$BROWSER" ]]; then
  echo "chromium is not installed and cannot be installed here (not root or no apt-get; run" \
       "'make deps' as root); skipping" >&2
  exit 77
fi

python3 "$HERE/synthetic_results.py" "$TMP/in"
"$CLI" report "$TMP/in/phone" "$TMP/in/server" --out "$TMP/out" >/dev/null 2>"$TMP/report.err"
check "report written ($(cat "$TMP/report.err"))" test -s "$TMP/out/report.html"

SHOT=$TMP/shot.png
timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$(mktemp -d "$TMP/profile.XXXXXX")" --screenshot="$SHOT" --window-size=1200,2000 \
  "file://$TMP/out/report.html" >"$TMP/browser.log" 2>&1
check "screenshot taken ($(tail -c 300 "$TMP/browser.log"))" test -s "$SHOT"
[[ -s "$SHOT" ]] && check "the screenshot shows the charts" python3 - "$SHOT" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
counts = {}
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        counts[px] = counts.get(px, 0) + 1
    prev = line
total = width * height
white = counts.get(b"\xff\xff\xff", 0)
print("%dx%d: %d colours, %.1f%% white" % (width, height, len(counts), 100.0 * white / total))
assert len(counts) > 100, "only %d colours: blank page?" % len(counts)
assert white < 0.97 * total, "almost all white"
# The first two series colours (#4e79a7, #f28e2b) fill the bars of Fig. 1 and the layers chart.
def near(rgb, ref):
    return sum(n for px, n in counts.items() if all(abs(px[k] - ref[k]) <= 6 for k in range(3)))
blue, orange = near(b"", (0x4e, 0x79, 0xa7)), near(b"", (0xf2, 0x8e, 0x2b))
print("chart blue %d px, orange %d px" % (blue, orange))
assert blue > 3000 and orange > 1500, "the charts' colours are missing"
PY

finish
