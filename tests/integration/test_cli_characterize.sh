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
# The scaling finding, or (on a machine too busy to establish it) the reason it is missing.
check "prints the findings" grep -qE "^- (From 1 to 2 threads on core set|Noise: .*Not established: the thread scaling)" "$TMP/stdout"
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
check "profile: the timers' cost measured and reported" json_check "$DIR/results.json" "
for m in d['models']:
    p = m['profile']
    assert 0 < p['timer_cost_us'] < 20, p['timer_cost_us']
    n = len(p['nodes'])
    assert abs(p['timer_overhead_ms'] - p['timer_cost_us'] * n / 1000) < 1e-3, (p['timer_overhead_ms'], n)
"
check "report.md: node sum beside the whole network, with the reason" \
  grep -qE "^(mlp|lstm): the node times sum to .* for the whole network .*Reason: " "$DIR/report.md"
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

# A complete run is never replaced without --force.
DIR3=$TMP/results/interrupted
cp -r "$DIR" "$DIR3"
rc=0
"$CLI" characterize --quick --models mlp --out "$DIR3" >/dev/null 2>"$TMP/force.err" || rc=$?
check "complete run kept without --force: exit 2 (got $rc)" test $rc -eq 2
check "complete run kept: says --force" grep -q -- '--force' "$TMP/force.err"
check "complete run kept: results.json as before" cmp -s "$DIR/results.json" "$DIR3/results.json"

# Interrupted while measuring (SIGINT): what finished is written as a partial run, with the
# command that resumes it; --resume completes it.
"$CLI" characterize --quick --models mlp,lstm --core-sets all --out "$DIR3" --force \
  >/dev/null 2>"$TMP/int.err" &
pid=$!
for _ in $(seq 300); do grep -q 'measuring lstm' "$TMP/int.err" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
rc=0
wait $pid || rc=$?
check "interrupted: exit 130 (rc $rc)" test $rc -eq 130
check "interrupted: no temporary file" test -z "$(ls "$DIR3" | grep '\.tmp\.')"
check "interrupted: results.json is partial, mlp complete" json_check "$DIR3/results.json" "
assert d['partial'] is True, d['partial']
names = [m['name'] for m in d['models']]
assert names[0] == 'mlp' and d['models'][0]['complete'] is True, names
assert all(not m['complete'] for m in d['models'][1:]), names
"
check "interrupted: says how to resume" grep -q 'resume with: edgeprof characterize.*--resume' \
  "$TMP/int.err"
rc=0
"$CLI" characterize --quick --models mlp --out "$DIR3" >/dev/null 2>"$TMP/noresume.err" || rc=$?
check "partial run kept without --resume or --force: exit 2 (got $rc)" test $rc -eq 2
resume=$(grep -o 'resume with: edgeprof characterize.*' "$TMP/int.err" | sed 's/^resume with: edgeprof //')
rc=0
# shellcheck disable=SC2086
"$CLI" $resume >"$TMP/resume.out" 2>"$TMP/resume.err" || rc=$?
check "resume: exit 0 (got $rc: $(tail -c 300 "$TMP/resume.err"))" test $rc -eq 0
check "resume: complete, mlp kept, lstm measured" json_check "$DIR3/results.json" "
assert d['partial'] is False
assert [m['name'] for m in d['models']] == ['mlp', 'lstm'], [m['name'] for m in d['models']]
assert all(m['complete'] for m in d['models'])
assert [t['name'] for t in d['table1']] == ['mlp', 'lstm']
assert 'resumed_date' in d and d['elapsed_s'] > 0
"
check "resume: consistent" $CHECK consistency "$DIR3/results.json"
rc=0
"$CLI" characterize --quick --models mlp,lstm --core-sets all --out "$DIR3" --resume \
  >/dev/null 2>"$TMP/resume2.err" || rc=$?
check "resume of a complete run refused: exit 2 (got $rc)" test $rc -eq 2

# SIGTERM as well: partial, exit 143.
DIR4=$TMP/results/terminated
"$CLI" characterize --quick --models mlp,lstm --core-sets all --out "$DIR4" \
  >/dev/null 2>"$TMP/term.err" &
pid=$!
for _ in $(seq 300); do grep -q 'measuring' "$TMP/term.err" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
rc=0
wait $pid || rc=$?
check "terminated: exit 143 (rc $rc)" test $rc -eq 143
check "terminated: partial results.json" json_check "$DIR4/results.json" "assert d['partial'] is True"
rc=0
"$CLI" characterize --quick --models mlp,lstm --core-sets one --out "$DIR4" --resume \
  >/dev/null 2>"$TMP/mismatch.err" || rc=$?
check "resume with other settings refused: exit 2 (got $rc)" test $rc -eq 2
check "resume with other settings: says which" grep -q 'other settings' "$TMP/mismatch.err"

# The default folder is not overwritten: a second run goes to a new one and says where.
rc=0
(cd "$TMP" && "$CLI" characterize --quick --models mlp --core-sets one --threads 1 \
  >/dev/null 2>"$TMP/d1.err" && "$CLI" characterize --quick --models mlp --core-sets one \
  --threads 1 >/dev/null 2>"$TMP/d2.err") || rc=$?
check "default folder twice: exit 0 (got $rc)" test $rc -eq 0
check "default folder twice: says where the second went" grep -q 'writing to results/.*-2' "$TMP/d2.err"
check "default folder twice: two folders" test "$(ls "$TMP/results" | grep -c -- '-2$')" -eq 1
rc=0
(cd "$TMP" && "$CLI" characterize --quick --models mlp --core-sets one --threads 1 \
  --label quiet >/dev/null 2>"$TMP/l.err") || rc=$?
check "--label: exit 0 (got $rc)" test $rc -eq 0
check "--label names the folder and the run" json_check "$(ls -d "$TMP"/results/*-quiet)/results.json" \
  "assert d['label'] == 'quiet'"
# report keeps runs of one machine apart: by label, else by number and a line on stderr, and
# never compares them as machines without saying so.
rc=0
(cd "$TMP" && "$CLI" report results/*-quiet $(ls -d results/* | grep -v -- '-quiet$' | grep -v -e interrupted -e terminated -e given -e here) \
  --out "$TMP/runs" >"$TMP/runs.out" 2>"$TMP/runs.err") || rc=$?
check "report of three runs: exit 0 (got $rc: $(tail -c 300 "$TMP/runs.err"))" test $rc -eq 0
check "report: says they are runs of one machine" grep -q "are 3 runs of one machine" "$TMP/runs.out"
check "report: the unlabelled pair named on stderr" grep -q "two runs of one machine .* without labels" "$TMP/runs.err"
check "report: the labelled run keeps its label" test -n "$(ls "$TMP/runs" | grep -- '-quiet\.svg$')"

# --latency p90est: at least 64 runs each, the estimate in every measurement, the best chosen by
# it among the configurations that passed the noise check (all of them when none did).
DIR5=$TMP/results/p90est
rc=0
"$CLI" characterize --quick --latency p90est --models mlp --core-sets one --threads 1,2 \
  --remeasure 0 --out "$DIR5" >"$TMP/p90.out" 2>"$TMP/p90.err" || rc=$?
check "--latency p90est: exit 0 (got $rc: $(tail -c 300 "$TMP/p90.err"))" test $rc -eq 0
check "--latency p90est: recorded, estimates, best by them" json_check "$DIR5/results.json" "
assert d['settings']['latency'] == 'p90est' and d['settings']['min_runs'] == 64
m = d['models'][0]
ms = m['measurements']
assert all(x['runs'] >= 64 and x['p90_estimate_ms'] >= x['latency_ms']['median'] for x in ms), ms
passed = [x for x in ms if x['noise']['verdict'] == 'ok'] or ms
best = min(passed, key=lambda x: x['p90_estimate_ms'])
assert ms[m['best']['index']] is best or ms[m['best']['index']]['p90_estimate_ms'] == best['p90_estimate_ms'], m['best']
assert m['best']['p90_estimate_ms'] == best['p90_estimate_ms']
"
check "--latency p90est: the table says so" grep -q 'p90est' "$TMP/p90.out"

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
expect_usage "bad label" --label 'a b'
expect_usage "bad --remeasure" --remeasure x
expect_usage "bad --latency" --latency p99
expect_usage "--force with --resume" --force --resume

finish
