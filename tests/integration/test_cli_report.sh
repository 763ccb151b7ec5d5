#!/usr/bin/env bash
# report: two synthetic machines (a big.LITTLE phone with five networks, a server with three)
# and a schema-1 file merged into one Fig. 1 with gaps, a Fig. 2 per machine, CSV files with a
# platform_id column, findings recomputed from the numbers; newer or broken files refused.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to write and check the results; skipping" >&2
  exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
python3 "$HERE/synthetic_results.py" "$TMP/in"

OUT=$TMP/out/merged
rc=0
"$CLI" report "$TMP/in/phone" "$TMP/in/server/results.json" "$TMP/in/old" --out "$OUT" \
  >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
check "report exits 0 (got $rc: $(cat "$TMP/stderr"))" test $rc -eq 0
for f in fig1.svg fig2-oneplus-5t-snapdragon-835.svg fig2-server-xeon-e5-2620.svg fig2-oldbox.svg \
         layers.svg latency.csv best.csv layers.csv op_types.csv table1.csv report.md report.html; do
  check "$f written" test -s "$OUT/$f"
done
check "no temporary files left" test -z "$(ls "$OUT" | grep '\.tmp\.')"
check "schema 1 read with a note" grep -q "schema_version 1 (older edgeprof)" "$TMP/stderr"
check "charts, CSV and reports match the three machines" python3 "$HERE/results_check.py" \
  outputs "$OUT" "$TMP/in/phone/results.json" "$TMP/in/server/results.json" "$TMP/in/old/results.json"
check "fig1: the server lacks mobilenet_v1 and lstm, the phone bert_base: gaps, not bars" python3 - "$OUT/fig1.svg" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
gaps = {(e.get("data-machine"), e.get("data-model")) for e in root.iter() if e.get("class") == "missing"}
assert ("server-xeon-e5-2620", "mobilenet_v1") in gaps and ("server-xeon-e5-2620", "lstm") in gaps, gaps
assert ("oneplus-5t-snapdragon-835", "bert_base") in gaps, gaps
assert ("oldbox", "resnet50") in gaps and len(gaps) == 8, gaps
bars = [e for e in root.iter() if e.get("class") == "bar"]
assert len(bars) == 10 and all(float(b.get("height")) > 1 for b in bars)
# Log scale: the phone's resnet50 bar is taller than its mlp bar by log10 of the ratio.
def bar(m, n):
    return [b for b in bars if b.get("data-machine") == m and b.get("data-model") == n][0]
r, m = bar("oneplus-5t-snapdragon-835", "resnet50"), bar("oneplus-5t-snapdragon-835", "mlp")
assert float(r.get("height")) > float(m.get("height"))
PY
check "tables side by side, a gap where not measured" grep -q "| lstm | .* | not measured | " "$OUT/report.md"
check "findings: big+little slower than big (as the paper)" grep -q "^- Big and little cores together ('all', 8 CPUs).*slower for inception_v1" "$TMP/stdout"
check "findings: the transformer in a clause of its own, the paper's verdict without it" grep -q \
  "the CNNs gain .*; mlp gains .*; bert_base gains .*As in the paper, the CNNs scale" "$TMP/stdout"
check "findings: CNNs scale, LSTM and MLP do not" grep -q "the CNNs gain .*As in the paper, the CNNs scale with threads while the others benefit little" "$TMP/stdout"
check "findings: what fits on the phone" grep -q "This machine runs mlp (.* ms), lstm (.* ms) and mobilenet_v1 (.* ms) in under .* ms, but inception_v1 takes .* ms and resnet50 takes .* ms" "$TMP/stdout"
check "findings: across machines" grep -q "^- resnet50: fastest on server-xeon-e5-2620 (.*), .*× faster than on oneplus-5t-snapdragon-835" "$TMP/stdout"
check "findings: measured on some machines only" grep -q "measured on 2 of 3 machines" "$TMP/stdout"
check "CSV rows of every machine" python3 - "$OUT/latency.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
ids = {r["platform_id"] for r in rows}
assert ids == {"oneplus-5t-snapdragon-835", "server-xeon-e5-2620", "oldbox"}, ids
old = [r for r in rows if r["platform_id"] == "oldbox"]
assert [(r["core_set"], r["threads"]) for r in old] == [("all", "1"), ("all", "2")], old
PY

# One machine alone: fig2.svg, and the same ids twice get told apart.
OUT1=$TMP/out/one
"$CLI" report "$TMP/in/phone" "$TMP/in/phone" --out "$OUT1" >/dev/null 2>&1
check "a machine twice: ids made unique" test -s "$OUT1/fig2-oneplus-5t-snapdragon-835-2.svg"
"$CLI" report "$TMP/in/server" --out "$OUT1/single" >/dev/null 2>&1
check "one machine: fig2.svg" test -s "$OUT1/single/fig2.svg"

# A platform id that would leave the folder is made a plain name.
python3 - "$TMP/in/phone/results.json" "$TMP/in/evil/results.json" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
d["platform"]["id"] = "../../escaped/x"
os.makedirs(os.path.dirname(sys.argv[2]))
json.dump(d, open(sys.argv[2], "w"))
PY
"$CLI" report "$TMP/in/evil" "$TMP/in/server" --out "$TMP/out/evil/inside" >/dev/null 2>&1
check "platform id cannot name a path outside --out" test -s "$TMP/out/evil/inside/fig2-------escaped-x.svg"
check "nothing written outside --out" test ! -e "$TMP/out/escaped"

# Refused: a newer schema, not JSON, a wrong type, a missing folder; nothing written.
refused() { # DESCRIPTION PATTERN DIR
  local what=$1 pattern=$2 rc=0
  "$CLI" report "$3" --out "$TMP/out/refused" >"$TMP/r.out" 2>"$TMP/r.err" || rc=$?
  check "$what: exit 2 (got $rc)" test $rc -eq 2
  check "$what: says why ($(cat "$TMP/r.err"))" grep -q "$pattern" "$TMP/r.err"
  check "$what: one line" test "$(wc -l <"$TMP/r.err")" -eq 1
  check "$what: nothing written" test ! -e "$TMP/out/refused"
}
refused "schema 99" "schema_version 99 is not one this edgeprof reads (1 to 2): it was written by a newer edgeprof" "$TMP/in/future"
refused "not JSON" "not a JSON object" "$TMP/in/garbage"
refused "wrong type" "models\[1\].measurements\[2\]: 'threads' must be a number" "$TMP/in/badtype"
refused "missing" "cannot read .*nothere: No such file" "$TMP/in/nothere"
rc=0
"$CLI" report --out "$TMP/out/x" >/dev/null 2>"$TMP/r.err" || rc=$?
check "no DIR: exit 2" test $rc -eq 2

finish
