#!/usr/bin/env bash
# The latency predictor end to end (docs/predict.md): a quick predict-fit on this machine (one
# thread, CPU 0, 12 s), then predictions of held-out networks the fit never saw (the zoo's MLP and LSTM)
# against their measured latency, within the tolerance docs/predict.md gives for a quick fit on a
# loaded machine: the prediction within a factor of 2 of the fastest of 15 measured runs. Also:
# the prediction JSON is a profile `plan` reads, and bad device files and requests are refused
# with one line and exit 2. (Round trip and every malformed field: tests/unit/test_predict.c.)
source "$(dirname "$0")/test_cli_helpers.bash"

rc=0
"$CLI" predict-fit --quick --budget $((12 * TIME_SCALE))s --threads 1 --cpus 0 --out "$TMP/dev.json" >"$TMP/fit.txt" 2>"$TMP/fit.err" || rc=$?
if [[ $rc -ne 0 ]]; then
  fail "predict-fit --quick: exit $rc: $(tail -n 3 "$TMP/fit.err")"
  finish
fi
pass
grep -q "configurations" "$TMP/fit.txt" && pass || fail "predict-fit prints no summary"
json_check "$TMP/dev.json" '
assert d["schema_version"] == 1 and d["kind"] == "edgeprof-device", d.get("kind")
assert [c["threads"] for c in d["configs"]] == [1]
assert d["cpus"] == "0"
m = d["configs"][0]["models"]
for c in ("conv", "fc", "eltwise", "rnn"):
    assert c in m and len(m[c]["trees"]) > 0, c
' && pass || fail "device file content"

for model in mlp lstm; do
  rc=0
  "$CLI" predict "$model" --device "$TMP/dev.json" --threads 1 --json "$TMP/$model.pred.json" \
    >"$TMP/$model.pred.txt" 2>"$TMP/err" || rc=$?
  [[ $rc -eq 0 ]] && pass || { fail "predict $model: exit $rc: $(cat "$TMP/err")"; continue; }
  grep -q "^Predicted latency" "$TMP/$model.pred.txt" && pass || fail "predict $model: no total"
  rc=0
  "$CLI" bench "$model" --threads 1 --cpus 0 --runs 15 --min-time 0 --json "$TMP/$model.bench.json" \
    >/dev/null 2>"$TMP/err" || rc=$?
  [[ $rc -eq 0 ]] && pass || { fail "bench $model: exit $rc"; continue; }
  python3 - "$TMP/$model.pred.json" "$TMP/$model.bench.json" "$model" <<'PY' && pass || fail "predict $model: outside the tolerance"
import json, sys
p = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
pred, meas = p["total_ms"], b["latency_ms"]["min"]
assert abs(sum(n["avg_ms"] for n in p["nodes"]) - pred) <= 1e-3 * max(pred, 1e-3)
print("%s: predicted %.3f ms, measured %.3f ms (fastest of 15), ratio %.2f" % (sys.argv[3], pred, meas, pred / meas))
assert 0.5 <= pred / meas <= 2.0
PY
done

# plan reads a prediction where it reads a measured profile.
rc=0
"$CLI" plan mlp --edge "$TMP/mlp.pred.json" --server "$TMP/mlp.pred.json" --network lte \
  >"$TMP/plan.txt" 2>"$TMP/err" || rc=$?
[[ $rc -eq 0 ]] && grep -q "Best for latency" "$TMP/plan.txt" && pass ||
  fail "plan on predicted profiles: exit $rc: $(cat "$TMP/err")"

# plan predicts a tier's times itself from a device file.
rc=0
"$CLI" plan lstm --edge-device "$TMP/dev.json" --server-device "$TMP/dev.json" --network wifi \
  --json "$TMP/plan.json" >"$TMP/plan2.txt" 2>"$TMP/err" || rc=$?
[[ $rc -eq 0 ]] && pass || fail "plan --edge-device --server-device: exit $rc: $(cat "$TMP/err")"
rc=0
"$CLI" plan lstm --edge "$TMP/lstm.pred.json" --server-device "$TMP/dev.json" --network wifi \
  --json "$TMP/plan3.json" >/dev/null 2>"$TMP/err" || rc=$?
[[ $rc -eq 0 ]] && pass || fail "plan --edge PRED --server-device: exit $rc: $(cat "$TMP/err")"
# The same times either way: a prediction file and the device file give the same plan.
python3 - "$TMP/plan.json" "$TMP/plan3.json" <<'PY' && pass || fail "plan: prediction file and device file disagree"
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
ta = [c["total_ms"] for c in a["cuts"]]; tb = [c["total_ms"] for c in b["cuts"]]
assert len(ta) == len(tb) and all(abs(x - y) <= 1e-5 * max(1, abs(x)) for x, y in zip(ta, tb)), (ta, tb)
PY

# Refusals: one line on stderr, exit 2.
expect_usage() { # DESCRIPTION PATTERN ARGS...
  local what=$1 pattern=$2; shift 2
  local rc=0
  "$CLI" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
  if [[ $rc -eq 2 && $(wc -l <"$TMP/err") -eq 1 ]] && grep -q -- "$pattern" "$TMP/err"; then
    pass
  else
    fail "$what: exit $rc, stderr: $(head -c 300 "$TMP/err")"
  fi
}
expect_usage "profile and device for one tier" "one source of times per tier" plan mlp --edge "$TMP/mlp.pred.json" --edge-device "$TMP/dev.json" --server-device "$TMP/dev.json"
expect_usage "plan: thread count not fitted" "not 4" plan mlp --edge-device "$TMP/dev.json" --server-device "$TMP/dev.json" --device-threads 4
expect_usage "missing device file" "cannot read" predict mlp --device "$TMP/none.json"
sed 's/"schema_version": 1/"schema_version": 9/' "$TMP/dev.json" >"$TMP/v9.json"
expect_usage "newer schema" "schema_version 9" predict mlp --device "$TMP/v9.json"
head -c 2000 "$TMP/dev.json" >"$TMP/cut.json"
expect_usage "truncated device file" "not a valid edgeprof device file" predict mlp --device "$TMP/cut.json"
expect_usage "profile given as device" "not a valid edgeprof device file" predict mlp --device "$TMP/mlp.pred.json"
json_check "$TMP/mlp.pred.json" '
assert d["kind"] == "profile" and d["predicted"] is True and d["model"] == "mlp" and d["threads"] == 1
assert [n["class"] for n in d["nodes"]].count("fc") == 4, d["nodes"]
' && pass || fail "prediction JSON content"
expect_usage "thread count not fitted" "fitted for 1 thread, not 2" predict mlp --device "$TMP/dev.json" --threads 2
expect_usage "no --device" "--device FILE is required" predict mlp
expect_usage "no --out" "--out FILE is required" predict-fit --quick
expect_usage "bad thread list" "--threads" predict-fit --quick --threads 0 --out "$TMP/x.json"
expect_usage "unknown model" "" predict no_such_model --device "$TMP/dev.json"
[[ ! -e $TMP/x.json ]] && pass || fail "a refused predict-fit left its output file"
finish
