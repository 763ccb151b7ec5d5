"""The table of bench/compare-layers.sh: edgeprof's nodes beside a peer runtime's.

  python compare_layers.py EDGEPROF.json PEER.json [MODEL.onnx]

EDGEPROF.json is `edgeprof profile --json` (its per-node medians, or means from an older
profile); PEER.json bench/ort_profile.py's or bench/ov_profile.py's output (its "runtime" names
the peer). Prints edgeprof's nodes in run order with the peer's time for the matching node(s).
The peers rename the nodes they fuse: ORT names a fused NCHWc conv after the tensor it writes
("/conv2/Relu_output_0_nchwc" for /conv2/conv/Conv + its Relu), a fused MatMul + bias "fused
fc1/MatMul"; OpenVINO keeps one of the fused nodes' names. With MODEL.onnx a peer node is traced
through the graph: its name (less "fused ") as a node, or (less "_nchwc") as a tensor whose
producer is taken, then up through the producers' inputs (breadth first, inputs in order, a few
steps) to the nearest node edgeprof reports; peer nodes that trace to the same edgeprof node add
up. Peer nodes that do not trace (reorders, or no MODEL.onnx) match the first edgeprof node left
whose name shares the peer name's scope (the name up to its last '/'), as before. Peer nodes left
unmatched are listed after, then both totals, then the time by op type of each side (for OpenVINO
also by the primitive that ran the layer, e.g. brgconv_avx512_1x1), which is where a difference in
kernel choice shows even when node names do not match.
"""

import json
import sys
from collections import deque

TRACE_STEPS = 4  # a fused chain (Conv, BatchNormalization, Add, Relu) is at most this long


def load_graph(path):
    """(node name -> node, tensor name -> producing node) of an ONNX file, weights left out."""
    import onnx  # the pyenv's; only needed with MODEL.onnx
    graph = onnx.load(path, load_external_data=False).graph
    by_name = {n.name: n for n in graph.node if n.name}
    producer = {out: n for n in graph.node for out in n.output}
    return by_name, producer


def trace(peer_name, ep_names, graph):
    """The edgeprof node a peer node's work belongs to, from the ONNX graph, or None."""
    name = peer_name.removeprefix("fused ")
    if name in ep_names:
        return name
    if graph is None:
        return None
    by_name, producer = graph
    start = by_name.get(name) or producer.get(name) or producer.get(name.removesuffix("_nchwc"))
    queue, seen = deque([(start, 0)] if start else []), set()
    while queue:
        node, depth = queue.popleft()
        if node.name in ep_names:
            return node.name
        if depth == TRACE_STEPS or id(node) in seen:
            continue
        seen.add(id(node))
        queue.extend((producer[i], depth + 1) for i in node.input if i in producer)
    return None


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
    if len(sys.argv) not in (3, 4):
        print("usage: compare_layers.py EDGEPROF.json PEER.json [MODEL.onnx]", file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        ep = json.load(f)
    with open(sys.argv[2]) as f:
        peer = json.load(f)
    graph = load_graph(sys.argv[3]) if len(sys.argv) == 4 else None
    who = peer.get("runtime", "ONNX Runtime")
    short = {"ONNX Runtime": "ORT", "OpenVINO": "OpenVINO"}.get(who, who)
    left = peer["nodes"]
    ep_names = {n["name"] for n in ep["nodes"]}
    traced = {}  # edgeprof node name -> indices of the peer nodes traced to it
    for i, n in enumerate(left):
        target = trace(n["name"], ep_names, graph)
        if target is not None:
            traced.setdefault(target, []).append(i)
    used = {i for ids in traced.values() for i in ids}

    def match(name):
        """The peer nodes of edgeprof node `name`: those traced to it, else the scope guess."""
        if name in traced:
            return [left[i] for i in traced[name]]
        scope = name.rsplit("/", 1)[0] + "/" if "/" in name else name
        for i, n in enumerate(left):
            theirs = n["name"].removeprefix("fused ")  # ORT's name for a fused MatMul + Add
            if i not in used and (theirs.startswith(scope) or theirs.startswith(name)):
                used.add(i)
                return [n]
        return []

    print(f"{ep['model']}, {ep['threads']} thread(s): median ms per node, edgeprof and {who}")
    print(f"{'node':48s} {'edgeprof op':18s} {'edgeprof':>9s} {short:>9s}  {short} node")
    # The per-node median where the profile has it (a preempted run moves the mean): the peers'
    # times are medians too.
    ep_ms = "median_ms" if all("median_ms" in n for n in ep["nodes"]) else "avg_ms"
    ep_total = peer_matched = 0.0
    for n in ep["nodes"]:
        found = match(n["name"])
        ep_total += n[ep_ms]
        ms = sum(o["median_ms"] for o in found)
        peer_matched += ms
        peer_ms = f"{ms:9.3f}" if found else f"{'-':>9s}"
        shown = found[0]["name"] + (f" (+{len(found) - 1})" if len(found) > 1 else "") if found else ""
        print(f"{n['name'][:48]:48s} {n['op'][:18]:18s} {n[ep_ms]:9.3f} {peer_ms}  {shown}")
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
