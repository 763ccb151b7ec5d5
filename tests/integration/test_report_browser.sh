#!/usr/bin/env bash
# report.html of two synthetic machines rendered by headless Chromium: the screenshot is not
# blank and shows the charts (their bar and line colours cover many pixels), and no text of any
# chart leaves its box, overlaps another or runs into a shape, as the browser measures it
# (svg_text_check.py). The same for a crowded report (eight machines, eight networks, long
# names) and for the charts of `sweep --svg` and `plan --sweep-bandwidth` (split.svg).
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

# Crowded: eight machines (report takes at most 8; one series each in Fig. 1) and eight networks,
# two with long names; one network noisy everywhere on one machine.
python3 - "$TMP/in/phone/results.json" "$TMP/crowd" <<'PY'
import copy, json, os, sys
base = json.load(open(sys.argv[1]))
extra = {"efficientnet_b0": "mobilenet_v1", "vit_b16_imagenet_224": "resnet50",
         "bert_base_uncased_seq128": "inception_v1"}
for k in range(8):
    d = copy.deepcopy(base)
    d["platform"]["id"] = "machine-%d-with-a-long-platform-name" % k if k % 3 == 0 else "box-%d" % k
    for name, like in extra.items():
        m = copy.deepcopy([x for x in d["models"] if x["name"] == like][0])
        m["name"] = name
        d["models"].append(m)
        t = copy.deepcopy([x for x in d["table1"] if x["name"] == like][0])
        t["name"] = name
        d["table1"].append(t)
    for m in d["models"]:  # spread the machines apart
        for x in m["measurements"]:
            for key in x["latency_ms"]:
                x["latency_ms"][key] = round(x["latency_ms"][key] * (1 + 0.7 * k), 4)
            x["samples_ms"] = [round(v * (1 + 0.7 * k), 4) for v in x["samples_ms"]]
        m["best"]["median_ms"] = m["measurements"][m["best"]["index"]]["latency_ms"]["median"]
        if k == 2 and m["name"] == "lstm":  # every configuration noisy: a marked bar in Fig. 1
            for x in m["measurements"]:
                x["noise"]["verdict"], x["noise"]["reasons"] = "noisy", "run queue 1.2 threads above ours"
    os.makedirs(os.path.join(sys.argv[2], str(k)))
    json.dump(d, open(os.path.join(sys.argv[2], str(k), "results.json"), "w"))
PY
"$CLI" report "$TMP"/crowd/{0..7} --out "$TMP/crowd/out" >/dev/null 2>"$TMP/crowd.err"
check "crowded report written ($(cat "$TMP/crowd.err"))" test -s "$TMP/crowd/out/report.html"
check "crowded report: the charts show what was measured" python3 "$HERE/results_check.py" \
  outputs "$TMP/crowd/out" "$TMP"/crowd/{0..7}/results.json

"$CLI" sweep mlp --threads 1,2,4 --core-sets all,one --runs 3 --min-time 0 --svg "$TMP/sweep.svg" \
  >/dev/null 2>"$TMP/sweep.err"
check "sweep --svg written ($(tail -c 300 "$TMP/sweep.err"))" test -s "$TMP/sweep.svg"
"$CLI" profile mlp --runs 3 --min-time 0 --warmup 0 --json "$TMP/edge.json" >/dev/null 2>&1
"$CLI" plan mlp --edge "$TMP/edge.json" --server "$TMP/edge.json" --network lte --sweep-bandwidth \
  --json "$TMP/plan.json" >/dev/null 2>"$TMP/plan.err"
check "plan --sweep-bandwidth: split.svg written ($(tail -c 300 "$TMP/plan.err"))" test -s "$TMP/split.svg"

# One browser run measures them all (each problem names its chart).
check "every text fits its chart (report, crowded report, sweep, split)" python3 \
  "$HERE/svg_text_check.py" "$BROWSER" "$TMP" "$TMP/out/report.html" "$TMP/crowd/out/report.html" \
  "$TMP/sweep.svg" "$TMP/split.svg"

finish
