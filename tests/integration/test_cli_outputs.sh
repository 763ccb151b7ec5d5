#!/usr/bin/env bash
# What benchmark-tool users expect (issue 18, item 4): init and first-inference times, --max-time,
# p50/p90/p95/p99/p999, profile --csv, profile --trace as a Chrome trace with the fields Perfetto
# needs, the top-N nodes table, and in every JSON document the schema version and environment.
source "$(dirname "$0")/test_cli_helpers.bash"
have_python || { echo "python3 missing" >&2; exit 77; }

run_ok() { # run_ok DESCRIPTION ARGS...: the command succeeds; stdout in $TMP/stdout
  local what=$1; shift
  if "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr"; then pass; else fail "$what: $(head -c 300 "$TMP/stderr")"; return 1; fi
}
ENV_CHECK='
e = d["environment"]
for k in ("host", "cpu", "isa", "backend", "edgeprof_version", "git_hash", "date"):
    assert k in e, k
assert e["isa"] in ("scalar", "avx2", "avx512", "neon"), e["isa"]
assert len(e["git_hash"]) >= 7 and e["date"].endswith("Z"), e
assert isinstance(d["schema_version"], int) and isinstance(d["kind"], str)
'

# bench: init, first inference, the tail percentiles, the environment.
if run_ok "bench --json" bench mlp --runs 20 --min-time 0 --json "$TMP/bench.json"; then
  check "bench JSON: init, first inference, percentiles, environment" json_check "$TMP/bench.json" "
$ENV_CHECK
assert d['kind'] == 'bench' and d['environment']['backend'] == 'cpu'
i = d['init_ms']
assert i['load'] > 0 and i['session'] > 0 and abs(i['total'] - i['load'] - i['session']) < 1e-3, i
assert d['first_inference_ms'] > 0
l = d['latency_ms']
assert l['min'] <= l['p50'] <= l['p90'] <= l['p95'] <= l['p99'] <= l['p999'] <= l['max'], l
assert l['p50'] == l['median']
"
  for word in "init " "first run" "p95" "p99.9"; do
    check "bench prints '$word'" grep -q -- "$word" "$TMP/stdout"
  done
fi

# --max-time stops before --runs: 10^6 runs of mlp would take minutes.
start=$(date +%s)
if run_ok "bench --max-time" bench mlp --runs 1000000 --min-time 0 --max-time 300ms --json "$TMP/max.json"; then
  check "--max-time stopped the runs early" json_check "$TMP/max.json" "
assert 1 <= d['runs'] < 1000000, d['runs']"
  check "--max-time: finished within 30 s" test $(( $(date +%s) - start )) -lt 30
fi

# profile: CSV, trace, top-N.
if run_ok "profile --csv --trace --json" profile mobilenet_v1 --runs 3 --min-time 0 --top 4 \
    --csv "$TMP/p.csv" --trace "$TMP/trace.json" --json "$TMP/p.json"; then
  check "profile prints the top 4 nodes" grep -q "^Top 4 nodes by time" "$TMP/stdout"
  check "top-4 table has 4 rows" test "$(sed -n '/^Top 4 nodes/,/^$/p' "$TMP/stdout" | grep -cE '^ +[0-9]+ ')" -eq 4
  check "profile JSON: environment, init and first inference" json_check "$TMP/p.json" "$ENV_CHECK
assert d['kind'] == 'profile'
assert d['init_ms']['load'] > 0 and d['init_ms']['session'] > 0 and d['first_inference_ms'] > 0"
  check "profile prints the init time" grep -q "^Init .* first inference" "$TMP/stdout"
  check "profile CSV: a header and one row per node, as the JSON" python3 - "$TMP/p.csv" "$TMP/p.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
assert len(rows) == len(d["nodes"]), (len(rows), len(d["nodes"]))
for r, n in zip(rows, d["nodes"]):
    assert r["name"] == n["name"] and r["op"] == n["op"], (r, n)
    assert abs(float(r["avg_ms"]) - n["avg_ms"]) < 1e-3
assert abs(float(rows[-1]["cumulative_percent"]) - 100) < 0.01
PY
  check "profile --trace: a Chrome trace Perfetto can load" python3 - "$TMP/trace.json" "$TMP/p.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))          # valid JSON
p = json.load(open(sys.argv[2]))
ev = t["traceEvents"]
assert isinstance(ev, list) and ev
spans = [e for e in ev if e["ph"] == "X"]
for e in spans:
    for k in ("name", "ph", "ts", "dur", "pid", "tid"):
        assert k in e, (k, e)
    assert isinstance(e["ts"], (int, float)) and e["dur"] >= 0 and isinstance(e["tid"], int)
runs = p["runs"]
nodes = [e for e in spans if e.get("cat") == "node"]
assert len(nodes) == runs * len(p["nodes"]), (len(nodes), runs, len(p["nodes"]))
timed = [e for e in spans if e.get("cat") == "run" and e["tid"] == nodes[0]["tid"]]
assert len(timed) == runs
# Every node lies inside the timed run it belongs to (0.5 us of rounding).
for n in nodes:
    r = timed[n["args"]["run"]]
    assert r["ts"] - 0.5 <= n["ts"] and n["ts"] + n["dur"] <= r["ts"] + r["dur"] + 0.5, (n, r)
# Per-node averages of the trace are the profile's.
first = p["nodes"][0]["name"]
avg_ms = sum(e["dur"] for e in nodes if e["name"] == first) / runs / 1000
assert abs(avg_ms - p["nodes"][0]["avg_ms"]) < 0.01, (avg_ms, p["nodes"][0]["avg_ms"])
# And every node's median over the runs is the profile's median_ms.
import statistics
for pn in p["nodes"]:
    durs = [e["dur"] for e in nodes if e["name"] == pn["name"]]
    med_ms = statistics.median(durs) / 1000
    assert abs(med_ms - pn["median_ms"]) < 0.005 + 0.01 * med_ms, (pn["name"], med_ms, pn["median_ms"])
assert t["otherData"]["kind"] == "profile_trace"
PY
fi

# Every other JSON document: schema version, kind, environment.
for doc in "info mlp" "info --table1" "sweep mlp --threads 1 --core-sets all --runs 3 --min-time 0"; do
  # shellcheck disable=SC2086
  if run_ok "$doc --json" $doc --json "$TMP/doc.json"; then
    check "$doc: schema_version, kind, environment" json_check "$TMP/doc.json" "$ENV_CHECK"
  fi
done
"$CLI" profile mlp --runs 3 --min-time 0 --json "$TMP/edge.json" >/dev/null 2>&1
if run_ok "plan --json" plan mlp --edge "$TMP/edge.json" --server "$TMP/edge.json" --json "$TMP/plan.json"; then
  check "plan: schema_version, kind, environment" json_check "$TMP/plan.json" "$ENV_CHECK"
fi

finish
