#!/usr/bin/env bash
# The gain of `plan --cuts dag` over the best prefix cut, per model, network preset and objective.
# Both profiles are measured here: the "edge" is this CPU held to its scalar kernels on one thread
# (EDGEPROF_ISA=scalar: a weak device whose per-layer slowdown is uneven, as a real one's is), the
# "server" is this CPU at its best ISA on every core. docs/plan.md, "DAG partitions", shows a run.
# usage: scripts/plan-dag-gains.sh EDGEPROF OUT_DIR MODEL... (zoo names or .onnx files)
set -euo pipefail
CLI=$1
OUT=$2
shift 2
mkdir -p "$OUT"
threads=$(nproc)
printf '%-16s %-5s %-8s %6s %12s %12s %9s  %s\n' model net objective nodes prefix dag gain% "dag partition"
for model in "$@"; do
  name=$(basename "$model" .onnx)
  EDGEPROF_ISA=scalar "$CLI" profile "$model" --threads 1 --runs 5 --min-time 0 \
    --json "$OUT/$name-edge.json" >/dev/null
  "$CLI" profile "$model" --threads "$threads" --runs 5 --min-time 0 \
    --json "$OUT/$name-server.json" >/dev/null
  for net in 3g lte wifi; do
    for objective in latency energy; do
      "$CLI" plan "$model" --edge "$OUT/$name-edge.json" --server "$OUT/$name-server.json" \
        --network "$net" --objective "$objective" --cuts dag --json "$OUT/$name-$net-$objective.json" \
        >/dev/null
      python3 - "$OUT/$name-$net-$objective.json" "$name" "$net" "$objective" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = d["partition"]
gain = 100 * (p["best_prefix_value"] - p["objective_value"]) / p["best_prefix_value"]
unit = "mJ" if sys.argv[4] == "energy" else "ms"
where = ", ".join(f"{t} {c}" for t, c in p["node_count"].items() if c)
print(f'{sys.argv[2]:<16} {sys.argv[3]:<5} {sys.argv[4]:<8} {d["nodes"]:>6} '
      f'{p["best_prefix_value"]:>9.2f} {unit} {p["objective_value"]:>9.2f} {unit} {gain:>9.2f}  {where}')
PY
    done
  done
done
