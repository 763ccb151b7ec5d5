#!/usr/bin/python3
"""Exports PyTorch's recurrent and transformer modules to ONNX as torch.onnx.export writes them
(static input shapes, random weights, eval mode), to check that edgeprof loads what users bring
(bench/check_onnx_exports.sh runs each against ONNX Runtime).

Run with Debian's python3-torch / python3-torchvision (/usr/bin/python3), not build/pyenv:

    /usr/bin/python3 bench/export_torch_modules.py OUT_DIR [--only a,b]

Each module is written to OUT_DIR/<name>.onnx with one input "x" and one output "y":
lstm_opset13, lstm_opset14, gru_opset13, gru_opset14 (nn.LSTM / nn.GRU, 32 -> 64, sequence 5,
batch 2: the Shape -> Gather -> Unsqueeze -> Concat -> Expand chain of the zero initial state),
lstm_2layer_batch_first, gru_bidirectional, transformer_encoder (nn.TransformerEncoder, 2 layers,
d_model 64, 4 heads, sequence 16, batch 2), vit_tiny (torchvision's VisionTransformer, 32x32,
patch 8, 2 layers, hidden 64). OUT_DIR/manifest.tsv lists name, input shape and file.
"""
import argparse
import os
import sys

import torch
import torchvision

SEED = 1


class Rnn(torch.nn.Module):
    """An RNN module's output sequence only (the states are dropped, as most models do)."""

    def __init__(self, cls, **kwargs):
        super().__init__()
        self.rnn = cls(32, 64, **kwargs)

    def forward(self, x):
        y, _ = self.rnn(x)
        return y


def vit_tiny():
    model = torchvision.models.VisionTransformer(image_size=32, patch_size=8, num_layers=2,
                                                 num_heads=4, hidden_dim=64, mlp_dim=128,
                                                 num_classes=10)
    # torchvision zero-initializes the head: the output would be all zeros, comparing nothing.
    torch.nn.init.normal_(model.heads.head.weight, std=0.5)
    return model


def modules():
    """name -> (builder, input shape, opset)."""
    layer = lambda: torch.nn.TransformerEncoderLayer(d_model=64, nhead=4, dim_feedforward=128,
                                                     dropout=0.0)
    return {
        "lstm_opset13": (lambda: Rnn(torch.nn.LSTM), (5, 2, 32), 13),
        "lstm_opset14": (lambda: Rnn(torch.nn.LSTM), (5, 2, 32), 14),
        "gru_opset13": (lambda: Rnn(torch.nn.GRU), (5, 2, 32), 13),
        "gru_opset14": (lambda: Rnn(torch.nn.GRU), (5, 2, 32), 14),
        "lstm_2layer_batch_first": (lambda: Rnn(torch.nn.LSTM, num_layers=2, batch_first=True),
                                    (2, 5, 32), 13),
        "gru_bidirectional": (lambda: Rnn(torch.nn.GRU, bidirectional=True), (5, 2, 32), 13),
        "transformer_encoder": (lambda: torch.nn.TransformerEncoder(layer(), num_layers=2,
                                                                   enable_nested_tensor=False),
                                (16, 2, 64), 13),
        "vit_tiny": (vit_tiny, (1, 3, 32, 32), 13),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", help="comma-separated names (default: all)")
    args = ap.parse_args()
    table = modules()
    names = args.only.split(",") if args.only else list(table)
    unknown = [n for n in names if n not in table]
    if unknown:
        print("export_torch_modules: unknown: " + ", ".join(unknown), file=sys.stderr)
        return 2
    os.makedirs(args.out_dir, exist_ok=True)
    rows = []
    for name in names:
        build, shape, opset = table[name]
        torch.manual_seed(SEED)
        model = build().eval()
        path = os.path.join(args.out_dir, name + ".onnx")
        # Not under torch.no_grad(): nn.MultiheadAttention's fused fast path has no ONNX export.
        torch.onnx.export(model, torch.rand(*shape), path + ".tmp", opset_version=opset,
                          input_names=["x"], output_names=["y"], do_constant_folding=True)
        os.replace(path + ".tmp", path)
        rows.append([name, "x".join(map(str, shape)), os.path.basename(path)])
        print("%-26s %-12s opset %d" % (name, rows[-1][1], opset), flush=True)
    with open(os.path.join(args.out_dir, "manifest.tsv"), "w") as f:
        f.write("# name\tinput\tfile\n")
        for r in rows:
            f.write("\t".join(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
