"""Paired jvision-vs-timm model throughput: for each model, runs the jvision JMH ModelBenchmark
and benchmarks/python/bench_timm.py one after the other (A B A B ...), parses images/s from
each, and prints the jvision/timm ratio of every pair and its median. The machine's speed
drifts by 2x within minutes, so only ratios taken pair by pair are quoted.

    OPENBLAS_NUM_THREADS=1 python benchmarks/python/paired_models.py --pairs 3 \
        --models resnet50,convnext_tiny,swin_tiny_patch4_window7_224,tf_efficientnetv2_b0

Needs `benchmarks/target/benchmarks.jar` (see benchmarks/README.md) and a Python with torch
and timm. Both sides: 2 threads, batch 8, 224 px, a 5 s warm-up and 2 x 5 s windows; --batch and
--size change both (e.g. the small-image case: --models resnet18,convnext_tiny --size 32
--batch 128). --classes runs a work tree's classes in front of the jar's; --jmh passes JMH
arguments (ModelBenchmark's optimizer: fused, the default, or libtorch).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def jvision(model, a):
    jar = os.path.abspath(a.jar)
    if a.classes:  # class folders in front of the jar's own copy of jvision (a work tree's build)
        cp = ":".join([os.path.abspath(c) for c in a.classes.split(":")] + [jar])
        launch = ["java", "-cp", cp, "org.openjdk.jmh.Main"]
    else:
        launch = ["java", "-jar", jar]
    cmd = launch + ["ModelBenchmark",
           "-p", f"model={model}", "-p", f"batch={a.batch}", "-p", f"size={a.size}", "-p", f"threads={a.threads}",
           "-f", "1", "-wi", "1", "-w", f"{a.seconds}s", "-i", str(a.iterations), "-r", f"{a.seconds}s"] + a.jmh.split()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT).stdout
    res = {}
    for line in out.splitlines():
        # ModelBenchmark.inference:images  convnext_tiny ... thrpt  2  13.9  img/s-ish columns
        m = re.match(r"ModelBenchmark\.(inference|trainStep):images\s+.*?thrpt\s+\d+\s+([0-9.,]+)", line)
        if m:
            res["inference" if m.group(1) == "inference" else "train_step"] = float(m.group(2).replace(",", ""))
    if len(res) != 2:
        sys.stderr.write(out[-3000:])
        raise SystemExit(f"jvision run for {model} gave no images/s")
    return res


def timm_side(model, a):
    cmd = [sys.executable, os.path.join(HERE, "bench_timm.py"), "--models", model, "--batch", str(a.batch),
           "--size", str(a.size), "--threads", str(a.threads), "--iterations", str(a.iterations),
           "--seconds", str(a.seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        p = line.split(",")
        if len(p) == 5 and p[0] == model:
            res[p[1]] = float(p[4])
    if len(res) != 2:
        raise SystemExit(f"timm run for {model} gave no images/s: {out}")
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="resnet50,convnext_tiny,swin_tiny_patch4_window7_224,tf_efficientnetv2_b0")
    ap.add_argument("--pairs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--iterations", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--jar", default=os.path.join(ROOT, "benchmarks/target/benchmarks.jar"))
    ap.add_argument("--classes", default="", help="class folders put before the jar, e.g. "
                    "target/classes:benchmarks/target/classes (a work tree's build without installing it)")
    ap.add_argument("--jmh", default="", help="extra JMH arguments, e.g. '-p optimizer=libtorch'")
    a = ap.parse_args()
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        raise SystemExit("set OPENBLAS_NUM_THREADS=1")
    print("model,mode,pair,jvision_img_s,timm_img_s,ratio", flush=True)
    summary = []
    for model in a.models.split(","):
        ratios = {"inference": [], "train_step": []}
        for i in range(a.pairs):
            j = jvision(model, a)
            t = timm_side(model, a)
            for mode in ratios:
                r = j[mode] / t[mode]
                ratios[mode].append(r)
                print(f"{model},{mode},{i},{j[mode]:.2f},{t[mode]:.2f},{r:.3f}", flush=True)
        for mode, rs in ratios.items():
            summary.append(f"{model} {mode}: median ratio {statistics.median(rs):.2f} over {len(rs)} pairs "
                           f"({', '.join(f'{r:.2f}' for r in rs)})")
    print("\n".join(summary))


if __name__ == "__main__":
    main()
