#!/usr/bin/python3
"""Exports torchvision's image classification networks to ONNX, for benchmarks and the latency
predictor's held-out set (docs/predict.md).

Run with Debian's python3-torch / python3-torchvision (/usr/bin/python3), not build/pyenv:

    /usr/bin/python3 bench/export_torchvision.py OUT_DIR [--only a,b] [--skip-existing]

Every classification network torchvision lists (0.14: torchvision.models.list_models, the
classification module only) is built with random weights (weights=None, seeded), put in eval
mode and exported at batch 1, opset 13, input 1x3x224x224 (inception_v3: 299x299) to
OUT_DIR/<name>.onnx, written to a temporary name then renamed. A network that fails to export
is skipped and named with the reason; the script then exits 1 after exporting the rest.
OUT_DIR/manifest.tsv lists name, input size, parameters and the file for each exported one.
"""
import argparse
import os
import sys
import time
import traceback

import torch
import torchvision

OPSET = 13
SEED = 1


def classification_models():
    models = torchvision.models
    if hasattr(models, "list_models"):
        return sorted(models.list_models(module=models))
    # Older torchvision: lower-case callables of the classification package.
    return sorted(n for n in dir(models) if n[0].islower() and callable(getattr(models, n))
                  and not n.startswith("_") and n not in ("get_model", "get_weight"))


def input_size(name):
    return 299 if name == "inception_v3" else 224


def export_one(name, out_dir):
    torch.manual_seed(SEED)
    kwargs = {"weights": None}
    # GoogLeNet and Inception v3 add auxiliary classifiers by default without weights; eval()
    # drops them from the output, but they are not part of the network that runs.
    if name in ("googlenet", "inception_v3"):
        kwargs["aux_logits"] = False
        kwargs["init_weights"] = True
    model = torchvision.models.get_model(name, **kwargs) if hasattr(
        torchvision.models, "get_model") else getattr(torchvision.models, name)(**kwargs)
    model.eval()
    size = input_size(name)
    x = torch.rand(1, 3, size, size)
    path = os.path.join(out_dir, name + ".onnx")
    tmp = path + ".tmp"
    # Not under torch.no_grad(): without autograd, nn.MultiheadAttention (ViT) takes its fused
    # fast path, aten::_native_multi_head_attention, which has no ONNX export at opset 13.
    torch.onnx.export(model, x, tmp, opset_version=OPSET, input_names=["input"],
                      output_names=["logits"], do_constant_folding=True)
    os.replace(tmp, path)
    params = sum(p.numel() for p in model.parameters())
    return size, params, path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", help="comma-separated names (default: every classification model)")
    ap.add_argument("--skip-existing", action="store_true",
                    help="keep OUT_DIR/<name>.onnx when it is already there")
    ap.add_argument("--list", action="store_true", help="print the names and exit")
    args = ap.parse_args()
    names = classification_models()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        wanted = args.only.split(",")
        unknown = [n for n in wanted if n not in names]
        if unknown:
            print("export_torchvision: not torchvision classification models: " +
                  ", ".join(unknown), file=sys.stderr)
            return 2
        names = wanted
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(1)
    failed = []
    rows = []
    manifest = os.path.join(args.out_dir, "manifest.tsv")
    if args.skip_existing and os.path.exists(manifest):
        with open(manifest) as f:
            rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
    done = {r[0] for r in rows}
    for name in names:
        path = os.path.join(args.out_dir, name + ".onnx")
        if args.skip_existing and os.path.exists(path) and name in done:
            print("%-28s kept" % name, flush=True)
            continue
        t0 = time.time()
        try:
            size, params, path = export_one(name, args.out_dir)
        except Exception as e:  # any exporter failure: name it and go on
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            failed.append((name, reason[:200]))
            print("%-28s FAILED: %s" % (name, reason[:200]), flush=True)
            if os.environ.get("EXPORT_TRACEBACK"):
                traceback.print_exc()
            try:
                os.remove(path + ".tmp")
            except OSError:
                pass
            continue
        rows = [r for r in rows if r[0] != name]
        rows.append([name, str(size), str(params), os.path.basename(path)])
        print("%-28s %3dx%-3d %11d params  %5.1f s" % (name, size, size, params, time.time() - t0),
              flush=True)
    rows.sort()
    with open(manifest + ".tmp", "w") as f:
        f.write("# name\tinput\tparams\tfile\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    os.replace(manifest + ".tmp", manifest)
    print("%d exported, %d failed%s" % (len(rows), len(failed),
                                         ": " + ", ".join(n for n, _ in failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
