#!/usr/bin/env bash
# sweep: a latency table per core set, thread counts above a set's size run and are marked;
# --json has the measurements, --svg draws them (the values read back from the chart); bad lists
# and sets are refused.
source "$(dirname "$0")/test_cli_helpers.bash"

rc=0
"$CLI" sweep mlp --threads 1,2,4 --core-sets all,one --runs 3 --min-time 0 \
  --json "$TMP/sweep.json" --svg "$TMP/sweep.svg" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
check "sweep exits 0 (got $rc: $(tail -c 300 "$TMP/stderr"))" test $rc -eq 0
check "a table for 'all'" grep -q "^mlp on core set 'all' (CPUs " "$TMP/stdout"
check "a table for 'one'" grep -q "^mlp on core set 'one' (CPUs " "$TMP/stdout"
check "columns" grep -q "threads   median ms      p90 ms   runs" "$TMP/stdout"
check "6 rows" test "$(grep -cE '^ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9]+' "$TMP/stdout")" -eq 6
check "4 threads on 1 CPU marked" grep -qE '^ +4 .* oversubscribed' "$TMP/stdout"
check "1 thread not marked" test "$(grep -E '^ +1 ' "$TMP/stdout" | grep -c oversubscribed)" -eq 0
check "progress on stderr" grep -q '^\[1/6\] mlp: all, 1 thread' "$TMP/stderr"
if have_python; then
  n=$(nproc)
  check "sweep.json" json_check "$TMP/sweep.json" "
assert d['schema_version'] == 2 and d['kind'] == 'sweep' and d['model'] == 'mlp'
ms = d['measurements']
assert [(m['core_set'], m['threads']) for m in ms] == [('all', 1), ('all', 2), ('all', 4), ('one', 1), ('one', 2), ('one', 4)]
for m in ms:
    assert m['oversubscribed'] == (m['threads'] > m['set_size'])
    assert m['runs'] == len(m['samples_ms']) >= 3 and m['latency_ms']['median'] > 0
    assert m['backend'] == 'cpu'
assert ms[3]['set_size'] == 1 and ms[0]['set_size'] == $n
assert {s['name'] for s in d['topology']['core_sets']} >= {'all', 'one'}
"
  check "sweep.svg draws the measurements of sweep.json" python3 - "$TMP/sweep.json" "$TMP/sweep.svg" <<'PY'
import json, sys, xml.etree.ElementTree as ET
d = json.load(open(sys.argv[1]))
root = ET.parse(sys.argv[2]).getroot()
ns = "{http://www.w3.org/2000/svg}"
cls = lambda c: [e for e in root.iter() if e.get("class") == c]
assert [p.get("data-model") for p in cls("panel")] == ["mlp"]
assert [t.text for t in root.iter(ns + "text") if t.get("class") == "panel-title"] == ["mlp"]
points = cls("point")
want = {(m["core_set"], m["threads"]): m for m in d["measurements"]}
assert len(points) == len(want) == 6, len(points)
for p in points:
    m = want[(p.get("data-core-set"), int(p.get("data-threads")))]
    assert abs(float(p.get("data-ms")) - m["latency_ms"]["median"]) < 1e-3, (p.attrib, m["latency_ms"])
    assert abs(float(p.get("data-p90")) - m["latency_ms"]["p90"]) < 1e-3, (p.attrib, m["latency_ms"])
    assert p.get("data-oversubscribed") == ("true" if m["oversubscribed"] else "false")
    assert (p.get("fill") == "#ffffff") == m["oversubscribed"]  # hollow
    assert p.get("data-noisy") == ("true" if m["noise"]["verdict"] == "noisy" else "false")
assert len(cls("noisy-mark")) == sum(m["noise"]["verdict"] == "noisy" for m in d["measurements"])
assert sorted(float(w.get("data-ms")) for w in cls("whisker")) == sorted(float(p.get("data-p90")) for p in points)
assert len(cls("line")) == 2
legend = [t.text for t in root.iter(ns + "text") if t.get("class") == "legend"]
assert any(t.startswith("all (CPUs ") for t in legend) and "one (CPUs 0)" in legend, legend
assert "oversubscribed (threads > CPUs)" in legend, legend
PY
fi
rc=0
"$CLI" sweep mlp --threads 2 --core-sets pair --core-set pair=0 --runs 3 --min-time 0 --json - \
  >"$TMP/one.json" 2>/dev/null || rc=$?
check "--core-set and --json - (got $rc)" test $rc -eq 0
if have_python; then
  check "JSON only on stdout" json_check "$TMP/one.json" "
assert [(m['core_set'], m['cpus'], m['threads'], m['oversubscribed']) for m in d['measurements']] == [('pair', '0', 2, True)]
"
fi

usage() { # DESCRIPTION PATTERN ARGS...
  local what=$1 pattern=$2 rc=0; shift 2
  "$CLI" sweep "$@" >"$TMP/u.out" 2>"$TMP/u.err" || rc=$?
  check "$what: exit 2 (got $rc)" test $rc -eq 2
  check "$what: message ($(cat "$TMP/u.err"))" grep -q "^edgeprof: sweep: .*$pattern" "$TMP/u.err"
  check "$what: nothing on stdout" test ! -s "$TMP/u.out"
}
usage "no model" "no MODEL given"
usage "unknown set" "unknown core set 'big2' (this machine has: .*all" mlp --core-sets big2
usage "bad thread list" "bad thread list '1,,2'" mlp --threads 1,,2
usage "too many threads" "thread counts go from 1 to" mlp --threads 5000
usage "core set with a CPU that does not exist" "--core-set: " mlp --core-set x=999
usage "bad budget" "--budget must be" mlp --budget -1
usage "two documents on stdout" "--json and --svg cannot both go to stdout" mlp --json - --svg -
usage "unknown model" "unknown model" vgg16

finish
