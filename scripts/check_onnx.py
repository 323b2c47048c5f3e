"""Runs the ONNX checker over jvision's exported files.

For every *.onnx under DIR: onnx.checker.check_model(model, full_check=True) (the IR/opset rules
plus strict shape inference over the whole graph), then the jvision metadata keys are listed.
Exits 1 if any file fails. Python is only needed for this check, never by jvision or its tests.

Make the files (all 25 registered models, as the parity test exports them), then check:
    mvn -o -q test -Dtest=OnnxParityTest -Djvision.onnx.keep=/tmp/jvision-onnx
    /work/venv/bin/python scripts/check_onnx.py /tmp/jvision-onnx
"""
import pathlib
import sys

import onnx


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check_onnx.py DIR")
    files = sorted(pathlib.Path(sys.argv[1]).glob("*.onnx"))
    if not files:
        sys.exit(f"{sys.argv[1]}: no .onnx files")
    failed = 0
    print(f"onnx {onnx.__version__}")
    for f in files:
        try:
            m = onnx.load(str(f))
            onnx.checker.check_model(m, full_check=True)
            opset = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
            meta = {p.key: p.value for p in m.metadata_props}
            print(f"OK   {f.name}: IR {m.ir_version}, opset {opset}, {len(m.graph.node)} nodes, "
                  f"{f.stat().st_size / 1e6:.1f} MB, img_size {meta.get('jvision.img_size')}")
        except Exception as e:  # the checker raises ValidationError, shape inference InferenceError
            failed += 1
            print(f"FAIL {f.name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
    print(f"{len(files) - failed} of {len(files)} files pass onnx.checker.check_model(full_check=True)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
