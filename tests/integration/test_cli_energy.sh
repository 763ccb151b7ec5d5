#!/usr/bin/env bash
# --energy and the recorded boards: bench and profile read the meter of a board tree
# (EDGEPROF_SYSFS_ROOT=tests/fixtures/<board>/sys) and report joules per inference and mean
# power, or one line where there is no meter; plan takes a measured edge power from the
# profile; platform names a board's cores and sets.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the JSON; skipping" >&2
  exit 77
fi
FIX=$(cd "$(dirname "$0")/../fixtures" && pwd)
contains() { grep -qF -- "$2" "$1"; }
run_ok() { # run_ok DESCRIPTION ARGS...: exit 0; stdout in $TMP/stdout, stderr in $TMP/stderr
  local what=$1; shift
  local rc=0
  "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -eq 0 ]]; then pass; else fail "$what: exit $rc: $(head -c 300 "$TMP/stderr")"; return 1; fi
}

# A Jetson TX2: the INA3221 VDD_IN rail reads a constant 1.912 W.
export EDGEPROF_SYSFS_ROOT=$FIX/jetson-tx2/sys
run_ok "bench --energy (TX2)" bench mlp --energy --runs 3 --min-time 0.2 --json "$TMP/tx2.json" && {
  check "bench prints the energy line" grep -qE "^  energy +[0-9.]+ mJ per inference, 1.91 W mean" "$TMP/stdout"
  check "bench --json energy (TX2)" json_check "$TMP/tx2.json" '
e = d["energy"]
assert e["meter"] == "ina3221" and e["scope"] == "board", e
assert abs(e["mean_power_w"] - 1.912) < 1e-6, e
assert e["inferences"] == d["runs"] and e["seconds"] >= 0.2
assert abs(e["joules_per_inference"] * e["inferences"] - e["joules"]) < 1e-5
assert e["short_window"] is False'
}
run_ok "bench --energy --json - (TX2)" bench mlp --energy --runs 2 --min-time 0 --json - &&
  check "stdout is only the JSON" json_check "$TMP/stdout" 'assert d["energy"]["meter"] == "ina3221"'
run_ok "profile --energy (TX2)" profile mlp --energy --runs 3 --min-time 0.2 --json "$TMP/edge.json" &&
  check "profile --json energy" json_check "$TMP/edge.json" '
assert abs(d["energy"]["mean_power_w"] - 1.912) < 1e-6'
run_ok "platform (TX2 tree)" platform && {
  check "platform names the Denver 2 cluster" contains "$TMP/stdout" "big        1-2              2 big cores (Denver 2, 2.04 GHz)"
  check "platform names the Cortex-A57 cluster" contains "$TMP/stdout" "little     0,3-5            4 little cores (Cortex-A57, 2.04 GHz)"
  check "platform names the meter" contains "$TMP/stdout" "Energy meter: INA3221 rail VDD_IN (board input)"
}

# No meter on an RK3399 board: one line, nothing else changes.
export EDGEPROF_SYSFS_ROOT=$FIX/rk3399/sys
run_ok "bench --energy (RK3399)" bench mlp --energy --runs 2 --min-time 0 --json "$TMP/rk.json" && {
  check "no meter: one line" test "$(grep -c '^energy: no meter here (' "$TMP/stdout")" -eq 1
  check "no meter: no energy figures" test "$(grep -c 'per inference' "$TMP/stdout")" -eq 0
  check "no meter: energy is null" json_check "$TMP/rk.json" 'assert d["energy"] is None'
}
run_ok "bench --energy --json - (RK3399)" bench mlp --energy --runs 2 --min-time 0 --json - && {
  check "no meter, JSON on stdout: the line goes to stderr" contains "$TMP/stderr" "energy: no meter here ("
  check "no meter, JSON on stdout: null" json_check "$TMP/stdout" 'assert d["energy"] is None'
}
unset EDGEPROF_SYSFS_ROOT
run_ok "bench without --energy" bench mlp --runs 2 --min-time 0 --json "$TMP/plain.json" && {
  check "without --energy: no energy line" test "$(grep -c 'energy' "$TMP/stdout")" -eq 0
  check "without --energy: null" json_check "$TMP/plain.json" 'assert d["energy"] is None'
}
run_ok "bench --help" bench --help && check "bench --help mentions --energy" contains "$TMP/stdout" "--energy"

# plan: the measured power of the edge profile is the compute power unless --edge-power gives it.
run_ok "profile (server)" profile mlp --runs 3 --min-time 0 --json "$TMP/server.json"
run_ok "plan with a measured edge" plan mlp --edge "$TMP/edge.json" --server "$TMP/server.json" \
  --objective energy --json "$TMP/plan.json" && {
  check "plan says the compute power was measured" contains "$TMP/stdout" "compute 1.91 W (measured by INA3221 rail VDD_IN (board input) in $TMP/edge.json), idle 0.3 W (default)"
  check "plan --json edge_power_source" json_check "$TMP/plan.json" '
assert abs(d["edge_power_w"]["compute"] - 1.912) < 1e-6
s = d["edge_power_source"]
assert s["compute"].startswith("measured by INA3221") and s["idle"] == "default" and s["radio"] == "default", s'
}
run_ok "plan --edge-power overrides" plan mlp --edge "$TMP/edge.json" --server "$TMP/server.json" \
  --objective energy --edge-power compute=4 --json "$TMP/plan2.json" &&
  check "given power wins" json_check "$TMP/plan2.json" '
assert d["edge_power_w"]["compute"] == 4 and d["edge_power_source"]["compute"] == "given"'
run_ok "plan without a measurement" plan mlp --edge "$TMP/server.json" --server "$TMP/server.json" \
  --objective energy --json "$TMP/plan3.json" &&
  check "defaults otherwise" json_check "$TMP/plan3.json" '
assert d["edge_power_w"]["compute"] == 2.5 and d["edge_power_source"]["compute"] == "default"'
finish
