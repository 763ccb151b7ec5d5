"""The table of bench/compare-layers.sh: edgeprof's nodes beside ONNX Runtime's.

  python compare_layers.py EDGEPROF.json ORT.json

EDGEPROF.json is `edgeprof profile --json`, ORT.json bench/ort_profile.py's output. Prints
edgeprof's nodes in run order with ORT's time for the matching node. ORT renames the nodes it
fuses (conv1/Conv2D + its Relu become "conv1/Relu_nchwc", fc1/MatMul + its bias
"fused fc1/MatMul"), so a node matches the first unused ORT node whose name (less "fused ")
starts with the same scope (the name up to its last '/') or with the whole name. ORT nodes left
unmatched are listed after, and both totals at the end.
"""

import json
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: compare_layers.py EDGEPROF.json ORT.json", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        ep = json.load(f)
    with open(sys.argv[2]) as f:
        ort = json.load(f)
    left = ort["nodes"]
    used = set()

    def match(name):
        scope = name.rsplit("/", 1)[0] + "/" if "/" in name else name
        for i, n in enumerate(left):
            theirs = n["name"].removeprefix("fused ")  # ORT's name for a fused MatMul + Add
            if i not in used and (theirs.startswith(scope) or theirs.startswith(name)):
                used.add(i)
                return n
        return None

    print(f"{ep['model']}, {ep['threads']} thread(s): median ms per node")
    print(f"{'node':48s} {'edgeprof op':18s} {'edgeprof':>9s} {'ORT':>9s}  ORT node")
    ep_total = ort_matched = 0.0
    for n in ep["nodes"]:
        o = match(n["name"])
        ep_total += n["avg_ms"]
        ort_ms = f"{o['median_ms']:9.3f}" if o else f"{'-':>9s}"
        if o:
            ort_matched += o["median_ms"]
        print(f"{n['name'][:48]:48s} {n['op'][:18]:18s} {n['avg_ms']:9.3f} {ort_ms}  "
              f"{o['name'] if o else ''}")
    for i, n in enumerate(left):
        if i not in used:
            print(f"{'(ORT only)':48s} {n['op'][:18]:18s} {'-':>9s} {n['median_ms']:9.3f}  {n['name']}")
    ort_total = sum(n["median_ms"] for n in left)
    print(f"sum of node times: edgeprof {ep_total:.3f} ms, ORT {ort_total:.3f} ms "
          f"(matched nodes {ort_matched:.3f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
