"""Writes the ONNX backend node tests of the installed `onnx` wheel to a folder, in the layout
test_onnx_node_suite reads (and ONNX's own `backend-test-tools generate-data` writes):

    OUT/test_<name>/model.onnx
    OUT/test_<name>/test_data_set_<k>/input_<i>.pb, output_<i>.pb

Recent onnx releases build each case in memory (onnx.backend.test.loader.load_model_tests) instead
of shipping the files. Written once: a stamp file names the onnx version, and a folder with the
right stamp is left as it is. Written into OUT.tmp, then renamed, so that a stopped run never
leaves half a suite.

    python node_tests.py OUT
"""
import os
import shutil
import sys
import warnings


def tensor_proto(value, value_info):
    """The .pb message of one input or output, whatever its type (tensor, sequence, optional, map)."""
    from onnx import TensorProto, numpy_helper

    kind = value_info.type.WhichOneof("value")
    if kind == "map_type":
        return numpy_helper.from_dict(value, value_info.name)
    if kind == "sequence_type":
        return numpy_helper.from_list(value, value_info.name)
    if kind == "optional_type":
        return numpy_helper.from_optional(value, value_info.name)
    if isinstance(value, TensorProto):
        return value
    return numpy_helper.from_array(value, value_info.name)


def write_case(case, folder):
    os.makedirs(folder)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for k, (inputs, outputs) in enumerate(case.data_sets or []):
        data_dir = os.path.join(folder, f"test_data_set_{k}")
        os.makedirs(data_dir)
        for prefix, values, infos in (("input", inputs, graph.input), ("output", outputs, graph.output)):
            for i, value in enumerate(values):
                with open(os.path.join(data_dir, f"{prefix}_{i}.pb"), "wb") as f:
                    f.write(tensor_proto(value, infos[i]).SerializeToString())


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: node_tests.py OUT_DIR")
    out = sys.argv[1]
    import onnx
    from onnx.backend.test.loader import load_model_tests

    stamp = os.path.join(out, "onnx-version")
    if os.path.isfile(stamp) and open(stamp).read().strip() == onnx.__version__:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators' own numpy overflow warnings
        cases = load_model_tests(kind="node")
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for case in cases:
        if case.model is not None:
            write_case(case, os.path.join(tmp, case.name))
    with open(os.path.join(tmp, "onnx-version"), "w") as f:
        f.write(onnx.__version__ + "\n")
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"node_tests: {len(cases)} node tests of onnx {onnx.__version__} written to {out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
