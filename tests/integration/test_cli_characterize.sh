#!/usr/bin/env bash
# characterize --quick on the two small models writes results.json and report.md.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the JSON; skipping" >&2
  exit 77
fi

DIR=$TMP/results/here
rc=0
"$CLI" characterize --quick --models mlp,lstm --out "$DIR" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
check "characterize exits 0 (got $rc: $(tail -c 300 "$TMP/stderr"))" test $rc -eq 0
check "results.json written" test -s "$DIR/results.json"
check "report.md written" test -s "$DIR/report.md"
check "no temporary files left" test -z "$(ls "$DIR" | grep '\.tmp\.')"
check "prints where the results are" grep -qF "$DIR/results.json" "$TMP/stdout"
check "progress on stderr" grep -q '^\[1/' "$TMP/stderr"
threads=$(nproc)
check "results.json fields" json_check "$DIR/results.json" "
assert d['schema_version'] == 1 and d['kind'] == 'characterize'
assert d['host'] and d['date']
assert d['threads'] == list(range(1, $threads + 1)), d['threads']
assert [r['name'] for r in d['table1']] == ['mlp', 'lstm']
for r in d['table1']:
    assert {'params', 'macs', 'flops', 'layers', 'input', 'output', 'paper', 'note'} <= set(r)
for m in d['models']:
    assert len(m['latency_ms']) == $threads and len(m['median_ms']) == $threads
    assert all(x > 0 for x in m['median_ms'])
    assert m['speedup'][0] == 1
    for row in m['latency_ms']:
        assert row['runs'] >= 3 and row['median'] > 0
    p = m['profile']
    assert p['threads'] == $threads
    assert abs(sum(o['percent'] for o in p['by_op_type']) - 100) < 0.1
    assert len(p['nodes']) > 0
"
for section in "Table I" "Latency (median ms" "Speedup" "Time by op type" "Observations" "| mlp |" "| lstm |"; do
  check "report.md has '$section'" grep -qF "$section" "$DIR/report.md"
done

finish
