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
OUT_DIR/manifest.tsv lists name, input size, parameters and the file for each exported one; it is
updated after every network (under a lock, merged with what is on disk), so several runs with
--only can fill one folder at the same time and an interrupted run keeps what it finished.

Networks over protobuf's 2 GiB limit (vit_h_14, regnet_y_128gf) are written with ONNX external
data: torch writes one file per tensor, named after the tensor, next to the model; the script
exports into a private folder and packs those files into one OUT_DIR/<name>.onnx.data, each
tensor's `location`/`offset`/`length` rewritten (offsets 64-byte aligned), so two giants in one
folder cannot overwrite each other's tensor files. Packing needs the onnx package (Debian:
python3-onnx) for the model's protobuf; the tensor bytes are copied, never loaded whole.
"""
import argparse
import fcntl
import os
import shutil
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


def register_missing_symbolics():
    """torch 1.13 has no ONNX symbolic for aten::zero, which the Swin V2 family traces (its
    qkv bias's key third is zeroed in place: `qkv_bias[length:2 * length].zero_()`). It is
    zeros_like (float: the bias is float), as later torch versions define it."""
    from torch.onnx import symbolic_opset9

    def zero(g, self):
        return symbolic_opset9.zeros_like(g, self)

    try:
        torch.onnx.register_custom_op_symbolic("aten::zero", zero, 9)
    except Exception:  # newer torch: a built-in symbolic exists
        pass


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
    # A private folder: a model over 2 GiB comes out as a small .onnx plus one file per tensor.
    work = os.path.join(out_dir, "." + name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        tmp = os.path.join(work, name + ".onnx")
        # Not under torch.no_grad(): without autograd, nn.MultiheadAttention (ViT) takes its fused
        # fast path, aten::_native_multi_head_attention, which has no ONNX export at opset 13.
        torch.onnx.export(model, x, tmp, opset_version=OPSET, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
        if len(os.listdir(work)) > 1:
            pack_external_data(tmp, path)
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    params = sum(p.numel() for p in model.parameters())
    return size, params, path


def pack_external_data(src, dst, align=64):
    """Rewrites the model `src`, whose tensors torch wrote as one external file each next to it,
    as `dst` plus one data file `dst`.data (offsets aligned to `align` bytes)."""
    import onnx  # Debian: python3-onnx; only models over 2 GiB need it
    from onnx.external_data_helper import ExternalDataInfo
    src_dir = os.path.dirname(src)
    model = onnx.load(src, load_external_data=False)
    data_name = os.path.basename(dst) + ".data"
    data_tmp = dst + ".data.tmp"
    offset = 0
    with open(data_tmp, "wb") as out:
        tensors = list(model.graph.initializer)
        for node in model.graph.node:  # Constant nodes' values, should any be external
            tensors += [a.t for a in node.attribute if a.HasField("t")]
        for t in tensors:
            if t.data_location != onnx.TensorProto.EXTERNAL:
                continue
            info = ExternalDataInfo(t)
            with open(os.path.join(src_dir, info.location), "rb") as f:
                f.seek(info.offset or 0)
                pad = (-offset) % align
                out.write(b"\0" * pad)
                offset += pad
                length = 0
                left = info.length if info.length else None
                while left is None or left > 0:
                    chunk = f.read(1 << 24 if left is None else min(left, 1 << 24))
                    if not chunk:
                        break
                    out.write(chunk)
                    length += len(chunk)
                    if left is not None:
                        left -= len(chunk)
            del t.external_data[:]
            for k, v in (("location", data_name), ("offset", str(offset)), ("length", str(length))):
                e = t.external_data.add()
                e.key, e.value = k, v
            offset += length
    with open(dst + ".tmp", "wb") as f:
        f.write(model.SerializeToString())
    os.replace(data_tmp, dst + ".data")
    os.replace(dst + ".tmp", dst)


def update_manifest(manifest, row):
    """Adds or replaces `row` in `manifest`, under a lock, merged with what is on disk."""
    with open(manifest + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = []
        if os.path.exists(manifest):
            with open(manifest) as f:
                rows = [line.rstrip("\n").split("\t") for line in f if not line.startswith("#")]
        rows = sorted([r for r in rows if r[0] != row[0]] + [row])
        with open(manifest + ".tmp", "w") as f:
            f.write("# name\tinput\tparams\tfile\n")
            for r in rows:
                f.write("\t".join(r) + "\n")
        os.replace(manifest + ".tmp", manifest)


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
    register_missing_symbolics()
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
            continue
        row = [name, str(size), str(params), os.path.basename(path)]
        rows = [r for r in rows if r[0] != name] + [row]
        update_manifest(manifest, row)
        print("%-28s %3dx%-3d %11d params  %5.1f s" % (name, size, size, params, time.time() - t0),
              flush=True)
    print("%d exported, %d failed%s" % (len(rows), len(failed),
                                         ": " + ", ".join(n for n, _ in failed) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
