"""The table of bench/compare-layers.sh: edgeprof's nodes beside a peer runtime's.

  python compare_layers.py EDGEPROF.json PEER.json

EDGEPROF.json is `edgeprof profile --json` (its per-node medians, or means from an older
profile); PEER.json bench/ort_profile.py's or
bench/ov_profile.py's output (its "runtime" names the peer). Prints edgeprof's nodes in run order
with the peer's time for the matching node. The peers rename the nodes they fuse (ORT: conv1/Conv2D
+ its Relu become "conv1/Relu_nchwc", fc1/MatMul + its bias "fused fc1/MatMul"; OpenVINO keeps
one of the fused nodes' names), so a node matches the first unused peer node whose name (less
"fused ") starts with the same scope (the name up to its last '/') or with the whole name. Peer
nodes left unmatched are listed after, then both totals, then the time by op type of each side
(for OpenVINO also by the primitive that ran the layer, e.g. brgconv_avx512_1x1), which is where a
difference in kernel choice shows even when node names do not match.
"""

import json
import sys


def by_key(nodes, key, ms):
    """[(key, count, ms)] summed over nodes, largest first."""
    sums = {}
    for n in nodes:
        k = n.get(key) or "?"
        c, t = sums.get(k, (0, 0.0))
        sums[k] = (c + 1, t + n[ms])
    return sorted(((k, c, t) for k, (c, t) in sums.items()), key=lambda x: -x[2])


def print_breakdown(title, rows, total):
    print(title)
    for k, c, t in rows:
        share = 100.0 * t / total if total > 0 else 0.0
        print(f"  {k[:36]:36s} {c:5d} {t:9.3f} ms {share:5.1f}%")


def main():
    if len(sys.argv) != 3:
        print("usage: compare_layers.py EDGEPROF.json PEER.json", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        ep = json.load(f)
    with open(sys.argv[2]) as f:
        peer = json.load(f)
    who = peer.get("runtime", "ONNX Runtime")
    short = {"ONNX Runtime": "ORT", "OpenVINO": "OpenVINO"}.get(who, who)
    left = peer["nodes"]
    used = set()

    def match(name):
        scope = name.rsplit("/", 1)[0] + "/" if "/" in name else name
        for i, n in enumerate(left):
            theirs = n["name"].removeprefix("fused ")  # ORT's name for a fused MatMul + Add
            if i not in used and (theirs.startswith(scope) or theirs.startswith(name)):
                used.add(i)
                return n
        return None

    print(f"{ep['model']}, {ep['threads']} thread(s): median ms per node, edgeprof and {who}")
    print(f"{'node':48s} {'edgeprof op':18s} {'edgeprof':>9s} {short:>9s}  {short} node")
    # The per-node median where the profile has it (a preempted run moves the mean): the peers'
    # times are medians too.
    ep_ms = "median_ms" if all("median_ms" in n for n in ep["nodes"]) else "avg_ms"
    ep_total = peer_matched = 0.0
    for n in ep["nodes"]:
        o = match(n["name"])
        ep_total += n[ep_ms]
        peer_ms = f"{o['median_ms']:9.3f}" if o else f"{'-':>9s}"
        if o:
            peer_matched += o["median_ms"]
        print(f"{n['name'][:48]:48s} {n['op'][:18]:18s} {n[ep_ms]:9.3f} {peer_ms}  "
              f"{o['name'] if o else ''}")
    for i, n in enumerate(left):
        if i not in used:
            print(f"{'(' + short + ' only)':48s} {n['op'][:18]:18s} {'-':>9s} "
                  f"{n['median_ms']:9.3f}  {n['name']}")
    peer_total = sum(n["median_ms"] for n in left)
    print(f"sum of node times: edgeprof {ep_total:.3f} ms, {short} {peer_total:.3f} ms "
          f"(matched nodes {peer_matched:.3f} ms)")
    print_breakdown("edgeprof by op type (count, ms, share):", by_key(ep["nodes"], "op", ep_ms),
                    ep_total)
    print_breakdown(f"{who} by op type (count, ms, share):", by_key(left, "op", "median_ms"),
                    peer_total)
    if any("exec" in n for n in left):
        print_breakdown(f"{who} by primitive (count, ms, share):",
                        by_key(left, "exec", "median_ms"), peer_total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
