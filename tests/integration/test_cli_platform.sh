#!/usr/bin/env bash
# edgeprof platform: the text and --json forms, the ISA levels (EDGEPROF_ISA lowers the level in
# use, a level the CPU lacks or an unknown name leaves a note and no error), and that the two
# measurements give plausible numbers.
source "$(dirname "$0")/test_cli_helpers.bash"
if ! have_python; then
  echo "python3 is needed to check the JSON; skipping" >&2
  exit 77
fi

run_ok() { # run_ok DESCRIPTION ARGS...: exit 0; stdout in $TMP/stdout
  local what=$1; shift
  local rc=0
  "$CLI" "$@" >"$TMP/stdout" 2>"$TMP/stderr" || rc=$?
  if [[ $rc -eq 0 ]]; then pass; else fail "$what: exit $rc: $(head -c 300 "$TMP/stderr")"; return 1; fi
}
contains() { grep -qF -- "$2" "$1"; }

run_ok "platform" platform && {
  for field in "CPU " "cores " "caches " "ISA levels " "FP32 peak " "bandwidth "; do
    check "platform prints '$field'" contains "$TMP/stdout" "$field"
  done
}
run_ok "help platform" help platform && check "help platform shows its usage" contains "$TMP/stdout" "Usage: edgeprof platform"
# Under an emulator (EP_TEST_EMULATED: the arm64 build's tests under qemu) the measured peak says
# nothing about any CPU, so only that it was measured.
run_ok "platform --json" platform --json "$TMP/p.json" && check "platform --json fields" json_check "$TMP/p.json" '
import os
min_peak = 0.01 if os.environ.get("EP_TEST_EMULATED") else 0.5
assert d["schema_version"] == 1
c = d["cpu"]
assert c["model"] and c["cpus_online"] >= 1 and 1 <= c["cpus_allowed"] <= c["cpus_online"]
for k in c["caches"]:
    assert k["level"] in (1, 2, 3, 4) and k["size_bytes"] > 0
i = d["isa"]
assert i["available"][0] == "scalar" and i["best"] == i["available"][-1]
assert i["active"] in i["available"] and i["note"] is None
assert i["blocked_layout"] == ("NCHW8c" if i["active"] in ("avx2", "avx512") else None)  # kernel-config.c
p = d["peak_gflops"]
assert p["active"] == p["by_isa"][i["active"]] and p["active"] > min_peak
assert set(p["by_isa"]) == set(i["available"])
assert d["read_bandwidth_gbps"] > 0.1
'
best=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["isa"]["best"])' "$TMP/p.json" 2>/dev/null || echo scalar)

# EDGEPROF_ISA=scalar always applies; an unknown name and a level above the best leave a note.
EDGEPROF_ISA=scalar run_ok "EDGEPROF_ISA=scalar" platform --json "$TMP/s.json" &&
  check "EDGEPROF_ISA=scalar is in use" json_check "$TMP/s.json" '
assert d["isa"]["active"] == "scalar" and d["isa"]["note"] is None
assert d["isa"]["blocked_layout"] is None'
EDGEPROF_LAYOUT=nchw run_ok "EDGEPROF_LAYOUT=nchw" platform --json "$TMP/n.json" &&
  check "EDGEPROF_LAYOUT=nchw: no blocked layout" json_check "$TMP/n.json" '
assert d["isa"]["blocked_layout"] is None'
EDGEPROF_ISA=sse9 run_ok "EDGEPROF_ISA=sse9" platform --json "$TMP/u.json" &&
  check "unknown EDGEPROF_ISA is ignored with a note" json_check "$TMP/u.json" "
assert d['isa']['active'] == '$best' and 'sse9' in d['isa']['note']"
if [[ "$best" != avx512 ]]; then
  EDGEPROF_ISA=avx512 run_ok "EDGEPROF_ISA=avx512" platform --json "$TMP/a.json" &&
    check "EDGEPROF_ISA above the CPU is capped with a note" json_check "$TMP/a.json" "
assert d['isa']['active'] == '$best' and 'not supported' in d['isa']['note']"
fi
# Bad use.
rc=0; "$CLI" platform extra >/dev/null 2>&1 || rc=$?
check "platform with an argument exits 2" test "$rc" -eq 2
finish
