#!/usr/bin/env bash
# Noise is measured, not guessed: a CPU hog started halfway through characterize makes the
# configurations measured after it noisy (other processes' CPU time on our CPUs), the tables and
# CSV mark them, and the findings leave them out and say what they could not establish.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the outputs; skipping" >&2
  exit 77
fi
if [[ ! -r /proc/stat || ! -r /proc/self/stat ]]; then
  echo "no /proc/stat here: nothing to measure the noise with; skipping" >&2
  exit 77
fi
DIR=$TMP/hog
HOGS=()
stop_hogs() { for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done; }
trap 'stop_hogs; rm -rf "$TMP"' EXIT
# mlp then lstm, one and two threads on every CPU, no re-measuring: the hog starts when lstm
# does and runs to the end, so both lstm configurations run beside it.
"$CLI" characterize --quick --models mlp,lstm --core-sets all --threads 1,2 --remeasure 0 \
  --out "$DIR" >"$TMP/stdout" 2>"$TMP/stderr" &
pid=$!
for _ in $(seq 600); do grep -q 'lstm: building' "$TMP/stderr" 2>/dev/null && break; sleep 0.05; done
for _ in $(nproc) x; do
  timeout 60 sh -c 'while :; do :; done' &
  HOGS+=($!)
done
rc=0
wait $pid || rc=$?
stop_hogs
check "characterize with a hog: exit 0 (got $rc: $(tail -c 300 "$TMP/stderr"))" test $rc -eq 0
check "lstm's configurations, measured beside the hog, are noisy" json_check "$DIR/results.json" "
lstm = [m for m in d['models'] if m['name'] == 'lstm'][0]
for x in lstm['measurements']:
    n = x['noise']
    assert n['measured'] is True, n
    assert n['verdict'] == 'noisy', (x['threads'], n)
    assert n['other_cpu_share'] > 0.10 or n['run_queue_excess'] > 0, n
    assert n['reasons'] != '' and n['attempts'] == 1, n
"
check "latency.csv marks them" grep -q ',lstm,.*,noisy$' "$DIR/latency.csv"
check "report.md marks them" grep -q '‡' "$DIR/report.md"
check "the findings say what was left out" grep -q "^- Noise: .* left out of these findings: .*lstm" "$TMP/stdout"
check "and what could not be established" grep -q "Not established: the thread scaling of .*lstm" "$TMP/stdout"
check "lstm's profile, taken beside the hog, is noisy" json_check "$DIR/results.json" "
lstm = [m for m in d['models'] if m['name'] == 'lstm'][0]
assert lstm['profile']['noise']['verdict'] == 'noisy', lstm['profile']['noise']
"
check "and its op types are not taken for a finding" grep -q "Where the time goes is not established for .*lstm" "$TMP/stdout"
check "best.csv has the noise column" grep -q '^platform_id,.*,noise$' "$DIR/best.csv"
finish
