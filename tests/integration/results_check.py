#!/usr/bin/env python3
"""Checks of characterize / report outputs, shared by the integration tests (not a test itself).

  results_check.py schema RESULTS_JSON DOCS_MD     every field documented in docs/results.md's
                                                  characterize table exists, with its type
  results_check.py consistency RESULTS_JSON       the numbers agree with each other
  results_check.py outputs OUT_DIR RESULTS_JSON...  the CSV files and the charts (well-formed SVG,
                                                  one bar / point / row per measured thing, gaps
                                                  where a machine lacks a network)
Prints what failed and exits 1, or exits 0.
"""
import csv
import json
import math
import os
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def documented_fields(docs_md):
    """(path, type) rows of the table under '## characterize: results.json'."""
    text = open(docs_md, encoding="utf-8").read()
    start = text.index("## characterize: results.json")
    end = min(text.index("\n## ", start + 10), text.index("\n### ", start + 10))
    rows = []
    for line in text[start:end].splitlines():
        m = re.match(r"^\| `([^`]+)` \| ([^|]+) \|", line)
        if m:
            rows.append((m.group(1), m.group(2).strip()))
    return rows


def type_ok(value, kind):
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind.endswith(" or null"):
        return value is None or type_ok(value, kind[:-len(" or null")])
    m = re.match(r"array of (strings|numbers|integers)", kind)
    if m:
        inner = {"strings": "string", "numbers": "number", "integers": "integer"}[m.group(1)]
        return isinstance(value, list) and all(type_ok(v, inner) for v in value)
    raise ValueError("unknown type in docs: " + kind)


def resolve(doc, path):
    """Every value at path ('a.b[].c'); None entries are skipped below null objects."""
    values = [doc]
    for part in path.split("."):
        is_array = part.endswith("[]")
        key = part[:-2] if is_array else part
        nxt = []
        for v in values:
            if v is None:
                continue  # below an "object or null" that is null
            if not isinstance(v, dict) or key not in v:
                return None
            item = v[key]
            if is_array:
                if not isinstance(item, list):
                    return None
                nxt.extend(item)
            else:
                nxt.append(item)
        values = nxt
    return values


def cmd_schema(results_json, docs_md):
    doc = json.load(open(results_json))
    rows = documented_fields(docs_md)
    check(len(rows) > 60, "docs table has %d rows" % len(rows))
    for path, kind in rows:
        values = resolve(doc, path)
        if not check(values is not None, "field %s missing" % path):
            continue
        for v in values:
            check(type_ok(v, kind), "field %s: %r is not %s" % (path, v, kind))
    # Nothing undocumented at the levels the table covers.
    documented = {p for p, _ in rows}
    for key in doc:
        check(key in documented, "top-level field %s is not documented" % key)
    for m in doc["models"]:
        for meas in m["measurements"]:
            for key in meas:
                check("models[].measurements[]." + key in documented,
                      "measurement field %s is not documented" % key)


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def cmd_consistency(results_json):
    d = json.load(open(results_json))
    check(d["schema_version"] == 2 and d["kind"] == "characterize", "schema_version/kind")
    sets = {s["name"]: s for s in d["platform"]["topology"]["core_sets"]}
    check(d["platform"]["id"] and re.match(r"^[a-z0-9-]+$", d["platform"]["id"]),
          "platform id %r" % d["platform"]["id"])
    for name in d["settings"]["core_sets"]:
        check(name in sets, "measured set %s not in core_sets" % name)
    for m in d["models"]:
        ms = m["measurements"]
        check(len(ms) > 0, "%s: no measurements" % m["name"])
        expected = []
        for name in d["settings"]["core_sets"]:
            size = sets[name]["size"]
            for t in d["settings"]["threads"]:
                if d["settings"]["threads_per_set"] == "all" or t <= max(8, size):
                    expected.append((name, t))
        got = [(x["core_set"], x["threads"]) for x in ms]
        check(got == expected, "%s: configurations %s, expected %s" % (m["name"], got, expected))
        for x in ms:
            s = sets[x["core_set"]]
            check(x["cpus"] == s["cpus"] and x["set_size"] == s["size"], "set fields of %s" % x)
            check(x["oversubscribed"] == (x["threads"] > x["set_size"]), "oversubscribed flag")
            check(x["backend"] == "cpu", "backend")
            check(len(x["samples_ms"]) == x["runs"] and x["runs"] >= 3, "runs vs samples")
            lat = x["latency_ms"]
            check(lat["min"] <= lat["median"] <= lat["max"] and lat["median"] <= lat["p90"] + 1e-9,
                  "statistics order %s" % lat)
            check(abs(median(x["samples_ms"]) - lat["median"]) <= 1e-3 + 1e-4 * lat["median"],
                  "median of samples %s vs %s" % (median(x["samples_ms"]), lat["median"]))
        # The best configuration is the fastest of those that passed the noise check (of all when
        # none did), by the run's latency figure: the median, or the p90 early-stopping estimate.
        def figure(x):
            if d["settings"].get("latency") == "p90est":
                return x.get("p90_estimate_ms") or float("inf")
            return x["latency_ms"]["median"]
        quiet = [i for i in range(len(ms)) if not noisy(ms[i])] or list(range(len(ms)))
        best = min(quiet, key=lambda i: figure(ms[i]))
        b = m["best"]
        check(b["index"] == best and b["median_ms"] == ms[best]["latency_ms"]["median"],
              "%s: best %s, argmin %d" % (m["name"], b, best))
        p = m["profile"]
        check(p is not None and p["core_set"] == b["core_set"] and p["threads"] == b["threads"],
              "%s: profile at the best configuration" % m["name"])
        check(abs(sum(o["percent"] for o in p["by_op_type"]) - 100) < 0.1, "op shares sum")
        check(abs(sum(n["avg_ms"] for n in p["nodes"]) - p["total_ms"]) < 1e-3 * len(p["nodes"]),
              "node times sum")
    check([r["name"] for r in d["table1"]] == [m["name"] for m in d["models"]], "table1 names")


def noisy(measurement):
    """The noise verdict of a measurement (files before it: never noisy)."""
    noise = measurement.get("noise")
    return isinstance(noise, dict) and noise.get("verdict") == "noisy"


def close(a, b):
    """Equal to the 4 decimals the charts write."""
    return abs(float(a) - float(b)) <= 1e-4 + 1e-6 * abs(float(b))


def texts(root, cls=None):
    return [e.text for e in root.iter(SVG + "text") if cls is None or e.get("class") == cls]


def svg_root(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        check(False, "%s is not well-formed XML: %s" % (path, e))
        return None
    check(root.tag == SVG + "svg", "%s: root is %s" % (path, root.tag))
    return root


def by_class(root, cls):
    return [e for e in root.iter() if e.get("class") == cls]


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def cmd_outputs(out_dir, results_files):
    docs = [json.load(open(p)) for p in results_files]
    machines = []
    for d in docs:
        if d["schema_version"] == 1:
            points = {m["name"]: {("all", "cpu", x["threads"]): (x["median"], x["p90"], False)
                                  for x in m["latency_ms"]} for m in d["models"]}
            machines.append({"id": d["host"], "models": {m["name"]: len(m["latency_ms"]) for m in d["models"]},
                             "profiles": [m["name"] for m in d["models"] if m.get("profile")],
                             "points": points, "sets": ["all"],
                             "ops": {m["name"]: [o["op"] for o in m["profile"]["by_op_type"]]
                                     for m in d["models"] if m.get("profile")}})
        else:
            points = {m["name"]: {(x["core_set"], x["backend"], x["threads"]):
                                  (x["latency_ms"]["median"], x["latency_ms"]["p90"], noisy(x))
                                  for x in m["measurements"]} for m in d["models"]}
            machines.append({"id": d["platform"]["id"],
                             "models": {m["name"]: len(m["measurements"]) for m in d["models"]},
                             "profiles": [m["name"] for m in d["models"] if m.get("profile")],
                             "points": points, "sets": d["settings"]["core_sets"],
                             "ops": {m["name"]: [o["op"] for o in m["profile"]["by_op_type"]]
                                     for m in d["models"] if m.get("profile")}})
    ids = [m["id"] for m in machines]
    for i in range(1, len(ids)):  # report makes ids unique: id, id-2, ...
        k = 2
        while ids[i] in ids[:i]:
            ids[i] = "%s-%d" % (machines[i]["id"], k)
            k += 1
    for m, i in zip(machines, ids):
        m["id"] = i
    models = []
    for m in machines:
        for name in m["models"]:
            if name not in models:
                models.append(name)

    root = svg_root(os.path.join(out_dir, "fig1.svg"))
    if root is not None:
        bars = by_class(root, "bar")
        missing = by_class(root, "missing")
        want_bars = sum(1 for m in machines for name in models if name in m["models"])
        want_missing = len(models) * len(machines) - want_bars
        check(len(bars) == want_bars, "fig1: %d bars, expected %d" % (len(bars), want_bars))
        check(len(missing) == want_missing,
              "fig1: %d gaps, expected %d" % (len(missing), want_missing))
        for b in bars:
            check(float(b.get("height")) > 0 and float(b.get("data-ms")) > 0, "fig1 bar height")
        # Each bar is its machine's best median of the network (not noisy, where any passed),
        # its whisker that configuration's p90, its value label the same number.
        whiskers = by_class(root, "whisker")
        check(len(whiskers) == len(bars), "fig1: %d whiskers for %d bars" % (len(whiskers), len(bars)))
        values = by_class(root, "value")
        for m in machines:
            for name, pts in m["points"].items():
                quiet = [v for v in pts.values() if not v[2]] or list(pts.values())
                best = min(quiet, key=lambda v: v[0])
                bar = [b for b in bars if b.get("data-machine") == m["id"] and b.get("data-model") == name]
                if not check(len(bar) == 1, "fig1: one bar of %s on %s" % (name, m["id"])):
                    continue
                check(close(bar[0].get("data-ms"), best[0]) and close(bar[0].get("data-p90"), best[1]),
                      "fig1: %s on %s drawn as %s ms (p90 %s), best is %s" %
                      (name, m["id"], bar[0].get("data-ms"), bar[0].get("data-p90"), best))
                check(bar[0].get("data-noisy") == ("true" if best[2] else "false"),
                      "fig1: noisy mark of %s on %s" % (name, m["id"]))
        check(any(close(w.get("data-ms"), b.get("data-p90")) for b in bars for w in whiskers),
              "fig1: whiskers at the p90s")
        for v in values:
            check(any(abs(float(v.text) - float(b.get("data-ms"))) <= 0.006 * float(b.get("data-ms"))
                      for b in bars), "fig1: value label %s is no bar's median" % v.text)
        check(texts(root, "model") == models, "fig1: network labels %s" % texts(root, "model"))
        legend = texts(root, "legend")
        for m in machines:
            check(any(t.startswith(m["id"]) for t in legend), "fig1: %s not in the legend %s" % (m["id"], legend))
        any_noisy = any(b.get("data-noisy") == "true" for b in bars)
        check(any(t.startswith("noisy") for t in legend) == any_noisy,
              "fig1: a legend entry for the noisy mark exactly when a bar is noisy (%s)" % legend)
        for m in machines:
            for name in models:
                has = any(b.get("data-machine") == m["id"] and b.get("data-model") == name for b in bars)
                check(has == (name in m["models"]), "fig1: bar of %s on %s" % (name, m["id"]))
    for m in machines:
        name = "fig2.svg" if len(machines) == 1 else "fig2-%s.svg" % m["id"]
        root = svg_root(os.path.join(out_dir, name))
        if root is None:
            continue
        points = by_class(root, "point")
        want = sum(m["models"].values())
        check(len(points) == want, "%s: %d points, expected %d" % (name, len(points), want))
        lines = by_class(root, "line")
        check(len(lines) >= len(m["models"]), "%s: %d lines" % (name, len(lines)))
        # One panel per network, titled with its name; every point the measured median and p90
        # of its configuration; the legend names every core set.
        panels = by_class(root, "panel")
        check([p.get("data-model") for p in panels] == list(m["models"]),
              "%s: panels %s" % (name, [p.get("data-model") for p in panels]))
        check(texts(root, "panel-title") == list(m["models"]),
              "%s: panel titles %s" % (name, texts(root, "panel-title")))
        for p in points:
            key = (p.get("data-core-set"), p.get("data-backend"), int(p.get("data-threads")))
            want = m["points"].get(p.get("data-model"), {}).get(key)
            if check(want is not None, "%s: a point at %s not measured" % (name, key)):
                check(close(p.get("data-ms"), want[0]) and close(p.get("data-p90"), want[1]),
                      "%s: %s %s drawn as %s (p90 %s), measured %s" %
                      (name, p.get("data-model"), key, p.get("data-ms"), p.get("data-p90"), want))
                check(p.get("data-noisy") == ("true" if want[2] else "false"),
                      "%s: noisy mark of %s %s" % (name, p.get("data-model"), key))
        check(len(by_class(root, "whisker")) == len(points), "%s: a whisker per point" % name)
        check(len(by_class(root, "noisy-mark")) == sum(v[2] for pts in m["points"].values() for v in pts.values()),
              "%s: a noisy mark per noisy point" % name)
        legend = texts(root, "legend")
        for core_set in m["sets"]:
            check(any(t.startswith(core_set) for t in legend), "%s: core set %s not in the legend %s" % (name, core_set, legend))
        any_noisy = any(p.get("data-noisy") == "true" for p in points)
        check(any(t.startswith("noisy") for t in legend) == any_noisy,
              "%s: a legend entry for the noisy mark exactly when a point is noisy (%s)" % (name, legend))
        for line in lines:
            pts = line.get("points").split()
            check(all(len(p.split(",")) == 2 for p in pts), "%s: polyline points" % name)
    root = svg_root(os.path.join(out_dir, "layers.svg"))
    if root is not None:
        rows = by_class(root, "row")
        want = sum(len(m["profiles"]) for m in machines)
        check(len(rows) == want, "layers: %d rows, expected %d" % (len(rows), want))
        for row in rows:
            total = sum(float(s.get("data-percent")) for s in row if s.get("class") == "segment")
            check(abs(total - 100) < 0.5, "layers: row %s sums to %.2f%%" % (row.get("data-model"), total))
        ops = []
        for m in machines:
            for names in m["ops"].values():
                ops += [o for o in names if o not in ops]
        legend = texts(root, "legend")
        shown = ops if len(ops) <= 10 else None
        check(shown is None and "other" in legend or set(legend) == set(ops),
              "layers: legend %s, op types %s" % (legend, ops))

    latency = read_csv(os.path.join(out_dir, "latency.csv"))
    check(len(latency) == sum(sum(m["models"].values()) for m in machines),
          "latency.csv: %d rows" % len(latency))
    check(all(float(r["median_ms"]) > 0 for r in latency), "latency.csv medians")
    best = read_csv(os.path.join(out_dir, "best.csv"))
    check(len(best) == sum(len(m["models"]) for m in machines), "best.csv: %d rows" % len(best))
    check({r["platform_id"] for r in best} == {m["id"] for m in machines}, "best.csv platform ids")
    layers = read_csv(os.path.join(out_dir, "layers.csv"))
    check(len(layers) > 0 and set(layers[0]) >= {"platform_id", "model", "name", "op", "avg_ms"},
          "layers.csv columns")
    ops = read_csv(os.path.join(out_dir, "op_types.csv"))
    check(len(ops) > 0, "op_types.csv rows")
    table1 = read_csv(os.path.join(out_dir, "table1.csv"))
    check([r["model"] for r in table1] == models, "table1.csv models")
    html = open(os.path.join(out_dir, "report.html"), encoding="utf-8").read()
    check(html.count("<svg") == 2 + len(machines), "report.html holds %d charts" % html.count("<svg"))
    check("<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", ""),
          "report.html is self-contained")
    md = open(os.path.join(out_dir, "report.md"), encoding="utf-8").read()
    for section in ("## Findings", "## Fig. 1", "## Fig. 2", "## Table I", "](fig1.svg)"):
        check(section in md, "report.md lacks %s" % section)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    cmd = sys.argv[1]
    if cmd == "schema":
        cmd_schema(sys.argv[2], sys.argv[3])
    elif cmd == "consistency":
        cmd_consistency(sys.argv[2])
    elif cmd == "outputs":
        cmd_outputs(sys.argv[2], sys.argv[3:])
    else:
        print(__doc__)
        return 2
    for f in failures:
        print("results_check: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
