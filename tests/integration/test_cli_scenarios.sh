#!/usr/bin/env bash
# bench --scenario multistream / offline (issue 18, item 5): queries of 8 samples and their
# verdict, the Offline throughput derived from batch-1 runs, the JSON, and bad input. The p99
# estimate itself is checked against LoadGen's rule in unit/test_early_stopping (662 queries at
# least: too slow for a test here).
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the JSON; skipping" >&2
  exit 77
fi
rc=0
"$CLI" bench mlp --scenario multistream --min-queries 20 --min-duration 0 --json "$TMP/ms.json" \
  >"$TMP/ms.out" 2>"$TMP/ms.err" || rc=$?
check "multistream: exit 0 (got $rc: $(cat "$TMP/ms.err"))" test $rc -eq 0
check "multistream: the result line" grep -q '^MultiStream: no 99th percentile early-stopping estimate (20 queries of 8 samples), INVALID (too few queries for an early-stopping estimate (need 662))' "$TMP/ms.out"
check "multistream JSON" json_check "$TMP/ms.json" '
m = d["multistream"]
assert d["runs"] >= 160 and m["queries"] == d["runs"] // 8 and m["samples_per_query"] == 8, m
assert m["discarded"] is None and m["p99_estimate_ms"] is None and m["valid"] is False, m
assert "need 662" in m["reason"] and d["singlestream"] is None and d["offline"] is None'
rc=0
"$CLI" bench mlp --scenario offline --min-queries 50 --min-duration 0.2s --json "$TMP/off.json" \
  >"$TMP/off.out" 2>"$TMP/off.err" || rc=$?
check "offline: exit 0 (got $rc: $(cat "$TMP/off.err"))" test $rc -eq 0
check "offline: the result line" grep -qE '^Offline: [0-9.]+ samples/s \([0-9]+ samples in .*batch 1, one after another\), VALID$' "$TMP/off.out"
check "offline JSON: samples over the wall time of the timed runs" json_check "$TMP/off.json" '
o = d["offline"]
assert o["samples"] == d["runs"] >= 50 and o["seconds"] >= 0.2, o
assert abs(o["samples_per_s"] - o["samples"] / o["seconds"]) <= 1e-3 * o["samples_per_s"] + 1e-3, o
assert o["seconds"] * 1000 >= 0.999 * sum(d["samples_ms"]), (o, sum(d["samples_ms"]))
assert o["valid"] is True and o["reason"] is None and d["multistream"] is None, o'
rc=0
"$CLI" bench mlp --scenario server >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
check "unknown scenario: exit 2 (got $rc)" test $rc -eq 2
check "unknown scenario: one line naming the known ones" grep -q "known: singlestream, multistream, offline" "$TMP/bad.err"
check "unknown scenario: nothing on stdout" test ! -s "$TMP/bad.out"
finish
