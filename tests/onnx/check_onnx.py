"""Checks ONNX files with the onnx package (Debian: python3-onnx) for tests/storage/tst_onnx_export.cpp.

    /usr/bin/python3 check_onnx.py FILE.onnx [...]

Per file: onnx.checker.check_model(full_check=True) (structure, operators, strict shape inference),
then prints one JSON line: file, opset, ir_version, inputs/outputs (name, elem_type, dims), initializers.
Exits 1 at the first file that fails, with the checker's message on stderr.
"""
import json
import sys

try:
    import onnx
except ImportError as e:
    sys.stderr.write("the Python package onnx is missing for %s (apt-get install python3-onnx): %s\n" % (sys.executable, e))
    sys.exit(3)


def value_info(v):
    t = v.type.tensor_type
    dims = [d.dim_param if d.HasField("dim_param") else (d.dim_value if d.HasField("dim_value") else None)
            for d in t.shape.dim]
    return {"name": v.name, "elem_type": t.elem_type, "dims": dims}


for path in sys.argv[1:]:
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:  # the checker raises several kinds
        sys.stderr.write("%s: %s: %s\n" % (path, type(e).__name__, e))
        sys.exit(1)
    print(json.dumps({
        "file": path,
        "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
        "ir_version": model.ir_version,
        "inputs": [value_info(v) for v in model.graph.input],
        "outputs": [value_info(v) for v in model.graph.output],
        "initializers": sorted(t.name for t in model.graph.initializer),
        "metadata": {p.key: p.value for p in model.metadata_props},
    }))
