#!/usr/bin/env bash
# characterize --quick on the two small models: results.json has every documented field and
# consistent numbers; the CSV files, charts and reports are drawn from it; bad input fails early.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the outputs; skipping" >&2
  exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
CHECK="python3 $HERE/results_check.py"
DOCS=$HERE/../../docs/results.md

DIR=$TMP/results/here
rc=0
"$CLI" characterize --quick --models mlp,lstm --out "$DIR" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
check "characterize exits 0 (got $rc: $(tail -c 300 "$TMP/stderr"))" test $rc -eq 0
for f in results.json report.md report.html fig1.svg fig2.svg layers.svg latency.csv best.csv \
         layers.csv op_types.csv table1.csv; do
  check "$f written" test -s "$DIR/$f"
done
check "no temporary files left" test -z "$(ls "$DIR" | grep '\.tmp\.')"
check "prints where the results are" grep -qF "$DIR/results.json" "$TMP/stdout"
check "prints the findings" grep -q "^- From 1 to 2 threads on core set" "$TMP/stdout"
check "progress on stderr" grep -q '^\[1/' "$TMP/stderr"
check "results.json has every documented field" $CHECK schema "$DIR/results.json" "$DOCS"
check "results.json is consistent" $CHECK consistency "$DIR/results.json"
check "charts, CSV and reports match results.json" $CHECK outputs "$DIR" "$DIR/results.json"
sets=$(python3 -c "import json; print(','.join(s['name'] for s in json.load(open('$DIR/results.json'))['platform']['topology']['core_sets']))")
check "every core set of this machine measured (got $sets)" json_check "$DIR/results.json" "
assert d['settings']['core_sets'] == '$sets'.split(','), d['settings']
assert 'all' in d['settings']['core_sets']
assert d['quick'] is True and d['settings']['threads'][:4] == [1, 2, 4, 8]
"
for section in "## Findings" "## Fig. 1" "## Fig. 2" "## Table I" "| mlp |" "| lstm |" \
               "oversubscribed"; do
  check "report.md has '$section'" grep -qF "$section" "$DIR/report.md"
done

# Given thread counts and a set of our own: every count runs on every set.
DIR2=$TMP/results/given
rc=0
"$CLI" characterize --quick --models mlp --threads 1,3 --core-sets mine --core-set mine=0 \
  --out "$DIR2" >"$TMP/stdout2" 2>"$TMP/stderr2" || rc=$?
check "--threads/--core-set exits 0 (got $rc: $(tail -c 300 "$TMP/stderr2"))" test $rc -eq 0
check "--threads/--core-set recorded" json_check "$DIR2/results.json" "
assert d['settings']['core_sets'] == ['mine'] and d['settings']['threads'] == [1, 3]
assert d['settings']['threads_per_set'] == 'all'
ms = d['models'][0]['measurements']
assert [(m['core_set'], m['threads'], m['oversubscribed']) for m in ms] == [('mine', 1, False), ('mine', 3, True)], ms
s = [s for s in d['platform']['topology']['core_sets'] if s['name'] == 'mine'][0]
assert s['cpus'] == '0' and s['user_defined'] is True
"
check "consistent with --threads" $CHECK consistency "$DIR2/results.json"

# Interrupted while measuring (SIGINT): the previous files stay as they were, and no partial or
# temporary file is left.
DIR3=$TMP/results/interrupted
cp -r "$DIR" "$DIR3"
"$CLI" characterize --models resnet50,inception_v1 --out "$DIR3" >/dev/null 2>"$TMP/int.err" &
pid=$!
for _ in $(seq 100); do grep -q '^\[1/' "$TMP/int.err" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
kill -INT $pid
rc=0
wait $pid || rc=$?
check "interrupted: ended by SIGINT (rc $rc)" test $rc -eq 130
check "interrupted: results.json as before" cmp -s "$DIR/results.json" "$DIR3/results.json"
check "interrupted: report.html as before" cmp -s "$DIR/report.html" "$DIR3/report.html"
check "interrupted: no temporary file" test -z "$(ls "$DIR3" | grep '\.tmp\.')"

# Bad input: one line, exit 2, before anything is measured or written.
expect_usage() { # DESCRIPTION ARGS...: exit 2, one "edgeprof: characterize:" line, no folder
  local what=$1; shift
  local out=$TMP/bad rc=0
  "$CLI" characterize --quick --models mlp --out "$out" "$@" >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
  check "$what: exit 2 (got $rc)" test $rc -eq 2
  check "$what: one error line" test "$(wc -l <"$TMP/bad.err")" -eq 1
  check "$what: names the command" grep -q '^edgeprof: characterize: ' "$TMP/bad.err"
  check "$what: nothing written" test ! -e "$out/results.json"
}
expect_usage "unknown core set" --core-sets nosuch
expect_usage "bad thread list" --threads 1,x
expect_usage "zero threads" --threads 0
expect_usage "core set of a CPU that does not exist" --core-set far=4000
expect_usage "bad core set name" --core-set Big=0
expect_usage "unknown model" --models vgg16

finish
