#!/usr/bin/env python3
"""Writes results.json files of made-up machines for the report tests (not a test itself).

  synthetic_results.py DIR   ->  DIR/phone (schema 2, big.LITTLE, all five networks),
                                 DIR/server (schema 2, homogeneous with SMT, three networks),
                                 DIR/old (schema 1, the first characterize, mlp only),
                                 DIR/future (schema 99), DIR/garbage (not JSON),
                                 DIR/badtype (a field of the wrong type)
The numbers follow the paper's shapes: the CNNs scale with threads, LSTM and MLP do not, and
big+little is slower than big alone. Two of the phone's configurations are judged noisy.
"""
import json
import os
import sys

ZOO = {
    # name: (family, 1-thread ms on a big core, parallel fraction, ops): the op types and shares
    # of edgeprof's own profiles of the zoo (x86, 1 thread).
    "inception_v1": ("cnn", 420.0, 0.95, [("Conv", 57, 0.932), ("MaxPool", 13, 0.046),
                                          ("FullyConnected", 1, 0.019), ("Concat", 9, 0.003)]),
    "resnet50": ("cnn", 980.0, 0.96, [("Conv", 53, 0.975), ("MaxPool", 1, 0.022),
                                      ("FullyConnected", 1, 0.002), ("GlobalAveragePool", 1, 0.001)]),
    "mobilenet_v1": ("cnn", 60.0, 0.93, [("Conv", 27, 0.97), ("FullyConnected", 1, 0.02),
                                          ("GlobalAveragePool", 1, 0.008), ("Softmax", 1, 0.002)]),
    "lstm": ("rnn", 11.0, 0.10, [("FullyConnected", 1, 0.50), ("LSTM", 2, 0.30), ("Softmax", 1, 0.19),
                                 ("Reshape", 1, 0.01)]),
    "mlp": ("mlp", 9.0, 0.12, [("FullyConnected", 4, 0.999), ("Softmax", 1, 0.001)]),
    # The modern set: on the server only (a machine that lacks it shows gaps).
    "bert_base": ("transformer", 700.0, 0.97, [("MatMul", 72, 0.90), ("Attention", 12, 0.05),
                                               ("Gelu", 12, 0.03), ("LayerNormalization", 25, 0.02)]),
}
TABLE1 = {
    "inception_v1": ("1x3x224x224", "1x1001", 22, 6633568, 1500000000, "Inception V1", "22", "6.79M", "3.19B"),
    "resnet50": ("1x3x224x224", "1x1000", 50, 25557032, 3863453696, "ResNet-50", "50", "25.6M", "3.8B"),
    "mobilenet_v1": ("1x3x224x224", "1x1001", 28, 4231976, 569000000, "MobileNet 1.0", "15", "4.2M", "576M"),
    "lstm": ("20x1x200", "20x10000", 2, 2651200, 52800000, "LSTM", "2", "2.65M", "14.8M"),
    "mlp": ("1x784", "1x10", 5, 14209034, 14200000, "MLP", "5", "13.9M", "13.9M"),
    "bert_base": ("1x128x768", "1x128x768", 72, 85056000, 11173625856, "BERT-base (Devlin 2019)", "12",
                  "110M", ""),
}


def latency(base, frac, threads, cpus, speed, mixed_penalty):
    """Amdahl on min(threads, cpus) cores, oversubscription and big+little mixing cost extra."""
    cores = min(threads, cpus)
    ms = base / speed * ((1 - frac) + frac / cores)
    if threads > cpus:
        ms *= 1.0 + 0.15 * (threads / cpus - 1)
    return ms * mixed_penalty


def stats(ms):
    samples = [round(ms * f, 4) for f in (0.98, 1.0, 1.01, 1.03, 0.99)]
    s = sorted(samples)
    return samples, {"min": s[0], "median": s[2], "mean": round(sum(s) / 5, 4), "p90": s[4],
                     "p99": s[4], "max": s[4], "stddev": round(0.02 * ms, 4)}


def noise(verdict, reasons=""):
    return {"verdict": verdict, "reasons": reasons, "measured": True, "attempts": 1 if verdict == "ok" else 3,
            "other_cpu_share": 0.01 if verdict == "ok" else 0.4, "steal_share": 0.0,
            "run_queue_excess": 0.0 if verdict == "ok" else 1.2, "free_cpus": 0,
            "freq_min_mhz": None, "freq_max_mhz": None, "spread": 0.03}


def measurement(core_set, cpus, size, threads, ms):
    samples, lat = stats(ms)
    return {"backend": "cpu", "core_set": core_set, "cpus": cpus, "set_size": size,
            "threads": threads, "oversubscribed": threads > size, "warmup_runs": 1, "runs": 5,
            "latency_ms": lat, "samples_ms": samples, "seconds": round(ms * 6 / 1000, 3),
            "noise": noise("ok")}


# Configurations a neighbour disturbed (the phone): drawn with the noisy mark, and never a best.
# (model, core set, threads, factor): resnet50's would-be best (big, 4 threads) measured fast by
# luck of the spread and judged noisy, so its best is the next quiet one; mlp on little, 2 slower.
NOISY = [("resnet50", "big", 4, 0.8), ("mlp", "little", 2, 1.6)]


def profile(name, best):
    family, base, frac, ops = ZOO[name]
    total = best["latency_ms"]["median"] * 0.97
    by_op, nodes = [], []
    for op, count, share in ops:
        by_op.append({"op": op, "count": count, "ms": round(total * share, 4),
                      "percent": round(100 * share, 4)})
        for i in range(count):
            ms = total * share / count
            nodes.append({"name": "%s_%d" % (op.lower(), i), "op": op + ("+Relu" if op == "Conv" else ""),
                          "avg_ms": round(ms, 4), "percent": round(100 * ms / total, 4),
                          "macs": 1000000 * (i + 1), "params": 1000 * (i + 1), "output_bytes": 4096})
    total = round(sum(n["avg_ms"] for n in nodes), 4)
    return {"backend": "cpu", "core_set": best["core_set"], "cpus": best["cpus"],
            "threads": best["threads"], "runs": 3, "total_ms": total,
            "whole_run_ms": best["latency_ms"], "by_op_type": by_op, "nodes": nodes}


def table1_row(name):
    i, o, layers, params, macs, pname, players, pparams, pflops = TABLE1[name]
    return {"name": name, "set": "modern" if name == "bert_base" else "paper",
            "description": name + " (synthetic)", "input": i, "output": o,
            "layers": layers, "params": params, "macs": macs, "flops": 2 * macs,
            "paper": {"name": pname, "input": "", "output": "", "layers": players,
                      "params": pparams, "flops": pflops}, "note": ""}


def machine(pid, host, cpu_model, kind, sets, cpus, models, speed, threads):
    """sets: [(name, cpus text, size, speed factor, mixing penalty)]."""
    docs = []
    for name in models:
        family, base, frac, _ = ZOO[name]
        ms_list = []
        for set_name, set_cpus, size, set_speed, penalty in sets:
            for t in threads:
                if t > max(8, size):
                    continue
                ms_list.append(measurement(set_name, set_cpus, size, t,
                                           latency(base, frac, t, size, speed * set_speed, penalty)))
        for m in ms_list:
            for model, core_set, n_threads, factor in (NOISY if pid.startswith("oneplus") else []):
                if (model, core_set, n_threads) == (name, m["core_set"], m["threads"]):
                    disturbed = m["latency_ms"]["median"] * factor
                    m["samples_ms"], m["latency_ms"] = stats(disturbed)
                    m["noise"] = noise("noisy", "other processes 40% of the set's CPU time")
        quiet = [k for k in range(len(ms_list)) if ms_list[k]["noise"]["verdict"] == "ok"]
        best = min(quiet, key=lambda k: ms_list[k]["latency_ms"]["median"])
        b = ms_list[best]
        docs.append({"name": name, "family": family, "measurements": ms_list,
                     "best": {"index": best, "backend": "cpu", "core_set": b["core_set"],
                              "threads": b["threads"], "median_ms": b["latency_ms"]["median"],
                              "p90_ms": b["latency_ms"]["p90"]},
                     "profile": profile(name, b),
                     "memory_bytes": {"weights_packed": 1000, "activation_arena": 100, "scratch": 0}})
    return {
        "schema_version": 2, "kind": "characterize",
        "platform": {"id": pid, "host": host, "cpu_model": cpu_model, "cpu_vendor": "", "isa": "neon",
                     "caches": [],
                     "topology": {"kind": kind, "source": "cpu_capacity" if kind != "homogeneous" else "",
                                  "clusters": 2 if kind != "homogeneous" else 1, "threads_per_core": 1,
                                  "cpus_online": cpus, "cpus_allowed": "0-%d" % (cpus - 1),
                                  "allowed_from": "affinity", "cpus": [],
                                  "core_sets": [{"name": s[0], "cpus": s[1], "size": s[2],
                                                 "description": "synthetic", "user_defined": False}
                                                for s in sets],
                                  "notes": []}},
        "date": "2018-06-01T12:00:00Z", "seed": 2018, "quick": False,
        "settings": {"backends": ["cpu"], "core_sets": [s[0] for s in sets], "threads": threads,
                     "threads_per_set": "up to max(8, set size)", "warmup_runs": 1, "min_runs": 20,
                     "min_seconds": 0.5, "budget_seconds": 5},
        "elapsed_s": 100.0, "load_average_before": 0.1, "peak_rss_bytes": 1,
        "table1": [table1_row(n) for n in models], "models": docs}


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        if isinstance(doc, str):
            f.write(doc)
        else:
            json.dump(doc, f, indent=1)


def main(out):
    phone = machine("oneplus-5t-snapdragon-835", "oneplus", "Snapdragon 835", "big.LITTLE",
                    [("big", "4-7", 4, 1.0, 1.0), ("little", "0-3", 4, 0.45, 1.0),
                     ("all", "4-7,0-3", 8, 1.0, 1.9)],
                    8, [m for m in ZOO if m != "bert_base"], 1.0, [1, 2, 4, 8])
    server = machine("server-xeon-e5-2620", "server", "Intel(R) Xeon(R) CPU E5-2620 v4", "homogeneous",
                     [("all", "0-15", 16, 1.0, 1.0), ("one", "0", 1, 1.0, 1.0)],
                     16, ["inception_v1", "resnet50", "mlp", "bert_base"], 8.0, [1, 2, 4, 8, 16])
    write(os.path.join(out, "phone", "results.json"), phone)
    write(os.path.join(out, "server", "results.json"), server)
    old = {"schema_version": 1, "kind": "characterize", "host": "oldbox", "date": "2024-01-01T00:00:00Z",
           "seed": 2018, "cpus": "0-1", "pinned": False, "threads": [1, 2],
           "settings": {"warmup_runs": 1, "min_runs": 20, "min_seconds": 0.5, "budget_seconds": 5},
           "elapsed_s": 3.0, "peak_rss_bytes": 1, "table1": [table1_row("mlp")],
           "models": [{"name": "mlp",
                       "latency_ms": [dict(threads=1, runs=20, **stats(7.7)[1]),
                                      dict(threads=2, runs=20, **stats(6.9)[1])],
                       "median_ms": [7.7, 6.9], "speedup": [1, 1.116],
                       "profile": {"threads": 2, "runs": 10, "total_ms": 6.8, "whole_run_median_ms": 6.9,
                                   "whole_run_mean_ms": 6.95,
                                   "by_op_type": [{"op": "FullyConnected", "count": 4, "ms": 6.79,
                                                   "percent": 99.9},
                                                  {"op": "Softmax", "count": 1, "ms": 0.01, "percent": 0.1}],
                                   "nodes": [{"name": "fc1/MatMul", "op": "FullyConnected+Sigmoid",
                                              "avg_ms": 6.79, "macs": 1605632, "params": 1607680,
                                              "output_bytes": 8192},
                                             {"name": "softmax", "op": "Softmax", "avg_ms": 0.01,
                                              "macs": 0, "params": 0, "output_bytes": 40}]},
                       "memory_bytes": {"weights_packed": 1, "activation_arena": 1, "scratch": 0}}]}
    write(os.path.join(out, "old", "results.json"), old)
    future = dict(phone)
    future["schema_version"] = 99
    write(os.path.join(out, "future", "results.json"), future)
    write(os.path.join(out, "garbage", "results.json"), "not json {")
    bad = json.loads(json.dumps(server))
    bad["models"][1]["measurements"][2]["threads"] = "two"
    write(os.path.join(out, "badtype", "results.json"), bad)


if __name__ == "__main__":
    main(sys.argv[1])
