"""Per-op profile of one training step, jvision beside PyTorch/timm, from libtorch's own profiler
on both sides (Kineto Chrome traces: same op names, one parser).

    sh benchmarks/native/build.sh          # once: the JNI shim the Java side needs
    OPENBLAS_NUM_THREADS=1 python benchmarks/python/op_profile.py --models swin_tiny_patch4_window7_224

The step is the one ModelBenchmark.trainStep and bench_timm.py time: forward, cross entropy
(label smoothing 0.1), backward, AdamW(lr 1e-3) step, zero_grad(set_to_none). Each side runs
--warmup steps, then profiles --steps steps marked jv::step > jv::forward / jv::backward /
jv::optimizer. Printed per model (all times per step, ms):
  * phases: wall time, ops (aten and autograd events) and host gaps (time inside the phase not
    covered by any op: Java/JNI/scope overhead on one side, Python's on the other);
  * ops, keyed by phase and name: count and self time (the event minus its children) per side,
    their ratio and difference, sorted by difference (largest jvision excess first).
The Java side runs `java -cp <classes>:benchmarks/target/benchmarks.jar dev.jvision.bench.OpProfile`;
--classes puts a build's target/classes (e.g. target/classes) in front of the jar's copy of jvision.
Traces are kept in --out (default /tmp/op_profile) for chrome://tracing or Perfetto.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PHASES = ("jv::forward", "jv::backward", "jv::optimizer")


def py_side(a, trace):
    import timm
    import torch
    from torch.profiler import ProfilerActivity, profile, record_function
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = timm.create_model(a.model, num_classes=17)
    model.train()
    x = torch.randn(a.batch, 3, a.size, a.size)
    y = torch.randint(0, 17, (a.batch,))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.1)

    def step(mark):
        ctx = record_function if mark else (lambda name: _Null())
        with ctx("jv::step"):
            with ctx("jv::forward"):
                loss = loss_fn(model(x), y)
            with ctx("jv::backward"):
                loss.backward()
            with ctx("jv::optimizer"):
                opt.step()
                opt.zero_grad(set_to_none=True)
                loss.item()

    for _ in range(a.warmup):
        step(False)
    with profile(activities=[ProfilerActivity.CPU]) as p:
        t0 = time.perf_counter()
        for _ in range(a.steps):
            step(True)
        t1 = time.perf_counter()
    p.export_chrome_trace(trace)
    print(f"steps {a.steps} wall_ms_per_step {(t1 - t0) * 1e3 / a.steps:.3f} trace {trace}")


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def run_py(a, model, trace):
    cmd = [sys.executable, os.path.abspath(__file__), "--side", "py", "--models", model, "--batch", str(a.batch),
           "--size", str(a.size), "--threads", str(a.threads), "--warmup", str(a.warmup), "--steps", str(a.steps),
           "--trace", trace]
    return _wall(subprocess.run(cmd, capture_output=True, text=True), "python", model)


def run_jv(a, model, trace):
    cp = os.path.join(ROOT, "benchmarks/target/benchmarks.jar")
    if a.classes:
        cp = ":".join([os.path.abspath(c) for c in a.classes.split(":")] + [cp])
    cmd = ["java", "-cp", cp, "dev.jvision.bench.OpProfile", model, str(a.batch), str(a.size), str(a.threads),
           str(a.warmup), str(a.steps), trace, a.optimizer, os.path.join(ROOT, "benchmarks/target/libjvprofiler.so")]
    return _wall(subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT), "jvision", model)


def _wall(proc, side, model):
    m = re.search(r"wall_ms_per_step ([0-9.]+)", proc.stdout)
    if proc.returncode != 0 or not m:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"{side} profile of {model} failed")
    return float(m.group(1))


def parse(trace, steps):
    """{(phase, name): [count, self_us]}, {phase: [wall_us, ops, gap_us]} per step, from one trace."""
    with open(trace) as f:
        events = [e for e in json.load(f)["traceEvents"] if e.get("ph") == "X" and "dur" in e]
    marked = {e["tid"] for e in events if e["name"] == "jv::step"}
    ops = collections.defaultdict(lambda: [0, 0.0])
    phases = collections.defaultdict(lambda: [0.0, 0, 0.0])
    for tid in marked:
        evs = sorted((e for e in events if e["tid"] == tid), key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [event, end, children_us, phase]
        for e in evs + [None]:
            ts = float(e["ts"]) if e else float("inf")
            while stack and stack[-1][1] <= ts + 1e-3:
                ev, _, child, phase = stack.pop()
                self_us = float(ev["dur"]) - child
                if ev["name"] in PHASES:
                    phases[ev["name"]][0] += float(ev["dur"])
                    phases[ev["name"]][2] += self_us
                elif ev["name"] != "jv::step" and phase:
                    ops[(phase, ev["name"])][0] += 1
                    ops[(phase, ev["name"])][1] += self_us
                    phases[phase][1] += 1
                if stack:
                    stack[-1][2] += float(ev["dur"])
            if e is None:
                break
            parent_phase = stack[-1][3] if stack else None
            phase = e["name"] if e["name"] in PHASES else parent_phase
            stack.append([e, ts + float(e["dur"]), 0.0, phase])
    return ({k: [c / steps, s / steps] for k, (c, s) in ops.items()},
            {k: [w / steps, n / steps, g / steps] for k, (w, n, g) in phases.items()})


def report(model, jv, py, wall_jv, wall_py, top):
    (jops, jph), (pops, pph) = jv, py
    print(f"\n## {model}: wall ms/step jvision {wall_jv:.1f}, timm {wall_py:.1f} (ratio of speeds {wall_py / wall_jv:.2f})")
    print("| phase | wall ms jv / py | ops jv / py | host gaps ms jv / py |")
    print("|---|---|---|---|")
    for ph in PHASES:
        j = jph.get(ph, [0, 0, 0])
        p = pph.get(ph, [0, 0, 0])
        print(f"| {ph[4:]} | {j[0] / 1e3:.1f} / {p[0] / 1e3:.1f} | {j[1]:.0f} / {p[1]:.0f} | {j[2] / 1e3:.1f} / {p[2] / 1e3:.1f} |")
    rows = []
    for k in set(jops) | set(pops):
        jc, js = jops.get(k, [0, 0.0])
        pc, ps = pops.get(k, [0, 0.0])
        rows.append((js - ps, k, jc, pc, js, ps))
    rows.sort(key=lambda r: -abs(r[0]))
    print(f"\n| phase | op | count jv / py | self ms jv / py | ratio jv/py | diff ms |")
    print("|---|---|---|---|---|---|")
    for d, (ph, name), jc, pc, js, ps in rows[:top]:
        ratio = f"{js / ps:.2f}" if ps > 0 else "-"
        print(f"| {ph[4:]} | {name} | {jc:.0f} / {pc:.0f} | {js / 1e3:.2f} / {ps / 1e3:.2f} | {ratio} | {d / 1e3:+.2f} |")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet50,convnext_tiny,swin_tiny_patch4_window7_224,tf_efficientnetv2_b0")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--optimizer", default="fused", help="Java side: fused (jvision's FusedAdamW) or libtorch")
    ap.add_argument("--classes", default="", help="class folders put before benchmarks.jar on the Java side")
    ap.add_argument("--out", default="/tmp/op_profile")
    ap.add_argument("--side", choices=["both", "py"], default="both", help=argparse.SUPPRESS)
    ap.add_argument("--trace", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        raise SystemExit("set OPENBLAS_NUM_THREADS=1")
    if a.side == "py":
        a.model = a.models
        py_side(a, a.trace)
        return
    os.makedirs(a.out, exist_ok=True)
    print(f"batch {a.batch}, {a.size} px, {a.threads} threads, {a.steps} profiled steps after {a.warmup}; "
          f"times per step; self = an event's time minus its children's")
    for model in a.models.split(","):
        tj = os.path.join(a.out, f"{model}-b{a.batch}-s{a.size}-jvision.json")
        tp = os.path.join(a.out, f"{model}-b{a.batch}-s{a.size}-timm.json")
        wj = run_jv(a, model, tj)
        wp = run_py(a, model, tp)
        report(model, parse(tj, a.steps), parse(tp, a.steps), wj, wp, a.top)


if __name__ == "__main__":
    main()
