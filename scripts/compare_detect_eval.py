#!/usr/bin/env python3
"""Cross-checks `jvision detect-eval` against pycocotools on any COCO ground truth (for example the
demo data's annotations/instances_train.json): makes noisy detections from it (jittered hits,
duplicates, class confusions, misses, false positives), evaluates them with pycocotools and with
the jvision launcher, and prints the largest difference of the 12 numbers and of per-class AP.

Usage: /work/venv/bin/python scripts/compare_detect_eval.py GT.json [JVISION] [SEED]
(JVISION defaults to target/jvision).
"""
import contextlib
import io
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def main():
    gt_path = sys.argv[1]
    jvision = sys.argv[2] if len(sys.argv) > 2 else "target/jvision"
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    gt = json.load(open(gt_path))
    cat_ids = [c["id"] for c in gt["categories"]]
    dt = []
    for a in gt["annotations"]:
        x, y, w, h = a["bbox"]
        for _ in range(rng.choice([0, 1, 1, 1, 2])):
            j = 0.15 * rng.random()
            cat = a["category_id"] if rng.random() < 0.9 else rng.choice(cat_ids)
            dt.append({"image_id": a["image_id"], "category_id": cat, "score": round(rng.random(), 3),
                       "bbox": [x + rng.gauss(0, j * w), y + rng.gauss(0, j * h), w * (1 + rng.gauss(0, j)),
                                h * (1 + rng.gauss(0, j))]})
    for im in gt["images"]:
        for _ in range(rng.randint(0, 20)):
            dt.append({"image_id": im["id"], "category_id": rng.choice(cat_ids), "score": round(rng.random() * 0.5, 3),
                       "bbox": [rng.uniform(0, im["width"] * 0.9), rng.uniform(0, im["height"] * 0.9),
                                rng.uniform(4, 80), rng.uniform(4, 80)]})
    tmp = tempfile.mkdtemp()
    dt_path = os.path.join(tmp, "detections.json")
    json.dump(dt, open(dt_path, "w"))
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO(gt_path)
        e = COCOeval(cg, cg.loadRes(dt_path), "bbox")
        e.evaluate()
        e.accumulate()
        e.summarize()
    out = os.path.join(tmp, "eval.json")
    subprocess.run([jvision, "detect-eval", "--gt", gt_path, "--detections", dt_path, "--json", out], check=True,
                   stdout=subprocess.DEVNULL)
    j = json.load(open(out))
    stats = max(abs(float(s) - j[k]) for s, k in zip(e.stats, KEYS))
    per = 0.0
    for k, cid in enumerate(e.params.catIds):
        p = e.eval["precision"][:, :, k, 0, -1]
        p = p[p > -1]
        per = max(per, abs((float(np.mean(p)) if p.size else -1.0) - j["per_class"][str(cid)]))
    print("%d detections: max |difference| %.3g (12 numbers), %.3g (per-class AP)" % (len(dt), stats, per))


if __name__ == "__main__":
    main()
