#!/usr/bin/env bash
# One grammar for typed values (issue 18, item 6): durations with units everywhere (a bare
# number is seconds where documented), bit rates with a unit, --cpus setting the thread count
# when --threads is absent, and a warning when threads exceed the CPUs. (The refusals are in
# test_cli_errors.sh.)
source "$(dirname "$0")/test_cli_helpers.bash"
have_python || { echo "python3 missing" >&2; exit 77; }

ok() { # ok DESCRIPTION ARGS...: exit 0; stdout in $TMP/stdout, stderr in $TMP/stderr
  local what=$1; shift
  if "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr"; then pass; return 0; fi
  fail "$what: $(head -c 300 "$TMP/stderr")"
  return 1
}

for t in 50ms 0.05 0.05s 50000us; do
  ok "--min-time $t" bench mlp --runs 2 --min-time "$t" --json "$TMP/b.json" &&
    check "--min-time $t: ran" json_check "$TMP/b.json" "assert d['runs'] >= 2"
done
ok "--max-time 1s" bench mlp --runs 2 --min-time 0 --max-time 1s --json "$TMP/b.json"
ok "sweep --budget 500ms" sweep mlp --threads 1 --core-sets all --runs 2 --min-time 0 --budget 500ms --json "$TMP/s.json"

# Rates and RTT reach the plan as the units say.
if ok "profile for plan" profile mlp --runs 3 --min-time 0 --json "$TMP/p.json"; then
  for case in "5Mbit 40ms 5000000 40" "500kbit/s 0.1s 500000 100" "2MB/s 250us 16000000 0.25" \
              "1Gbps 1ms 1000000000 1"; do
    read -r rate rtt bps ms <<<"$case"
    ok "plan --bandwidth $rate --rtt $rtt" plan mlp --edge "$TMP/p.json" --server "$TMP/p.json" \
      --bandwidth "$rate" --rtt "$rtt" --json "$TMP/plan.json" &&
      check "plan: $rate is $bps bit/s, $rtt is $ms ms" json_check "$TMP/plan.json" "
n = d['network']
assert n['uplink_bps'] == $bps and n['downlink_bps'] == $bps, n
assert abs(n['rtt_ms'] - $ms) < 1e-9, n"
  done
fi

# --cpus without --threads: one thread per listed CPU. More threads than CPUs: a warning.
allowed=$(python3 -c "import os; print(sorted(os.sched_getaffinity(0))[:2])" 2>/dev/null | tr -d '[] ')
if [[ "$allowed" == *,* ]]; then
  ok "--cpus $allowed" bench mlp --runs 2 --min-time 0 --cpus "$allowed" --json "$TMP/c.json" &&
    check "--cpus $allowed without --threads runs 2 threads" json_check "$TMP/c.json" "assert d['threads'] == 2, d['threads']"
else
  echo "note: fewer than 2 CPUs allowed; --cpus with two CPUs not checked" >&2
fi
first=${allowed%%,*}
ok "--threads 3 --cpus $first" bench mlp --runs 2 --min-time 0 --threads 3 --cpus "$first" --json "$TMP/w.json" &&
  check "more threads than CPUs: a warning" grep -q "warning: 3 threads on 1 CPU" "$TMP/stderr"
check "  and the threads asked for" json_check "$TMP/w.json" "assert d['threads'] == 3"

finish
