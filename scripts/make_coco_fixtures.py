#!/usr/bin/env python3
"""Makes the COCO evaluation fixtures under src/test/resources/detection/ and their expected
numbers from pycocotools (the reference jvision's CocoEvaluator must equal within 1e-6).

Each case NAME writes NAME_gt.json (COCO instances), NAME_dt.json (COCO results) and
NAME_expected.json ({"stats": [12 numbers], "summary": "...", "per_class": {cat_id: AP}}),
where per-class AP is the mean of precision[:, :, k, area=all, maxDets=100] over entries > -1
(-1 when there are none).

Run: /work/venv/bin/python scripts/make_coco_fixtures.py
"""
import contextlib
import io
import json
import os
import random

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "test", "resources", "detection")


def gt_file(images, categories, anns):
    for i, a in enumerate(anns):
        a.setdefault("id", i + 1)
        a.setdefault("iscrowd", 0)
        a.setdefault("area", a["bbox"][2] * a["bbox"][3])
    return {"images": images, "categories": categories, "annotations": anns}


def evaluate(name, gt, dt):
    os.makedirs(OUT, exist_ok=True)
    gpath = os.path.join(OUT, name + "_gt.json")
    dpath = os.path.join(OUT, name + "_dt.json")
    with open(gpath, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    with open(dpath, "w") as f:
        json.dump(dt, f, separators=(",", ":"))
    with contextlib.redirect_stdout(io.StringIO()):
        cg = COCO(gpath)
        cd = cg.loadRes(dpath)
        e = COCOeval(cg, cd, "bbox")
        e.evaluate()
        e.accumulate()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        e.summarize()
    prec = e.eval["precision"]
    per_class = {}
    for k, cid in enumerate(e.params.catIds):
        p = prec[:, :, k, 0, -1]
        p = p[p > -1]
        per_class[str(cid)] = float(np.mean(p)) if p.size else -1.0
    exp = {"stats": [float(s) for s in e.stats], "summary": buf.getvalue(), "per_class": per_class}
    with open(os.path.join(OUT, name + "_expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
    print(name, ["%.4f" % s for s in e.stats])


def images(n, w=640, h=480):
    return [{"id": i + 1, "file_name": "%06d.jpg" % (i + 1), "width": w, "height": h} for i in range(n)]


def cats(n):
    return [{"id": c + 1, "name": "class_%d" % (c + 1)} for c in range(n)]


def case_mixed():
    """Misses, duplicates, false positives, wrong classes, empty images, crowd, never-detected and
    absent categories, score ties, a detection of a category the ground truth does not have."""
    anns = [
        # image 1: two cats, one hit, one duplicate, one miss
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 100, 80]},
        {"image_id": 1, "category_id": 1, "bbox": [200, 50, 60, 60]},
        {"image_id": 1, "category_id": 2, "bbox": [300, 300, 20, 20]},
        # image 2: crowd region plus regular boxes
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 300, 300], "iscrowd": 1},
        {"image_id": 2, "category_id": 1, "bbox": [400, 100, 50, 50]},
        {"image_id": 2, "category_id": 2, "bbox": [350, 350, 120, 100]},
        # image 3: category 3 is never detected
        {"image_id": 3, "category_id": 3, "bbox": [50, 50, 40, 40]},
        {"image_id": 3, "category_id": 3, "bbox": [150, 50, 8, 6]},
        # image 4: small / medium boundaries (area exactly 32^2 and 96^2)
        {"image_id": 4, "category_id": 2, "bbox": [10, 10, 32, 32]},
        {"image_id": 4, "category_id": 2, "bbox": [100, 100, 96, 96]},
        {"image_id": 4, "category_id": 1, "bbox": [300, 10, 64, 16]},
        # image 5 has no ground truth but detections (false positives); image 6 nothing at all
    ]
    gt = gt_file(images(6), cats(4), anns)  # category 4 has no ground truth at all
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [12, 12, 98, 78], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [11, 11, 100, 80], "score": 0.8},  # duplicate
        {"image_id": 1, "category_id": 2, "bbox": [200, 50, 60, 60], "score": 0.85},  # wrong class
        {"image_id": 1, "category_id": 2, "bbox": [302, 301, 19, 20], "score": 0.8},
        {"image_id": 2, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.95},  # on the crowd
        {"image_id": 2, "category_id": 1, "bbox": [100, 100, 80, 80], "score": 0.7},  # on the crowd
        {"image_id": 2, "category_id": 1, "bbox": [405, 102, 50, 48], "score": 0.8},
        {"image_id": 2, "category_id": 2, "bbox": [340, 350, 120, 100], "score": 0.8},
        {"image_id": 2, "category_id": 2, "bbox": [360, 340, 100, 120], "score": 0.8},  # tie
        {"image_id": 4, "category_id": 2, "bbox": [10, 10, 32, 32], "score": 0.6},
        {"image_id": 4, "category_id": 2, "bbox": [101, 99, 96, 96], "score": 0.6},
        {"image_id": 4, "category_id": 2, "bbox": [500, 400, 32, 32], "score": 0.6},  # fp, boundary area
        {"image_id": 4, "category_id": 1, "bbox": [300, 10, 60, 16], "score": 0.5},
        {"image_id": 5, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.99},
        {"image_id": 5, "category_id": 4, "bbox": [10, 10, 5, 5], "score": 0.3},
        {"image_id": 5, "category_id": 9, "bbox": [10, 10, 50, 50], "score": 0.9},  # unknown category
    ]
    evaluate("mixed", gt, dt)


def case_ties():
    """Score ties across and within images decide the order (stable sort on -score)."""
    rng = random.Random(7)
    anns = []
    dt = []
    for img in range(1, 9):
        for j in range(4):
            x, y = 60 * j + 5, 40 * img
            anns.append({"image_id": img, "category_id": 1, "bbox": [x, y, 40, 30]})
            for k in range(3):  # one near-hit, two poorer duplicates, all with coarse scores
                dx = rng.choice([0, 2, 6, 12])
                dt.append({"image_id": img, "category_id": 1, "bbox": [x + dx, y + k, 40, 30],
                           "score": rng.choice([0.5, 0.5, 0.7, 0.9])})
    evaluate("ties", gt_file(images(8), cats(1), anns), dt)


def case_crowd():
    """Crowd regions absorb many detections; their IoU uses the detection's area."""
    anns, dt = [], []
    for img in range(1, 5):
        anns.append({"image_id": img, "category_id": 1, "bbox": [0, 0, 200, 200], "iscrowd": 1})
        anns.append({"image_id": img, "category_id": 1, "bbox": [20, 20, 40, 40]})
        anns.append({"image_id": img, "category_id": 2, "bbox": [300, 300, 100, 60], "iscrowd": img % 2})
        for k in range(6):
            dt.append({"image_id": img, "category_id": 1, "bbox": [10 + 25 * k, 15 + 10 * k, 40, 40],
                       "score": round(0.9 - 0.1 * k, 2)})
        dt.append({"image_id": img, "category_id": 2, "bbox": [305, 300, 100, 60], "score": 0.6})
        dt.append({"image_id": img, "category_id": 2, "bbox": [150, 190, 100, 60], "score": 0.65})
    evaluate("crowd", gt_file(images(4), cats(2), anns), dt)


def case_areas():
    """Area ranges use the annotation's area field (here not w*h) for ground truth, w*h for detections."""
    anns = [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 40], "area": 1024.0},
        {"image_id": 1, "category_id": 1, "bbox": [100, 10, 31, 33], "area": 1023.0},
        {"image_id": 1, "category_id": 1, "bbox": [200, 10, 90, 100], "area": 9216.0},
        {"image_id": 1, "category_id": 1, "bbox": [10, 200, 100, 93], "area": 9217.0},
        {"image_id": 2, "category_id": 1, "bbox": [10, 10, 4, 4]},
        {"image_id": 2, "category_id": 1, "bbox": [50, 50, 300, 200]},
    ]
    dt = [
        {"image_id": 1, "category_id": 1, "bbox": [10, 10, 30, 40], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [101, 10, 31, 33], "score": 0.8},
        {"image_id": 1, "category_id": 1, "bbox": [205, 12, 90, 100], "score": 0.7},
        {"image_id": 1, "category_id": 1, "bbox": [10, 200, 100, 93], "score": 0.6},
        {"image_id": 1, "category_id": 1, "bbox": [400, 400, 32, 32], "score": 0.95},
        {"image_id": 1, "category_id": 1, "bbox": [400, 300, 96, 96], "score": 0.4},
        {"image_id": 2, "category_id": 1, "bbox": [11, 10, 4, 4], "score": 0.5},
        {"image_id": 2, "category_id": 1, "bbox": [60, 55, 300, 200], "score": 0.5},
        {"image_id": 2, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5},
    ]
    evaluate("areas", gt_file(images(2), cats(1), anns), dt)


def case_random(name, seed, n_img, n_cat, max_gt, dt_per_img):
    """Hundreds of images: jittered hits, duplicates, class confusions, false positives, crowd
    boxes, more than 100 detections on some images, coarse (tied) scores."""
    rng = random.Random(seed)
    imgs = images(n_img)
    anns, dt = [], []
    for im in imgs:
        w, h = im["width"], im["height"]
        if rng.random() < 0.08:
            continue  # an image without objects (detections may still come)
        for _ in range(rng.randint(0, max_gt)):
            s = rng.choice([rng.uniform(4, 32), rng.uniform(32, 96), rng.uniform(96, 300)])
            bw, bh = max(1.0, s * rng.uniform(0.5, 1.5)), max(1.0, s * rng.uniform(0.5, 1.5))
            x, y = rng.uniform(0, w - bw), rng.uniform(0, h - bh)
            cat = rng.randint(1, n_cat - 1)  # the last category never appears in ground truth
            crowd = 1 if rng.random() < 0.03 else 0
            anns.append({"image_id": im["id"], "category_id": cat, "bbox": [round(x, 2), round(y, 2), round(bw, 2), round(bh, 2)],
                         "iscrowd": crowd})
    by_img = {}
    for a in anns:
        by_img.setdefault(a["image_id"], []).append(a)
    for im in imgs:
        n = 0
        for a in by_img.get(im["id"], []):
            if rng.random() < 0.15:
                continue  # miss
            for _ in range(1 + (rng.random() < 0.3) + (rng.random() < 0.1)):
                x, y, bw, bh = a["bbox"]
                j = rng.uniform(0, 0.3)
                box = [x + rng.gauss(0, j * bw / 3), y + rng.gauss(0, j * bh / 3), bw * rng.uniform(1 - j, 1 + j),
                       bh * rng.uniform(1 - j, 1 + j)]
                cat = a["category_id"] if rng.random() < 0.85 else rng.randint(1, n_cat)
                dt.append({"image_id": im["id"], "category_id": cat, "bbox": [round(v, 2) for v in box],
                           "score": round(rng.random(), 2)})
                n += 1
        extra = rng.randint(0, dt_per_img) if rng.random() > 0.02 else 130
        for _ in range(extra):
            bw, bh = rng.uniform(3, 200), rng.uniform(3, 200)
            dt.append({"image_id": im["id"], "category_id": rng.randint(1, n_cat),
                       "bbox": [round(rng.uniform(0, 600), 2), round(rng.uniform(0, 440), 2), round(bw, 2), round(bh, 2)],
                       "score": round(rng.random() * 0.6, 2)})
    rng.shuffle(dt)
    evaluate(name, gt_file(imgs, cats(n_cat), anns), dt)


def case_zero_id():
    """pycocotools stores a match as the ground truth's id, so a match to id 0 counts as unmatched."""
    anns = [{"id": 0, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50]},
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [100, 10, 50, 50]}]
    dt = [{"image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "score": 0.9},
          {"image_id": 1, "category_id": 1, "bbox": [100, 10, 50, 50], "score": 0.8}]
    evaluate("zero_id", gt_file(images(1), cats(1), anns), dt)


if __name__ == "__main__":
    case_mixed()
    case_ties()
    case_crowd()
    case_areas()
    case_zero_id()
    case_random("random", 42, 300, 8, 12, 8)
